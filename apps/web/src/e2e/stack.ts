import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export { REPO_ROOT } from '@petal/service-kit/testing';
import { REPO_ROOT } from '@petal/service-kit/testing';
export const DATA_DIR = process.env.PETAL_DATA_DIR ?? resolve(REPO_ROOT, '../shared/datasets/flowers');
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? resolve(REPO_ROOT, 'models/flower-classifier');
export const CHROMIUM = process.env.PETAL_CHROMIUM ?? '/usr/bin/chromium';
export const ENTRIES = {
  endpoint: resolve(REPO_ROOT, 'apps/endpoint/src/main.ts'),
  was: resolve(REPO_ROOT, 'apps/was/src/main.ts'),
  web: resolve(REPO_ROOT, 'apps/web/src/server/main.ts'),
};

/** Why the browser test cannot run here, or '' when everything it needs is present. */
export function e2eSkipReason(): string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PETAL_CHROMIUM)`;
  if (!existsSync(DATA_DIR)) return `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`;
  for (const [name, path] of Object.entries(ENTRIES)) if (!existsSync(path)) return `the ${name} service entry ${path} is missing`;
  const hasModel = existsSync(join(MODEL_DIR, 'manifest.json')) || (/\.tar\.gz$/.test(MODEL_DIR) && existsSync(MODEL_DIR));
  if (!hasModel) return `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`;
  return '';
}

export { freePort, spawnService, waitFor200 as until200, type ServiceProcess as Service } from '@petal/service-kit/testing';
import { spawnService, type ServiceProcess } from '@petal/service-kit/testing';

/** Runs a service's real entry point from source, as `npm start` does, on a free loopback port. */
export function startService(name: string, main: string, env: Record<string, string>): ServiceProcess {
  return spawnService(main, env, { name });
}
