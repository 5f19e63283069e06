import { spawn } from 'node:child_process';
import { MODEL_DIR, REPO_ROOT, freePort, hasModelAt, repoPath } from '@petal/stack';
import { describe, expect, it } from 'vitest';

// Runs the real `npm start` orchestrator (scripts/start.ts) with its real children on free loopback ports.

const hasModel = hasModelAt(MODEL_DIR);
const SKIP_MODEL = `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`;

async function startOrchestrator(env: Record<string, string>) {
  const ports = { endpoint: await freePort(), was: await freePort(), web: await freePort() };
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', repoPath('scripts/start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
      PETAL_SKIP_BUILD: '1', // the UI bundle is not what these tests are about
      PETAL_ENDPOINT_PORT: String(ports.endpoint),
      PETAL_WAS_PORT: String(ports.was),
      PETAL_WEB_PORT: String(ports.web),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = pattern.exec(out);
      if (match) return match;
      if (child.exitCode !== null) throw new Error(`orchestrator exited (${child.exitCode}) before ${pattern}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}`);
  };
  const pids = () =>
    Object.fromEntries([...out.matchAll(/\[start\] (\w+): pid (\d+), port/g)].map((m) => [m[1], Number(m[2])])) as Record<string, number>;
  return { child, ports, output: () => out, exited, waitFor, pids };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const status = async (url: string) => {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
};

describe('npm start (scripts/start.ts)', () => {
  it('reports a child that dies at start-up (name, exit code), stops the others and exits non-zero', async () => {
    const o = await startOrchestrator({ MODEL_DIR: repoPath('no-such-model-dir') });
    expect(await o.exited).toBe(1);
    const out = o.output();
    expect(out).toMatch(/\[endpoint\] endpoint: model not found/);
    expect(out).toMatch(/\[start\] endpoint \(pid \d+\) exited unexpectedly with exit code 1; stopping/);
    expect(out).toMatch(/all services stopped/);
    for (const pid of Object.values(o.pids())) expect(alive(pid)).toBe(false);
  });

  if (!hasModel) console.warn(`skipping npm start tests with the real model: ${SKIP_MODEL}`);

  it.skipIf(!hasModel)('starts everything, waits for health, reports a killed child and stops the rest', async () => {
    const o = await startOrchestrator({ MODEL_DIR });
    try {
      await o.waitFor(/Petal is up: (http:\/\/localhost:\d+)/);
      expect(await status(`http://127.0.0.1:${o.ports.endpoint}/ping`)).toBe(200);
      expect(await status(`http://127.0.0.1:${o.ports.was}/health/ready`)).toBe(200);
      expect(await status(`http://127.0.0.1:${o.ports.web}/health`)).toBe(200);
      const pids = o.pids();
      expect(Object.keys(pids)).toEqual(['endpoint', 'was', 'web']);
      process.kill(pids.was!, 'SIGKILL');
      expect(await o.exited).toBe(1);
      expect(o.output()).toMatch(new RegExp(`\\[start\\] was \\(pid ${pids.was}\\) exited unexpectedly with signal SIGKILL`));
      for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
    } finally {
      if (o.child.exitCode === null) o.child.kill('SIGKILL');
    }
  });

  it.skipIf(!hasModel)('on SIGTERM stops every child and exits 0', async () => {
    const o = await startOrchestrator({ MODEL_DIR });
    try {
      await o.waitFor(/Petal is up/);
      const pids = o.pids();
      o.child.kill('SIGTERM');
      expect(await o.exited).toBe(0);
      expect(o.output()).toMatch(/SIGTERM received; stopping/);
      for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
    } finally {
      if (o.child.exitCode === null) o.child.kill('SIGKILL');
    }
  });
});
