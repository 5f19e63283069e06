/**
 * `createDeployer(env)`: the deploy target from the environment. `PETAL_DEPLOY_TARGET=local` (default)
 * deploys into the running local endpoint; `sagemaker` onto a SageMaker endpoint. Every variable and its
 * default is in the package README.
 */
import { ProductionVariantInstanceType, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { repoPath } from '@petal/stack';
import { storeDownloader, type ArtifactDownloader } from './artifact-download.js';
import type { Deployer } from './deploy-target.js';
import { LocalDeployer, type LocalDeployerOptions } from './local-deployer.js';
import { SageMakerDeployer, type SageMakerDeployConfig, type SageMakerTrafficRouting } from './sagemaker-deployer.js';

export const DEFAULT_ENDPOINT_URL = 'http://127.0.0.1:8080';
/** Beside the artifact store's default root (.petal/store), in the repository's ignored data folder. */
export const DEFAULT_DEPLOY_DIR = repoPath('.petal/deployments');

export class DeployConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployConfigError';
  }
}

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

export function sagemakerDeployConfig(env: NodeJS.ProcessEnv): SageMakerDeployConfig {
  const serverless = env.PETAL_SAGEMAKER_SERVERLESS === '1' || env.PETAL_SAGEMAKER_SERVERLESS === 'true';
  const waitIntervalSeconds = positiveInt(env, 'PETAL_SAGEMAKER_CANARY_WAIT_SECONDS', 600);
  const routing = env.PETAL_SAGEMAKER_TRAFFIC ?? (serverless ? 'ALL_AT_ONCE' : 'CANARY');
  let trafficRouting: SageMakerTrafficRouting;
  if (routing === 'CANARY') {
    const size = env.PETAL_SAGEMAKER_CANARY_SIZE ?? '50%';
    const match = /^(\d+)(%?)$/.exec(size);
    if (!match) throw new DeployConfigError(`PETAL_SAGEMAKER_CANARY_SIZE=${size}: expected a percentage (25%) or an instance count (1)`);
    trafficRouting = { type: 'CANARY', canarySize: { type: match[2] ? 'CAPACITY_PERCENT' : 'INSTANCE_COUNT', value: Number(match[1]) }, waitIntervalSeconds };
  } else if (routing === 'ALL_AT_ONCE') {
    trafficRouting = { type: 'ALL_AT_ONCE', waitIntervalSeconds };
  } else {
    throw new DeployConfigError(`PETAL_SAGEMAKER_TRAFFIC=${routing}: expected CANARY or ALL_AT_ONCE`);
  }
  const maximumExecutionTimeoutSeconds = positiveInt(env, 'PETAL_SAGEMAKER_MAX_DEPLOY_SECONDS', 3600);
  return {
    endpointName: env.PETAL_SAGEMAKER_ENDPOINT || 'image-classifier',
    imageUri: required(env, 'PETAL_SAGEMAKER_IMAGE', 'the inference image URI (the endpoint container in ECR)'),
    executionRoleArn: required(env, 'PETAL_SAGEMAKER_ROLE_ARN', 'the execution role SageMaker assumes'),
    capacity: serverless
      ? { kind: 'serverless', memorySizeInMB: positiveInt(env, 'PETAL_SAGEMAKER_SERVERLESS_MEMORY_MB', 3072), maxConcurrency: positiveInt(env, 'PETAL_SAGEMAKER_SERVERLESS_CONCURRENCY', 5) }
      : { kind: 'instances', instanceType: instanceType(env.PETAL_SAGEMAKER_INSTANCE_TYPE || 'ml.c6i.large'), instanceCount: positiveInt(env, 'PETAL_SAGEMAKER_INSTANCE_COUNT', 2) },
    trafficRouting,
    terminationWaitSeconds: positiveInt(env, 'PETAL_SAGEMAKER_TERMINATION_WAIT_SECONDS', 300, 0),
    maximumExecutionTimeoutSeconds,
    rollbackAlarms: required(env, 'PETAL_SAGEMAKER_ROLLBACK_ALARMS', 'the CloudWatch alarm(s) on the endpoint’s Invocation5XXErrors, comma-separated')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    // The wait outlasts SageMaker's own bound on the deployment, so it sees how the deployment ended.
    poll: { intervalMs: positiveInt(env, 'PETAL_SAGEMAKER_POLL_SECONDS', 30) * 1000, timeoutMs: (maximumExecutionTimeoutSeconds + 900) * 1000 },
  };
}

const INSTANCE_TYPES = new Set<string>(Object.values(ProductionVariantInstanceType));

function instanceType(value: string): ProductionVariantInstanceType {
  if (!INSTANCE_TYPES.has(value)) throw new DeployConfigError(`PETAL_SAGEMAKER_INSTANCE_TYPE=${value} is not a SageMaker hosting instance type (e.g. ml.c6i.large)`);
  return value as ProductionVariantInstanceType;
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (!value) throw new DeployConfigError(`${name} is not set: ${what}`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback?: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new DeployConfigError(`${name} is not set`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new DeployConfigError(`${name}=${raw}: expected an integer ≥ ${min}`);
  return value;
}
