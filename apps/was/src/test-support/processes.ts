import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export { REPO_ROOT } from '@petal/service-kit/testing';
import { REPO_ROOT } from '@petal/service-kit/testing';
export const DATA_DIR = process.env.PETAL_DATA_DIR ?? resolve(REPO_ROOT, '../shared/datasets/flowers');
export const MODEL_DIR = process.env.PETAL_MODEL_DIR ?? resolve(REPO_ROOT, 'models/flower-classifier');
export const ENDPOINT_MAIN = resolve(REPO_ROOT, 'apps/endpoint/src/main.ts');
export const WAS_MAIN = resolve(REPO_ROOT, 'apps/was/src/main.ts');

export const hasData = existsSync(DATA_DIR);
export const hasModel = existsSync(join(MODEL_DIR, 'manifest.json')) || (/\.tar\.gz$/.test(MODEL_DIR) && existsSync(MODEL_DIR));
export const hasEndpoint = existsSync(ENDPOINT_MAIN);
export const SKIP_REASON = !hasEndpoint
  ? `apps/endpoint/src/main.ts is missing`
  : !hasModel
    ? `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`
    : !hasData
      ? `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`
      : '';

export { spawnService, waitFor200, type ServiceProcess as Service } from '@petal/service-kit/testing';
