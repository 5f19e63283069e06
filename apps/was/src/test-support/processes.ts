import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
export const DATA_DIR = process.env.PETAL_DATA_DIR ?? resolve(REPO_ROOT, '../shared/datasets/flowers');
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? resolve(REPO_ROOT, 'models/flower-classifier');
export const ENDPOINT_MAIN = resolve(REPO_ROOT, 'apps/endpoint/src/main.ts');
export const WAS_MAIN = resolve(REPO_ROOT, 'apps/was/src/main.ts');

export const hasData = existsSync(DATA_DIR);
export const hasModel = existsSync(join(MODEL_DIR, 'manifest.json')) || (/\.tar\.gz$/.test(MODEL_DIR) && existsSync(MODEL_DIR));
export const hasEndpoint = existsSync(ENDPOINT_MAIN);
export const SKIP_REASON = !hasEndpoint
  ? `apps/endpoint/src/main.ts is missing`
  : !hasModel
    ? `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`
    : !hasData
      ? `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`
      : '';

export interface Service {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL from Fastify's "Server listening at" log line. */
  url: () => Promise<string>;
  stop: () => Promise<void>;
}

/** Runs a service entry point from source, as `npm start` does, on loopback. */
export function spawnService(main: string, env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
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
  return {
    child,
    output: () => out,
    exited,
    url: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) return match[1];
        if (child.exitCode !== null) throw new Error(`${main} exited early:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${main} did not listen within ${timeoutMs} ms:\n${out}`);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200. */
export async function waitFor200(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(url).catch(() => undefined);
    await res?.arrayBuffer();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
