/**
 * Running the services as real child processes, for tests and benchmarks: each from its entry point, on
 * loopback, with its output captured, the way `npm start` runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT, repoPath } from './layout.js';
import { LISTEN_ENV, SERVICE_NAMES, SERVICES, type ServiceName } from './services.js';
import { startOrder, wiringEnv, type ServiceUrls } from './wiring.js';

/**
 * `source`: the TypeScript through tsx, no build needed; `dist`: the compiled JavaScript the container
 * images run (`npm run build`, and for the web server `npm run build:server -w @petal/web`).
 */
export type LaunchMode = 'source' | 'dist';

/** Absolute path of a service's entry point. */
export function entryPath(name: ServiceName, mode: LaunchMode = 'source'): string {
  return repoPath(SERVICES[name].entry[mode]);
}

/**
 * Node's arguments to run a service. tsx is a loader inside the one node process rather than a wrapper
 * around it, so signals reach the service itself.
 */
export function launchArgs(name: ServiceName, options: { mode?: LaunchMode; args?: readonly string[] } = {}): string[] {
  const mode = options.mode ?? 'source';
  const loader = mode === 'source' ? ['--conditions=source', '--import', 'tsx'] : [];
  return [...loader, entryPath(name, mode), ...(options.args ?? SERVICES[name].args)];
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL from Fastify's "Server listening at" line (or, on a fixed port with quiet logs, once the health path answers). */
  url: (timeoutMs?: number) => Promise<string>;
  /** The URL, once the readiness path answers 200. */
  ready: (timeoutMs?: number) => Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
  stop: () => Promise<void>;
}

export interface SpawnOptions {
  /** Replaces the description's arguments (the endpoint's `serve`). */
  args?: string[];
  mode?: LaunchMode;
}

/** Starts one service on loopback; PORT defaults to 0 (any free port, read back from its log). */
export function spawnService(name: ServiceName, env: Record<string, string> = {}, options: SpawnOptions = {}): ServiceProcess {
  const service = SERVICES[name];
  const child = spawn(process.execPath, launchArgs(name, options), {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  // With a fixed port and quiet logs (benchmarks) there is no "listening" line to read: ask the health path.
  const fixed = env.PORT && env.PORT !== '0' ? `http://127.0.0.1:${env.PORT}` : undefined;
  // A child's stack trace inside our error message would be parsed by vitest as our own stack frames.
  const tail = () => out.slice(-4000).replace(/^(\s+)at /gm, '$1» ');
  const url = async (timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) return match[1];
      if (fixed && (await fetch(`${fixed}${service.healthPath}`).then((r) => r.ok, () => false))) return fixed;
      if (child.exitCode !== null) throw new Error(`${name} exited early:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${name} did not listen within ${timeoutMs} ms:\n${tail()}`);
  };
  return {
    name,
    child,
    output: () => out,
    exited,
    url,
    async ready(timeoutMs = 120_000) {
      const base = await url(timeoutMs);
      await waitFor200(`${base}${service.readyPath}`, timeoutMs);
      return base;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls until `url` answers 200 (the endpoint's /ping turns 200 once its model is warm); resolves with the wait in ms. */
export async function waitFor200(url: string, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const res = await fetch(url).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** A loopback port free right now (bind, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface RunningStack<N extends ServiceName = ServiceName> {
  urls: Record<N, string>;
  processes: Record<N, ServiceProcess>;
  /** Stops the services in reverse start order. */
  stop: () => Promise<void>;
}

export interface StackOptions<N extends ServiceName = ServiceName> {
  /** Which services to start (default all); every required neighbour of each must be among them. */
  services?: readonly N[];
  /** Extra env per service, on top of its wiring. */
  env?: Partial<Record<N, Record<string, string>>>;
  mode?: LaunchMode;
  /** Per service, for its listening line and for its readiness each. */
  timeoutMs?: number;
}

/**
 * Starts services one after another in dependency order, each wired to the ones before it and ready
 * before the next starts. If one fails to come up, the ones already started are stopped.
 */
export async function startStack<N extends ServiceName = ServiceName>(options: StackOptions<N> = {}): Promise<RunningStack<N>> {
  const names = (options.services ?? SERVICE_NAMES) as readonly N[];
  const urls: ServiceUrls = {};
  const processes: Partial<Record<ServiceName, ServiceProcess>> = {};
  const started: ServiceProcess[] = [];
  const stop = async () => {
    for (const p of [...started].reverse()) await p.stop();
  };
  try {
    for (const name of startOrder(names) as N[]) {
      // A port chosen here rather than PORT=0: a service told to log quietly never says where it listens.
      const env = { [LISTEN_ENV.port]: String(await freePort()), ...wiringEnv(name, urls), ...options.env?.[name] };
      const p = spawnService(name, env, options.mode ? { mode: options.mode } : {});
      started.push(p);
      processes[name] = p;
      urls[name] = await p.ready(options.timeoutMs);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls: urls as Record<N, string>, processes: processes as Record<N, ServiceProcess>, stop };
}
