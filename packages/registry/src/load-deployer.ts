import { fileURLToPath } from 'node:url';
import { RegistryError } from './errors.js';
import type { Deployer } from './types.js';

/** The package that provides deployers; imported by name at run time so the registry does not depend on it. */
export const DEPLOY_PACKAGE = '@petal/deploy';

/** Whether an import failed because `specifier` itself is missing (not something it imports). */
function isMissing(err: NodeJS.ErrnoException, specifier: string): boolean {
  if (err.code !== 'ERR_MODULE_NOT_FOUND' && err.code !== 'MODULE_NOT_FOUND') return false;
  const name = specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier;
  return err.message.includes(`'${name}'`) || err.message.includes(`"${name}"`);
}

/**
 * The composition point between the registry and the deploy package: `createDeployer(env)` from
 * `@petal/deploy` (or the module `PETAL_DEPLOYER_MODULE` names: a package or a file:// URL), else a
 * `RegistryError` NO_DEPLOYER, on which the CLI exits 2.
 */
export async function loadDeployer(env: NodeJS.ProcessEnv = process.env): Promise<Deployer> {
  const specifier = env.PETAL_DEPLOYER_MODULE?.trim() || DEPLOY_PACKAGE;
  let mod: { createDeployer?: unknown };
  try {
    mod = (await import(specifier)) as { createDeployer?: unknown };
  } catch (err) {
    // Only "that module is not there" means no deployer; a deploy package that fails to load is a bug to show.
    if (isMissing(err as NodeJS.ErrnoException, specifier)) {
      throw new RegistryError('NO_DEPLOYER', `no deployer installed: ${specifier} is not available, so versions cannot be deployed from here`);
    }
    throw err;
  }
  if (typeof mod.createDeployer !== 'function') {
    throw new RegistryError('NO_DEPLOYER', `no deployer installed: ${specifier} does not export createDeployer(env)`);
  }
  return (mod.createDeployer as (env: NodeJS.ProcessEnv) => Deployer | Promise<Deployer>)(env);
}
