import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A cheap fingerprint of a local file or folder for the step cache: every file's relative path, size and
 * modification time (no contents read), so the whole flower set takes milliseconds. A photo replaced
 * in place with the same size and time would go unnoticed; anything a person does to a data set
 * (add, remove, edit, copy anew) changes it.
 */
export async function quickFingerprint(path: string, skip: ReadonlySet<string> = new Set()): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.') || skip.has(entry.name)) continue;
      const full = join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(full, relPath);
      else if (entry.isFile()) {
        const s = await stat(full);
        lines.push(`${relPath}\t${s.size}\t${Math.round(s.mtimeMs)}`);
      }
    }
  };
  const s = await stat(path);
  if (s.isDirectory()) await walk(path, '');
  else lines.push(`\t${s.size}\t${Math.round(s.mtimeMs)}`);
  return `quick:${sha256(lines.join('\n'))}`;
}

/** The code the jobs run from (the pipeline, training, evaluation and model packages). */
export const CODE_PATHS = ['ml/training', 'ml/evaluation', 'ml/pipeline', 'packages/model', 'packages/imaging', 'package-lock.json'];

/**
 * The version of the code a job runs: the git commit, plus a digest of uncommitted changes under
 * `CODE_PATHS` (so editing training code without committing does not reuse an old model); outside a git
 * checkout, a quick fingerprint of those folders' files (names, sizes, times).
 */
export async function codeVersion(repoRoot: string): Promise<string> {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    const commit = git(['rev-parse', 'HEAD']).trim();
    const diff = git(['diff', 'HEAD', '--', ...CODE_PATHS]);
    const untracked = git(['ls-files', '--others', '--exclude-standard', '--', ...CODE_PATHS]);
    return diff || untracked ? `${commit}+dirty.${sha256(diff + untracked).slice(0, 12)}` : commit;
  } catch {
    const parts = await Promise.all(CODE_PATHS.map((p) => quickFingerprint(join(repoRoot, p), SKIP_IN_CODE).catch(() => 'missing')));
    return `files:${sha256(parts.join('\n')).slice(0, 32)}`;
  }
}

const SKIP_IN_CODE = new Set(['node_modules', 'dist']);

/** The cache key of one job step from everything that decides its outputs. */
export function cacheKey(material: unknown): string {
  return sha256(JSON.stringify(material));
}

/** ISO-8601 durations as SageMaker's CacheConfig.ExpireAfter takes them (`P30D`, `PT1H`, `P1DT12H`), in ms. */
export function durationMs(iso: string): number {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) throw new Error(`cache expireAfter ${iso} is not an ISO-8601 duration (P30D, PT1H)`);
  const [w, d, h, m, s] = match.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + m) * 60 + s) * 1000;
}
