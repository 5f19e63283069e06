import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { checkKey, checkLockName, checkPrefix, joinKey } from './keys.js';
import { withFileLock } from './local-lock.js';
import { parseJsonObject } from './json.js';
import { LOCKS_PREFIX, StoreNotFoundError, copyPrefixToDir, type ArtifactStore, type LockOptions } from './store.js';

/** Temp files carry this marker so `list` never shows a write in progress (or one a crash left behind). */
const TEMP_MARKER = '.petal-tmp-';

function tempPathFor(target: string): string {
  return join(dirname(target), `${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes through a temp file in the same folder and renames it over the target: rename is atomic on POSIX. */
export async function writeFileAtomic(target: string, write: (tempPath: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await write(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile() && !entry.name.startsWith(TEMP_MARKER)) files.push(path);
  }
  return files;
}

const toKey = (root: string, path: string) => relative(root, path).split(sep).join('/');

/** The store on local disk: `file:///…`. */
export class LocalStore implements ArtifactStore {
  readonly root: string;

  constructor(readonly dir: string) {
    this.root = pathToFileURL(dir).href;
  }

  private path(key: string): string {
    return join(this.dir, ...checkKey(key).split('/'));
  }

  uri(key: string): string {
    return pathToFileURL(this.path(key)).href;
  }

  async putBytes(key: string, bytes: Uint8Array | string): Promise<string> {
    await writeFileAtomic(this.path(key), (temp) => writeFile(temp, bytes));
    return this.uri(key);
  }

  async putFile(key: string, localPath: string): Promise<string> {
    await writeFileAtomic(this.path(key), (temp) => copyFile(localPath, temp));
    return this.uri(key);
  }

  async putDir(prefix: string, localDir: string): Promise<string> {
    const files = await walk(localDir);
    if (files.length === 0 && !(await stat(localDir)).isDirectory()) throw new Error(`${localDir} is not a folder`);
    for (const file of files) await this.putFile(joinKey(prefix, toKey(localDir, file)), file);
    return this.uri(prefix);
  }

  writeJson(key: string, value: unknown): Promise<string> {
    return this.putBytes(key, `${JSON.stringify(value, null, 2)}\n`);
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreNotFoundError(this.uri(key));
      throw err;
    }
  }

  async getFile(key: string, localPath: string): Promise<string> {
    if (!(await this.exists(key))) throw new StoreNotFoundError(this.uri(key));
    await writeFileAtomic(localPath, (temp) => copyFile(this.path(key), temp));
    return localPath;
  }

  getDir(prefix: string, localDir: string): Promise<string> {
    return copyPrefixToDir(this, prefix, localDir);
  }

  async readJson<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseJsonObject(text, schema, this.uri(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    // Walk only the folder the prefix names (or its parent, for a partial last segment).
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = folder === '' ? this.dir : join(this.dir, ...folder.split('/'));
    return (await walk(start))
      .map((path) => toKey(this.dir, path))
      .filter((key) => key.startsWith(prefix) && !key.startsWith(LOCKS_PREFIX))
      .sort();
  }

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  withLock<T>(name: string, fn: () => Promise<T>, options?: LockOptions): Promise<T> {
    return withFileLock(join(this.dir, ...LOCKS_PREFIX.split('/').filter(Boolean), `${checkLockName(name)}.lock`), name, fn, options);
  }
}
