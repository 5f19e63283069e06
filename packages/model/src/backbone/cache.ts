/**
 * Where generated backbone files live, and how they get there without ever being seen half-written.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: the nearest ancestor of this file whose package.json declares workspaces. */
function findRepoRoot(from: string): string | undefined {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // unreadable package.json: not our root, keep walking
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * `explicit` ?? `PETAL_CACHE_DIR` ?? `<repo>/.cache/petal` (gitignored) ?? `node_modules/.cache/petal`
 * (the usual home of tool caches when the code runs outside the repository, e.g. in a container).
 */
export function resolveCacheDir(explicit?: string): string {
  if (explicit) return path.resolve(explicit);
  const fromEnv = process.env.PETAL_CACHE_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const root = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
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
