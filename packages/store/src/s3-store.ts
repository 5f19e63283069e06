import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { z } from 'zod';
import { parseJsonObject } from './json.js';
import { checkKey, checkLockName, checkPrefix, joinKey } from './keys.js';
import { pidAlive } from './local-lock.js';
import { writeFileAtomic } from './local-store.js';
import { newLockOwner, parseLockOwner, retryDelay, sleep } from './lock-owner.js';
import {
  DEFAULT_LOCK_STALE_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  LOCKS_PREFIX,
  LockTimeoutError,
  StoreNotFoundError,
  copyPrefixToDir,
  describeOwner,
  type ArtifactStore,
  type LockOptions,
} from './store.js';

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3://bucket/prefix URI`);
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  return { bucket: match[1]!, prefix: prefix === '' ? '' : `${prefix}/` };
}

/** An S3 client configured the SDK's usual way; `AWS_ENDPOINT_URL_S3` points it at an S3-compatible server. */
export function defaultS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // S3-compatible local servers rarely do virtual-hosted buckets.
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

const status = (err: unknown) => (err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined);
const isNotFound = (err: unknown) =>
  status(err) === 404 || (err instanceof Error && (err.name === 'NoSuchKey' || err.name === 'NotFound'));

async function localFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The store in S3: `s3://bucket/prefix`. Every key lives at `<prefix><key>`. */
export class S3Store implements ArtifactStore {
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;

  constructor(
    root: string,
    private readonly client: S3Client = defaultS3Client(),
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(root));
    this.root = `s3://${this.bucket}${this.prefix ? `/${this.prefix.slice(0, -1)}` : ''}`;
  }

  private objectKey(key: string): string {
    return `${this.prefix}${checkKey(key)}`;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async putBytes(key: string, bytes: Uint8Array | string): Promise<string> {
    // One PutObject is atomic: readers see the old object or the whole new one.
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Body: bytes }));
    return this.uri(key);
  }

  async putFile(key: string, localPath: string): Promise<string> {
    // Artifacts are megabytes: a buffer keeps the upload a single signed PutObject (no chunked streaming).
    return this.putBytes(key, await readFile(localPath));
  }

  async putDir(prefix: string, localDir: string): Promise<string> {
    for (const file of await localFiles(localDir)) {
      await this.putFile(joinKey(prefix, relative(localDir, file).split(sep).join('/')), file);
    }
    return this.uri(prefix);
  }

  writeJson(key: string, value: unknown): Promise<string> {
    return this.putBytes(key, `${JSON.stringify(value, null, 2)}\n`);
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) throw new StoreNotFoundError(this.uri(key));
      throw err;
    }
  }

  async getFile(key: string, localPath: string): Promise<string> {
    const bytes = await this.getBytes(key);
    await writeFileAtomic(localPath, (temp) => writeFile(temp, bytes));
    return localPath;
  }

  getDir(prefix: string, localDir: string): Promise<string> {
    return copyPrefixToDir(this, prefix, localDir);
  }

  async readJson<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    let bytes: Buffer;
    try {
      bytes = await this.getBytes(key);
    } catch (err) {
      if (err instanceof StoreNotFoundError) return undefined;
      throw err;
    }
    return parseJsonObject(bytes.toString('utf8'), schema, this.uri(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: `${this.prefix}${prefix}` })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.prefix.length);
        if (key && !key.endsWith('/') && !key.startsWith(LOCKS_PREFIX)) keys.push(key);
      }
    }
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /**
   * The lock is an object created with `If-None-Match: *` (S3 conditional writes): of two writers only one
   * gets 200, the other 412. Taking over a stale lock and releasing one delete with `If-Match: <etag>`, so
   * neither can remove a lock that changed hands in between. Holders on other machines cannot be probed, so
   * there a lock is stale by age only; on this host a dead pid makes it stale at once too.
   */
  async withLock<T>(name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
    const Key = `${this.prefix}${LOCKS_PREFIX}${checkLockName(name)}.lock`;
    const me = newLockOwner();
    const started = Date.now();
    let etag: string | undefined;
    for (let attempt = 0; etag === undefined; attempt++) {
      me.createdAt = new Date().toISOString();
      try {
        const put = await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key, Body: JSON.stringify(me), IfNoneMatch: '*', ContentType: 'application/json' }),
        );
        etag = put.ETag ?? '';
        break;
      } catch (err) {
        // 412: someone holds it. 409: a concurrent conditional write on the same key; just try again.
        if (status(err) !== 412 && status(err) !== 409) throw err;
      }
      let held;
      try {
        held = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      } catch (err) {
        if (isNotFound(err)) continue; // released in between
        throw err;
      }
      const owner = parseLockOwner(await held.Body!.transformToString());
      const since = owner ? Date.parse(owner.createdAt) : (held.LastModified?.getTime() ?? Date.now());
      const deadHere = owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !pidAlive(owner.pid);
      if (Date.now() - since > staleMs || deadHere) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key, IfMatch: held.ETag })).catch((err: unknown) => {
          if (status(err) !== 412 && !isNotFound(err)) throw err; // someone else broke or renewed it first
        });
        continue;
      }
      if (Date.now() - started >= timeoutMs) {
        throw new LockTimeoutError(name, Date.now() - started, `${describeOwner(owner)} (s3://${this.bucket}/${Key})`);
      }
      await sleep(retryDelay(attempt));
    }
    try {
      return await fn();
    } finally {
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key, ...(etag ? { IfMatch: etag } : {}) }))
        .catch((err: unknown) => {
          if (status(err) !== 412 && !isNotFound(err)) throw err; // taken over as stale: not ours to delete
        });
    }
  }
}
