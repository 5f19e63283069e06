/**
 * Finding the repository root, with no side effects on import: runtime packages (the model cache, the
 * endpoint's default model) import this subpath, `@petal/stack/repo-root`, and work outside a checkout too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function declaresWorkspaces(manifest: string): boolean {
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined;
  } catch {
    return false; // a broken package.json is not the root's, which npm itself reads
  }
}

/**
 * The nearest folder at or above `from` whose package.json declares npm `workspaces`, or undefined when
 * there is none (an installed package outside a checkout). Found by looking rather than by counting `..`,
 * so a file can move without its paths breaking, and the same code works from `src/` and from `dist/`.
 */
export function repoRootAbove(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (declaresWorkspaces(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Like `repoRootAbove`, for code that only makes sense inside a checkout (tests, scripts): throws outside. */
export function findRepoRoot(from: string): string {
  const root = repoRootAbove(from);
  if (root === undefined) throw new Error(`no package.json with "workspaces" at or above ${from}: not inside a Petal checkout`);
  return root;
}
