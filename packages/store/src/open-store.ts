import type { S3Client } from '@aws-sdk/client-s3';
import { repoRootAbove } from '@petal/stack/repo-root';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalStore } from './local-store.js';
import { S3Store, defaultS3Client } from './s3-store.js';
import type { ArtifactStore } from './store.js';

/**
 * The store's root URI: `PETAL_STORE` (an `s3://bucket/prefix`, a `file://` URI or a plain path, relative to
 * the working folder), else `<repository>/.petal/store` (ignored by git), else `~/.petal/store` outside a
 * checkout.
 */
export function storeRootFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.PETAL_STORE?.trim();
  if (configured) return normalizeStoreRoot(configured);
  const repo = repoRootAbove(dirname(fileURLToPath(import.meta.url)));
  return pathToFileURL(repo ? join(repo, '.petal', 'store') : join(homedir(), '.petal', 'store')).href;
}

/** Any accepted spelling of a root as its URI. */
export function normalizeStoreRoot(root: string): string {
  if (root.startsWith('s3://')) return root.replace(/\/+$/, '');
  if (root.startsWith('file://')) return pathToFileURL(fileURLToPath(root)).href;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(root)) throw new Error(`store root ${root}: only file:// and s3:// stores exist`);
  return pathToFileURL(resolve(root)).href;
}

/**
 * Opens the store at `root` (default: `storeRootFromEnv()`), picking the backend by the URI's scheme.
 * `s3Client` replaces the default S3 client (tests, custom endpoints).
 */
export function openStore(root: string = storeRootFromEnv(), options: { s3Client?: S3Client } = {}): ArtifactStore {
  const uri = normalizeStoreRoot(root);
  if (uri.startsWith('s3://')) return new S3Store(uri, options.s3Client ?? defaultS3Client());
  return new LocalStore(fileURLToPath(uri));
}
