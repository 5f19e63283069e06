/**
 * Keys name objects inside a store, the same way on disk and in S3: `/`-separated, relative, no `.` or `..`
 * segments, no empty segments. Checked once here so a key can never escape the store's root folder.
 */
export class StoreKeyError extends Error {
  constructor(key: string, why: string) {
    super(`store key ${JSON.stringify(key)} ${why}`);
    this.name = 'StoreKeyError';
  }
}

export function checkKey(key: string): string {
  if (key === '') throw new StoreKeyError(key, 'is empty');
  if (key.startsWith('/')) throw new StoreKeyError(key, 'must be relative (no leading /)');
  if (key.includes('\\')) throw new StoreKeyError(key, 'must use / as separator');
  for (const segment of key.split('/')) {
    if (segment === '') throw new StoreKeyError(key, 'has an empty segment');
    if (segment === '.' || segment === '..') throw new StoreKeyError(key, `has a "${segment}" segment`);
  }
  return key;
}

/** A prefix is a key or '' (everything); a trailing '/' is allowed and kept. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** `a/b` + `c/d` → `a/b/c/d`, with '' meaning the root. */
export function joinKey(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .join('/');
}

/** Lock names become keys under `.locks/`: one segment of safe characters. */
export function checkLockName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) {
    throw new StoreKeyError(name, 'is not a valid lock name (letters, digits, . _ -; at most 128)');
  }
  return name;
}
