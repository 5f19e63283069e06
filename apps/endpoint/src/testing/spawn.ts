import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from './start.js';

export const MAIN = resolve(REPO_ROOT, 'apps/endpoint/src/main.ts');

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the real entry point (`main.ts serve`) from source, as `npm run dev` does. */
export function spawnEndpoint(env: Record<string, string>, args: string[] = ['serve']): Spawned {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], {
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
  return { child, output: () => out, exited };
}

/** Waits for the pino line that says the server listens, and returns its URL. */
export async function listeningUrl(spawned: Spawned, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(spawned.output());
    if (match) return match[1]!;
    if (spawned.child.exitCode !== null) throw new Error(`endpoint exited early:\n${spawned.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`endpoint did not listen within ${timeoutMs} ms:\n${spawned.output()}`);
}

export async function waitForPing(url: string, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const res = await fetch(`${url}/ping`).catch(() => undefined);
    if (res?.status === 200) return performance.now() - t0;
    await res?.text();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no /ping 200 within ${timeoutMs} ms`);
}
