/**
 * Where things are in a Petal checkout: the repository root, and the shipped model and the flower photos
 * the local stack and the tests use by default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The nearest folder at or above `from` whose package.json declares npm `workspaces`: the repository root.
 * Found by looking rather than by counting `..`, so a file can move without its paths breaking, and the
 * same code works from `src/` (tsx) and from `dist/`.
 */
export function findRepoRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (declaresWorkspaces(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json with "workspaces" at or above ${from}: not inside a Petal checkout`);
  }
}

function declaresWorkspaces(manifest: string): boolean {
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined;
  } catch {
    return false; // a broken package.json is not the root's, which npm itself reads
  }
}

export const REPO_ROOT = findRepoRoot(import.meta.dirname);

/** An absolute path from a repository-relative one. */
export const repoPath = (...segments: string[]): string => resolve(REPO_ROOT, ...segments);

/** The flower photos: PETAL_DATA_DIR, else `../shared/datasets/flowers` beside the checkout. */
export const DATA_DIR = process.env.PETAL_DATA_DIR ?? resolve(REPO_ROOT, '../shared/datasets/flowers');

/** The model the local stack serves: PETAL_MODEL_DIR (a model folder or a model.tar.gz), else the shipped one. */
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? repoPath('models/flower-classifier');

/** Whether `dir` holds a model the endpoint can load: a folder with a manifest, or a model.tar.gz. */
export function hasModelAt(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json')) || (/\.tar\.gz$/.test(dir) && existsSync(dir));
}
