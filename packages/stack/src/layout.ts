/**
 * Where things are in a Petal checkout: the repository root, and the shipped model and the flower photos
 * the local stack and the tests use by default.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findRepoRoot } from './repo-root.js';

export { findRepoRoot };

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
