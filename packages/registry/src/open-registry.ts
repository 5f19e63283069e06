import { openStore, storeRootFromEnv } from '@petal/store';
import { hookFromEnv } from './hook.js';
import { LocalModelRegistry } from './local-registry.js';
import type { RegistryOptions } from './registry-core.js';
import { SageMakerModelRegistry } from './sagemaker-registry.js';
import type { ModelRegistry } from './types.js';

export const DEFAULT_GROUP = 'flower-classifier';

/**
 * The registry the environment names: `PETAL_REGISTRY=sagemaker` (with `PETAL_INFERENCE_IMAGE`, the
 * endpoint image's ECR URI) for SageMaker's Model Registry, else the local one in the store that
 * `PETAL_STORE` names. `PETAL_REGISTRY_HOOK` adds the hook command as a state-change handler.
 */
export function openRegistry(env: NodeJS.ProcessEnv = process.env, options: RegistryOptions = {}): ModelRegistry {
  const hook = hookFromEnv(env);
  const handlers = [...(options.handlers ?? []), ...(hook ? [hook] : [])];
  const kind = env.PETAL_REGISTRY?.trim() || 'local';
  if (kind === 'sagemaker') {
    const image = env.PETAL_INFERENCE_IMAGE?.trim();
    if (!image) throw new Error('PETAL_REGISTRY=sagemaker needs PETAL_INFERENCE_IMAGE: the endpoint image URI the model packages name');
    return new SageMakerModelRegistry({ ...options, handlers, image });
  }
  if (kind !== 'local') throw new Error(`PETAL_REGISTRY=${kind}: expected "local" or "sagemaker"`);
  return new LocalModelRegistry(openStore(storeRootFromEnv(env)), { ...options, handlers, ...(env.PETAL_INFERENCE_IMAGE ? { image: env.PETAL_INFERENCE_IMAGE } : {}) });
}
