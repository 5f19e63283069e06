import { join } from 'node:path';
import type { z } from 'zod';

/**
 * The artifact store: objects named by key under one root URI, `file:///…` (a local folder) or
 * `s3://bucket/prefix`. Callers use this interface only, so a pipeline runs the same code against a laptop
 * folder and an S3 bucket.
 *
 * - Every write is atomic: a reader sees the old object or the new one, never a partial file
 *   (temp file + rename on disk; S3's PutObject is atomic by itself).
 * - `withLock` serializes read-modify-write sections across processes (and across machines on S3).
 */
export interface ArtifactStore {
  /** The root, as a URI: `file:///abs/path` or `s3://bucket/prefix`. */
  readonly root: string;
  /** The URI of the object at `key`: `file:///root/key` or `s3://bucket/prefix/key`. */
  uri(key: string): string;

  putBytes(key: string, bytes: Uint8Array | string): Promise<string>;
  /** Copies a local file to `key`; returns its URI. */
  putFile(key: string, localPath: string): Promise<string>;
  /** Copies every file under a local folder to `prefix/<relative path>`; returns the prefix's URI. */
  putDir(prefix: string, localDir: string): Promise<string>;
  writeJson(key: string, value: unknown): Promise<string>;

  /** The object's bytes; throws `StoreNotFoundError` when there is none. */
  getBytes(key: string): Promise<Buffer>;
  /** Copies the object to a local path (atomically there too); returns that path. */
  getFile(key: string, localPath: string): Promise<string>;
  /** Copies every object under `prefix` to `localDir`, keeping the layout below the prefix. */
  getDir(prefix: string, localDir: string): Promise<string>;
  /** The object parsed as JSON and checked with `schema`; `undefined` when there is no object. */
  readJson<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined>;

  exists(key: string): Promise<boolean>;
  /** Every key that starts with `prefix` (string prefix, as in S3), sorted; lock files are not listed. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;

  /**
   * Runs `fn` while holding the store-wide lock `name`, so read-modify-write sections in several processes
   * do not lose each other's updates. Waits at most `timeoutMs` (then `LockTimeoutError` naming the holder);
   * a lock whose holder died (same host, pid gone) or that is older than `staleMs` is taken over.
   */
  withLock<T>(name: string, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
}

export interface LockOptions {
  /** How long to wait for the lock before giving up (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is presumed abandoned and taken over (default 120 s). */
  staleMs?: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
export const DEFAULT_LOCK_STALE_MS = 120_000;

/** Where lock objects live, inside the store root; `list` leaves this prefix out. */
export const LOCKS_PREFIX = '.locks/';

/**
 * `getDir` for any backend: every object under `prefix` into `localDir`, keeping the key's folders below
 * the prefix. Both backends share it so a folder comes back the same from disk and from S3.
 */
export async function copyPrefixToDir(store: ArtifactStore, prefix: string, localDir: string): Promise<string> {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys = await store.list(base);
  if (keys.length === 0) throw new StoreNotFoundError(store.uri(prefix));
  for (const key of keys) await store.getFile(key, join(localDir, ...key.slice(base.length).split('/')));
  return localDir;
}

export class StoreNotFoundError extends Error {
  constructor(readonly uri: string) {
    super(`no object at ${uri}`);
    this.name = 'StoreNotFoundError';
  }
}

export class LockTimeoutError extends Error {
  constructor(name: string, waitedMs: number, holder: string) {
    const waited = waitedMs < 10_000 ? `${Math.round(waitedMs)} ms` : `${Math.round(waitedMs / 1000)} s`;
    super(`could not take the store lock "${name}" within ${waited}: held by ${holder}`);
    this.name = 'LockTimeoutError';
  }
}

/** What a lock object holds: enough to tell who holds it and whether that holder is gone. */
export interface LockOwner {
  token: string;
  pid: number;
  host: string;
  createdAt: string;
}

export function describeOwner(owner: LockOwner | undefined, now = Date.now()): string {
  if (!owner) return 'an unknown holder';
  const age = Math.round((now - Date.parse(owner.createdAt)) / 1000);
  return `pid ${owner.pid} on ${owner.host} since ${owner.createdAt} (${age} s ago)`;
}
