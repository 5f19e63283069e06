/**
 * Test and benchmark support: run a Petal service's real entry point from source as a child process,
 * on loopback, the way `npm start` does, and wait for it. Shared by every app's process-level tests so
 * they start services the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL from Fastify's "Server listening at" line (or, on a fixed port with quiet logs, once /health answers). */
  url: (timeoutMs?: number) => Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
  stop: () => Promise<void>;
}

export interface SpawnOptions {
  name?: string;
  args?: string[];
}

export function spawnService(main: string, env: Record<string, string>, options: SpawnOptions = {}): ServiceProcess {
  const name = options.name ?? main;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main, ...(options.args ?? [])], {
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
  // With a fixed port and quiet logs (benchmarks) there is no "listening" line to read: ask /health.
  const fixed = env.PORT && env.PORT !== '0' ? `http://127.0.0.1:${env.PORT}` : undefined;
  // A child's stack trace inside our error message would be parsed by vitest as our own stack frames.
  const tail = () => out.slice(-4000).replace(/^(\s+)at /gm, '$1» ');
  return {
    name,
    child,
    output: () => out,
    exited,
    async url(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) return match[1];
        if (fixed && (await fetch(`${fixed}/health`).then((r) => r.ok, () => false))) return fixed;
        if (child.exitCode !== null) throw new Error(`${name} exited early:\n${tail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${name} did not listen within ${timeoutMs} ms:\n${tail()}`);
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
