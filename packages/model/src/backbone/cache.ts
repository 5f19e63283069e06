/**
 * Where generated backbone files live, and how they get there without ever being seen half-written.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRootAbove } from '@petal/stack/repo-root';

/**
 * `explicit` ?? `PETAL_CACHE_DIR` ?? `<repo>/.cache/petal` (gitignored) ?? `node_modules/.cache/petal`
 * (the usual home of tool caches when the code runs outside the repository, e.g. in a container).
 */
export function resolveCacheDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const fromEnv = process.env.PETAL_CACHE_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const root = repoRootAbove(path.dirname(fileURLToPath(import.meta.url)));
  if (root) return path.join(root, '.cache', 'petal');
  return path.join(nodeModulesDir(), '.cache', 'petal');
}

/** The node_modules folder this installation's packages live in, found from ONNX Runtime's location. */
function nodeModulesDir(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = entry.lastIndexOf(marker);
  return at >= 0 ? entry.slice(0, at + marker.length - 1) : path.dirname(entry);
}

/**
 * Write to a uniquely named temp file in the same directory, then rename: rename is atomic within a
 * file system, so concurrent writers (threads or processes) each publish a complete file and readers
 * see either the old or a new one, never a torn one.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
