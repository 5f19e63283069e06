/**
 * The SageMaker deploy settings from the environment. Apart from config.ts so that the deploy Lambda
 * (lambda.ts) imports none of the local deployer's dependencies (@petal/model: onnxruntime-node, sharp),
 * which are native modules a Lambda bundle does not carry.
 */
import { ProductionVariantInstanceType } from '@aws-sdk/client-sagemaker';
import type { SageMakerDeployConfig, SageMakerTrafficRouting } from './sagemaker-deployer.js';

export class DeployConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployConfigError';
  }
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

export function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback?: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new DeployConfigError(`${name} is not set`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new DeployConfigError(`${name}=${raw}: expected an integer ≥ ${min}`);
  return value;
}
