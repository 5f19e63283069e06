import { RegistryError } from './errors.js';
import type { Deployer, DeployOutcome, DeploymentRecord, ModelPackage, ModelRegistry } from './types.js';

export interface DeployVersionResult {
  package: ModelPackage;
  outcome: DeployOutcome;
  /** Set when the deployer put the version on the endpoint and the registry recorded it. */
  record?: DeploymentRecord;
  message: string;
}

/**
 * Deploys one approved version through the Deployer and, when it took, records it as the group's deployed
 * version. A deployer that fails (and rolls back itself) leaves the registry's record as it was.
 */
export async function deployVersion(
  registry: ModelRegistry,
  deployer: Deployer,
  group: string,
  version: number,
  options: { by?: string } = {},
): Promise<DeployVersionResult> {
  const pkg = await registry.get(group, version);
  if (pkg.approval !== 'Approved') {
    throw new RegistryError(
      'NOT_APPROVED',
      `${group} version ${version} is ${pkg.approval}: only an Approved version can be deployed (npm run registry -- approve ${version})`,
    );
  }
  const outcome = await deployer.deploy(pkg);
  if (!outcome.deployed) {
    const back = outcome.rolledBackTo ? `; rolled back to version ${outcome.rolledBackTo.version}` : '';
    return { package: pkg, outcome, message: `${group} version ${version} was not deployed: ${outcome.message}${back}` };
  }
  const record = await registry.recordDeployment(group, version, options);
  const replaced = record.previous !== undefined ? ` (replacing version ${record.previous})` : '';
  return { package: pkg, outcome, record, message: `${group} version ${version} deployed${replaced}: ${outcome.message}` };
}
