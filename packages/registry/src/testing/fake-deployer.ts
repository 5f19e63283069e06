/**
 * A Deployer for the CLI tests (PETAL_DEPLOYER_MODULE points here): the registry ↔ deployer seam, not a
 * deployment. It appends each call to FAKE_DEPLOY_LOG and refuses the version in FAKE_DEPLOY_FAIL, as a
 * deployer whose smoke test failed would, saying it rolled back.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { Deployer, ModelPackage } from '../types.js';

export function createDeployer(env: NodeJS.ProcessEnv): Deployer {
  const log = env.FAKE_DEPLOY_LOG;
  if (!log) throw new Error('FAKE_DEPLOY_LOG is not set');
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
  return {
    async deploy(pkg: ModelPackage) {
      const current = lines().filter((l) => l.startsWith('deployed ')).at(-1);
      if (String(pkg.version) === env.FAKE_DEPLOY_FAIL) {
        appendFileSync(log, `failed ${pkg.group} ${pkg.version}\n`);
        const back = current ? { group: pkg.group, version: Number(current.split(' ')[2]) } : undefined;
        return { deployed: false, message: 'smoke test failed: 2 of 16 photos misclassified', ...(back ? { rolledBackTo: back } : {}) };
      }
      appendFileSync(log, `deployed ${pkg.group} ${pkg.version}\n`);
      return { deployed: true, message: `endpoint serves ${pkg.modelName} ${pkg.modelVersion}` };
    },
    async current() {
      const last = lines().filter((l) => l.startsWith('deployed ')).at(-1);
      return last ? { group: last.split(' ')[1]!, version: Number(last.split(' ')[2]) } : undefined;
    },
  };
}
