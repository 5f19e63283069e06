import type { ModelRegistry } from '@petal/registry';

/** The part of the registry that says what is deployed. */
export type DeployedLookup = Pick<ModelRegistry, 'deployed' | 'get'>;

export interface DeployedModel {
  version: number;
  accuracy: number;
}

/**
 * The version of `group` the registry records as deployed and the test accuracy it was registered
 * with; undefined when nothing is deployed. `pipeline start` and the local executor fill the
 * `deployed-accuracy` parameter from it (0 when undefined).
 */
export async function deployedModel(registry: DeployedLookup, group: string): Promise<DeployedModel | undefined> {
  const record = await registry.deployed(group);
  if (!record) return undefined;
  const pkg = await registry.get(group, record.version);
  return { version: record.version, accuracy: pkg.metrics.accuracy };
}
