/**
 * Names of the SageMaker resources one deploy creates. They carry the registered version so a person can
 * read them in the console (`flower-classifier-v3-1a2b3c`), end in a short hash so a redeploy of the same
 * version never collides with an existing model or endpoint config (SageMaker refuses duplicate names),
 * and fit SageMaker's rule for model and endpoint-config names: at most 63 characters, letters, digits
 * and hyphens, starting with a letter or digit.
 */
import { createHash } from 'node:crypto';

export const SAGEMAKER_NAME_MAX = 63;
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The tags every resource a deploy creates carries, so `current()` can read back which registered version an endpoint config holds. */
export const GROUP_TAG = 'petal:model-package-group';
export const VERSION_TAG = 'petal:model-package-version';

export function deployResourceName(group: string, version: number, salt: string): string {
  const hash = createHash('sha256').update(`${group}\n${version}\n${salt}`).digest('hex').slice(0, 6);
  const suffix = `-v${version}-${hash}`;
  const base = group
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SAGEMAKER_NAME_MAX - suffix.length)
    .replace(/-+$/, '');
  const name = `${base || 'model'}${suffix}`;
  if (!NAME_PATTERN.test(name)) throw new Error(`cannot make a SageMaker name from group ${JSON.stringify(group)} (got ${name})`);
  return name;
}

export function isValidSageMakerName(name: string): boolean {
  return NAME_PATTERN.test(name);
}
