import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DATA_DIR, MODEL_DIR, REPO_ROOT, SERVICE_NAMES, entryPath, hasModelAt } from '@petal/stack';

export { DATA_DIR, MODEL_DIR, REPO_ROOT, startStack, type RunningStack } from '@petal/stack';
export const CHROMIUM = process.env.PETAL_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser test cannot run here, or '' when everything it needs is present. */
export function e2eSkipReason(): string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PETAL_CHROMIUM)`;
  if (!existsSync(DATA_DIR)) return `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`;
  for (const name of SERVICE_NAMES) if (!existsSync(entryPath(name))) return `the ${name} service entry ${entryPath(name)} is missing`;
  if (!hasModelAt(MODEL_DIR)) return `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`;
  return '';
}

/**
 * A production build of the UI into `outDir`, as `npm run build -w @petal/web` makes it. vitest sets
 * NODE_ENV=test, under which Vite and the React plugin would build React's development variant, so the
 * build runs with NODE_ENV=production and the old value is put back after.
 */
export async function buildUi(outDir: string): Promise<void> {
  const { build } = await import('vite');
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: resolve(REPO_ROOT, 'apps/web/vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
}
