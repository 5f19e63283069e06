import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findRepoRoot } from '@petal/stack/repo-root';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openStore } from './open-store.js';
import { LockTimeoutError } from './store.js';
import { startS3Loopback, type S3Loopback } from './testing/s3-loopback.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = findRepoRoot(here);
const hammer = join(here, 'testing', 'lock-hammer.ts');
const counterSchema = z.object({ value: z.number(), writers: z.array(z.number()) });

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ...args], { cwd: repo, env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => ok({ code, stderr }));
  });
}

/** The pid of a process that has exited: a lock holder that crashed. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((ok) => child.on('close', ok));
  return child.pid!;
}

const WORKERS = 4;
const ITERATIONS = 15;

describe('file:// store lock', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-lock-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`loses no update when ${WORKERS} processes increment one counter at once`, async () => {
    const results = await Promise.all(Array.from({ length: WORKERS }, () => run([hammer, String(ITERATIONS)], { PETAL_STORE: dir })));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual(Array(WORKERS).fill(0));
    const counter = await openStore(dir).readJson('counter.json', counterSchema);
    expect(counter?.value).toBe(WORKERS * ITERATIONS);
    expect(new Set(counter?.writers).size).toBe(WORKERS); // all of them really took part
    await expect(stat(join(dir, '.locks', 'counter.lock'))).rejects.toThrow(/ENOENT/); // released
  });

  it('takes over a lock left by a process that died', async () => {
    const store = openStore(dir);
    await mkdir(join(dir, '.locks'), { recursive: true });
    const pid = await deadPid();
    await writeFile(join(dir, '.locks', 'crashed.lock'), JSON.stringify({ token: 't', pid, host: hostname(), createdAt: new Date().toISOString() }));
    const started = Date.now();
    expect(await store.withLock('crashed', async () => 'mine', { timeoutMs: 2_000 })).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('takes over a lock older than staleMs even when its holder lives', async () => {
    const store = openStore(dir);
    const path = join(dir, '.locks', 'old.lock');
    await writeFile(path, JSON.stringify({ token: 't', pid: process.ppid, host: hostname(), createdAt: new Date(Date.now() - 60_000).toISOString() }));
    expect(await store.withLock('old', async () => 'mine', { staleMs: 30_000, timeoutMs: 2_000 })).toBe('mine');
    // An unreadable lock (its writer died mid-write) is judged by the file's age.
    await writeFile(path, '{"tok');
    await utimes(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(await store.withLock('old', async () => 'again', { staleMs: 30_000, timeoutMs: 2_000 })).toBe('again');
  });

  it('gives up after timeoutMs, naming who holds the lock', async () => {
    const store = openStore(dir);
    let release!: () => void;
    const held = store.withLock('busy', () => new Promise<void>((ok) => (release = ok)));
    await new Promise((ok) => setTimeout(ok, 50));
    const waited = store.withLock('busy', async () => 'never', { timeoutMs: 300 });
    await expect(waited).rejects.toThrow(LockTimeoutError);
    await expect(waited).rejects.toThrow(new RegExp(`could not take the store lock "busy" within \\d+ ms: held by pid ${process.pid} on `));
    release();
    await held;
    expect(await store.withLock('busy', async () => 'free now', { timeoutMs: 300 })).toBe('free now');
  });

  it('releases the lock when the section throws', async () => {
    const store = openStore(dir);
    await expect(store.withLock('throws', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await store.withLock('throws', async () => 'ok', { timeoutMs: 200 })).toBe('ok');
  });
});

describe('s3:// store lock (conditional writes, against the loopback S3 stand-in)', () => {
  let s3: S3Loopback;
  beforeAll(async () => {
    s3 = await startS3Loopback({ bucket: 'petal-locks' });
  });
  afterAll(() => s3.close());
  const s3Env = () => ({
    PETAL_STORE: 's3://petal-locks/store',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
  });

  it(`loses no update when ${WORKERS} processes increment one counter at once`, async () => {
    const results = await Promise.all(Array.from({ length: WORKERS }, () => run([hammer, String(ITERATIONS)], s3Env())));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual(Array(WORKERS).fill(0));
    const counter = JSON.parse(s3.objects.get('store/counter.json')!.body.toString()) as z.infer<typeof counterSchema>;
    expect(counter.value).toBe(WORKERS * ITERATIONS);
    expect(new Set(counter.writers).size).toBe(WORKERS);
    expect(s3.objects.has('store/.locks/counter.lock')).toBe(false);
    expect(s3.requests.some((r) => r.startsWith('PUT /petal-locks/store/.locks/counter.lock'))).toBe(true);
  });

  it('takes over a stale lock object and times out on a live one, naming its holder', async () => {
    const store = openStore('s3://petal-locks/store', { s3Client: s3.client() });
    const body = (createdAt: Date) => Buffer.from(JSON.stringify({ token: 't', pid: 1, host: 'elsewhere', createdAt: createdAt.toISOString() }));
    s3.objects.set('store/.locks/job.lock', { body: body(new Date(Date.now() - 60_000)), etag: '"old"', lastModified: new Date() });
    expect(await store.withLock('job', async () => 'mine', { staleMs: 30_000, timeoutMs: 2_000 })).toBe('mine');
    s3.objects.set('store/.locks/job.lock', { body: body(new Date()), etag: '"live"', lastModified: new Date() });
    await expect(store.withLock('job', async () => 'never', { timeoutMs: 200 })).rejects.toThrow(/held by pid 1 on elsewhere/);
    expect(s3.objects.get('store/.locks/job.lock')?.etag).toBe('"live"'); // a live lock is never removed
  });
});

// The counter file is read back through the store; keep a direct read too, so a store bug cannot hide one.
it('the file:// counter is plain JSON on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'petal-lock-plain-'));
  await openStore(pathToFileURL(dir).href).writeJson('counter.json', { value: 1, writers: [] });
  expect(JSON.parse(await readFile(join(dir, 'counter.json'), 'utf8'))).toEqual({ value: 1, writers: [] });
  await rm(dir, { recursive: true, force: true });
});
