import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
export const DATA_DIR = process.env.PETAL_DATA_DIR ?? resolve(REPO_ROOT, '../shared/datasets/flowers');
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? resolve(REPO_ROOT, 'models/flower-classifier');
export const CHROMIUM = process.env.PETAL_CHROMIUM ?? '/usr/bin/chromium';
export const ENTRIES = {
  endpoint: resolve(REPO_ROOT, 'apps/endpoint/src/main.ts'),
  was: resolve(REPO_ROOT, 'apps/was/src/main.ts'),
  web: resolve(REPO_ROOT, 'apps/web/src/server/main.ts'),
};

/** Why the browser test cannot run here, or '' when everything it needs is present. */
export function e2eSkipReason(): string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PETAL_CHROMIUM)`;
  if (!existsSync(DATA_DIR)) return `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`;
  for (const [name, path] of Object.entries(ENTRIES)) if (!existsSync(path)) return `the ${name} service entry ${path} is missing`;
  const hasModel = existsSync(join(MODEL_DIR, 'manifest.json')) || (/\.tar\.gz$/.test(MODEL_DIR) && existsSync(MODEL_DIR));
  if (!hasModel) return `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`;
  return '';
}

export interface Service {
  name: string;
  child: ChildProcess;
  output: () => string;
  url: (timeoutMs?: number) => Promise<string>;
  stop: () => Promise<void>;
}

/** Runs a service's real entry point from source, as `npm start` does, on a free loopback port. */
export function startService(name: string, main: string, env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // With a fixed port and quiet logs (benchmarks) there is no "listening" line to read: ask /health.
  const fixed = env.PORT && env.PORT !== '0' ? `http://127.0.0.1:${env.PORT}` : undefined;
  // A child's stack trace inside our error message would be parsed by vitest as our own stack frames.
  const tail = () => out.slice(-4000).replace(/^(\s+)at /gm, '$1» ');
  return {
    name,
    child,
    output: () => out,
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

/** Polls until `url` answers 200 (the endpoint's /ping turns 200 once its model is warm). */
export async function until200(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(url).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** A loopback port free right now (bind, read, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
