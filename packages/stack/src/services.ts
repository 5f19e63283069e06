/**
 * The three services of the local stack, as plain data: `npm start`, the end-to-end and integration
 * tests and the benchmarks start them from this, and a compose file can be generated from (or checked
 * against) it. Paths are relative to the repository root so the data means the same on every machine.
 */

export const SERVICE_NAMES = ['endpoint', 'was', 'web'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** An env variable of one service that takes another service's base URL (`http://host:port`, no slash). */
export interface ServiceLink {
  env: string;
  to: ServiceName;
  /** The service starts and works without it (the web status view simply leaves the endpoint out). */
  optional: boolean;
}

export interface ServiceDescription {
  name: ServiceName;
  /** The npm workspace (`npm run … -w <workspace>`). */
  workspace: string;
  /** Entry points, relative to the repository root: TypeScript run by tsx, and the `npm run build` output. */
  entry: { source: string; dist: string };
  /** Arguments after the entry (the endpoint takes SageMaker's `serve`). */
  args: string[];
  /** Its port when nothing else is said (env PORT). */
  port: number;
  /** Liveness: 200 while the process answers at all. */
  healthPath: string;
  /** Readiness: 200 once it can do its job (the endpoint's model is loaded, the WAS reaches the endpoint). */
  readyPath: string;
  links: ServiceLink[];
}

/** Every service reads these two variables for where to listen. */
export const LISTEN_ENV = { port: 'PORT', host: 'HOST' } as const;

export const SERVICES: Readonly<Record<ServiceName, ServiceDescription>> = {
  endpoint: {
    name: 'endpoint',
    workspace: '@petal/endpoint',
    entry: { source: 'apps/endpoint/src/main.ts', dist: 'apps/endpoint/dist/main.js' },
    args: ['serve'],
    port: 8080,
    healthPath: '/health',
    readyPath: '/ping',
    links: [],
  },
  was: {
    name: 'was',
    workspace: '@petal/was',
    entry: { source: 'apps/was/src/main.ts', dist: 'apps/was/dist/main.js' },
    args: [],
    port: 8081,
    healthPath: '/health',
    readyPath: '/health/ready',
    // The local sagemaker-runtime API; on AWS the variable is unset and the SDK finds SageMaker itself.
    links: [{ env: 'SAGEMAKER_RUNTIME_URL', to: 'endpoint', optional: false }],
  },
  web: {
    name: 'web',
    workspace: '@petal/web',
    entry: { source: 'apps/web/src/server/main.ts', dist: 'apps/web/dist/node/server/main.js' },
    args: [],
    port: 8000,
    healthPath: '/health',
    readyPath: '/health',
    links: [
      { env: 'WAS_URL', to: 'was', optional: false },
      // Only for the status view's direct look at the model endpoint.
      { env: 'ENDPOINT_URL', to: 'endpoint', optional: true },
    ],
  },
};
