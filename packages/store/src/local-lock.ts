import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { newLockOwner, parseLockOwner, retryDelay, sleep } from './lock-owner.js';
import {
  DEFAULT_LOCK_STALE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  LockTimeoutError,
  describeOwner,
  type LockOptions,
  type LockOwner,
} from './store.js';

/** Whether a process with this id runs on this machine (signal 0 checks without signalling). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readOwner(path: string): Promise<{ owner: LockOwner | undefined; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { owner: parseLockOwner(text), mtimeMs: info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Creates the file only if it does not exist (O_EXCL): the one atomic test-and-set a file system gives. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function staleReason(held: { owner: LockOwner | undefined; mtimeMs: number }, staleMs: number, now: number): string | undefined {
  const { owner } = held;
  // An unreadable lock is one a process died while writing; judge it by the file's age alone.
  const since = owner ? Date.parse(owner.createdAt) : held.mtimeMs;
  if (now - since > staleMs) return `older than ${staleMs} ms`;
  if (owner && owner.host === hostname() && owner.pid !== process.pid && !pidAlive(owner.pid)) return `pid ${owner.pid} is gone`;
  return undefined;
}

/**
 * Breaks a stale lock without racing another breaker: two waiters that both saw the same stale lock must not
 * both delete (the second would delete the first one's fresh lock). So breaking takes its own short-lived
 * `.break` lock, re-reads the lock and deletes it only if it is still the stale one that was seen.
 */
async function breakStaleLock(path: string, seen: { owner: LockOwner | undefined; mtimeMs: number }): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, JSON.stringify(newLockOwner())))) {
    // A breaker that died mid-break would block every later one: its lock is stale after a few seconds.
    const held = await readOwner(breaker);
    if (held && Date.now() - held.mtimeMs > 5_000) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    const now = await readOwner(path);
    const same = seen.owner ? now?.owner?.token === seen.owner.token : now !== undefined && !now.owner && now.mtimeMs === seen.mtimeMs;
    if (same) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/**
 * Holds an exclusive lock file (`open(…, 'wx')`, holding pid, host and time) for the duration of `fn`.
 * Waits with jittered backoff up to `timeoutMs`; takes over a lock whose pid is dead or which is older than
 * `staleMs`; releases only its own lock (by token), so a holder that was taken over cannot remove its successor's.
 */
export async function withFileLock<T>(path: string, name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  await mkdir(dirname(path), { recursive: true });
  const me = newLockOwner();
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    me.createdAt = new Date().toISOString();
    if (await createExclusive(path, JSON.stringify(me))) break;
    const held = await readOwner(path);
    if (!held) continue; // released between our attempt and the read: try again at once
    if (staleReason(held, staleMs, Date.now())) {
      await breakStaleLock(path, held);
      continue;
    }
    if (Date.now() - started >= timeoutMs) throw new LockTimeoutError(name, Date.now() - started, `${describeOwner(held.owner)} (${path})`);
    await sleep(retryDelay(attempt));
  }
  try {
    return await fn();
  } finally {
    const held = await readOwner(path);
    if (held?.owner?.token === me.token) await unlink(path).catch(() => undefined);
  }
}
