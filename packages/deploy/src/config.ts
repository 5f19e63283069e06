/**
 * `createDeployer(env)`: the deploy target from the environment. `PETAL_DEPLOY_TARGET=local` (default)
 * deploys into the running local endpoint; `sagemaker` onto a SageMaker endpoint. Every variable and its
 * default is in the package README.
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { repoPath } from '@petal/stack';
import { storeDownloader, type ArtifactDownloader } from './artifact-download.js';
import type { Deployer } from './deploy-target.js';
import { LocalDeployer, type LocalDeployerOptions } from './local-deployer.js';
import { DeployConfigError, positiveInt, sagemakerDeployConfig } from './sagemaker-config.js';
import { SageMakerDeployer } from './sagemaker-deployer.js';

export { DeployConfigError, sagemakerDeployConfig };

export const DEFAULT_ENDPOINT_URL = 'http://127.0.0.1:8080';
/** Beside the artifact store's default root (.petal/store), in the repository's ignored data folder. */
export const DEFAULT_DEPLOY_DIR = repoPath('.petal/deployments');

export interface CreateDeployerOptions {
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** Fetches s3:// artifacts for the local target; default: `@petal/store` with its default S3 client. */
  download?: ArtifactDownloader;
  /** For the SageMaker target; default: a client for `AWS_REGION` with the default credential chain. */
  sagemakerClient?: SageMakerClient;
}

export function createDeployer(env: NodeJS.ProcessEnv, options: CreateDeployerOptions = {}): Deployer {
  const target = env.PETAL_DEPLOY_TARGET ?? 'local';
  // Progress goes to stderr, so a pipeline step's log shows it and a `--json` answer on stdout stays clean.
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (target === 'local') return new LocalDeployer({ ...localDeployerOptions(env), log, download: options.download ?? storeDownloader() });
  if (target === 'sagemaker') {
    const client = options.sagemakerClient ?? new SageMakerClient(env.AWS_REGION ? { region: env.AWS_REGION } : {});
    return new SageMakerDeployer(sagemakerDeployConfig(env), { client, log });
  }
  throw new DeployConfigError(`PETAL_DEPLOY_TARGET=${target}: expected local or sagemaker`);
}

export function localDeployerOptions(env: NodeJS.ProcessEnv): LocalDeployerOptions {
  return {
    endpointUrl: env.PETAL_ENDPOINT_URL || DEFAULT_ENDPOINT_URL,
    adminToken: env.ADMIN_TOKEN || undefined,
    deployRoot: env.PETAL_DEPLOY_DIR || DEFAULT_DEPLOY_DIR,
    smokeDataRoot: env.PETAL_SMOKE_DATA || undefined,
    smokePerClass: env.PETAL_SMOKE_PER_CLASS ? positiveInt(env, 'PETAL_SMOKE_PER_CLASS') : undefined,
  };
}
