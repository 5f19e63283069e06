import { existsSync } from 'node:fs';
import { DATA_DIR, MODEL_DIR, entryPath, hasModelAt } from '@petal/stack';

export { DATA_DIR, MODEL_DIR, REPO_ROOT, spawnService, waitFor200, wiringEnv, type ServiceProcess as Service } from '@petal/stack';

export const hasData = existsSync(DATA_DIR);
export const hasModel = hasModelAt(MODEL_DIR);
export const hasEndpoint = existsSync(entryPath('endpoint'));
export const SKIP_REASON = !hasEndpoint
  ? `apps/endpoint/src/main.ts is missing`
  : !hasModel
    ? `no model at ${MODEL_DIR}: train one with \`npm run train -- --data ../shared/datasets/flowers --out models/flower-classifier\` or set PETAL_MODEL_DIR`
    : !hasData
      ? `no flower photos at ${DATA_DIR}: put the data set at ../shared/datasets/flowers or set PETAL_DATA_DIR`
      : '';
