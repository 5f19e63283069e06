/** How the services find each other: each one's env from the others' addresses, and the order to start them in. */
import { SERVICE_NAMES, SERVICES, type ServiceName } from './services.js';

/** Base URLs of the services already running, by name. */
export type ServiceUrls = Partial<Record<ServiceName, string>>;

/** The URL of a service listening on loopback. */
export const loopbackUrl = (port: number): string => `http://127.0.0.1:${port}`;

/**
 * The env variables that point `name` at its neighbours, e.g. `{ SAGEMAKER_RUNTIME_URL: urls.endpoint }`
 * for the WAS. A required neighbour without a URL is an error here rather than a service quietly falling
 * back to its default (the WAS would go looking for SageMaker on AWS).
 */
export function wiringEnv(name: ServiceName, urls: ServiceUrls): Record<string, string> {
  const env: Record<string, string> = {};
  for (const link of SERVICES[name].links) {
    const url = urls[link.to];
    if (url !== undefined) env[link.env] = url.replace(/\/+$/, '');
    else if (!link.optional) throw new Error(`${name} needs the ${link.to} URL (${link.env}), and none was given`);
  }
  return env;
}

/** Services ordered so that each comes after everything it links to. */
export function startOrder(names: readonly ServiceName[] = SERVICE_NAMES): ServiceName[] {
  const order: ServiceName[] = [];
  const visit = (name: ServiceName, path: ServiceName[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`the services link in a cycle: ${[...path, name].join(' → ')}`);
    for (const link of SERVICES[name].links) if (names.includes(link.to)) visit(link.to, [...path, name]);
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}
