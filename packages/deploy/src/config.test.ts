import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { loadDeployer } from '@petal/registry';
import { describe, expect, test } from 'vitest';
import { DEFAULT_DEPLOY_DIR, DeployConfigError, createDeployer, localDeployerOptions, sagemakerDeployConfig } from './config.js';
import { LocalDeployer } from './local-deployer.js';
import { SageMakerDeployer } from './sagemaker-deployer.js';

const SAGEMAKER_ENV = {
  PETAL_DEPLOY_TARGET: 'sagemaker',
  PETAL_SAGEMAKER_IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-endpoint:1',
  PETAL_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/petal',
  PETAL_SAGEMAKER_ROLLBACK_ALARMS: 'petal-5xx, petal-latency',
};

describe('createDeployer', () => {
  test('local by default, at the local endpoint, with the repository’s deploy folder', () => {
    expect(createDeployer({})).toBeInstanceOf(LocalDeployer);
    expect(localDeployerOptions({})).toEqual({ endpointUrl: 'http://127.0.0.1:8080', adminToken: undefined, deployRoot: DEFAULT_DEPLOY_DIR, smokeDataRoot: undefined, smokePerClass: undefined });
    expect(DEFAULT_DEPLOY_DIR).toMatch(/\.petal\/deployments$/);
  });

  test('local settings from the environment', () => {
    expect(localDeployerOptions({ PETAL_ENDPOINT_URL: 'http://127.0.0.1:9090', ADMIN_TOKEN: 't', PETAL_DEPLOY_DIR: '/d', PETAL_SMOKE_DATA: '/data', PETAL_SMOKE_PER_CLASS: '3' })).toEqual({
      endpointUrl: 'http://127.0.0.1:9090',
      adminToken: 't',
      deployRoot: '/d',
      smokeDataRoot: '/data',
      smokePerClass: 3,
    });
  });

  test('sagemaker: a canary on two instances, the alarms listed, polling outlasting SageMaker’s own bound', () => {
    expect(createDeployer(SAGEMAKER_ENV, { sagemakerClient: new SageMakerClient({ region: 'us-east-1' }) })).toBeInstanceOf(SageMakerDeployer);
    expect(sagemakerDeployConfig(SAGEMAKER_ENV)).toEqual({
      endpointName: 'image-classifier',
      imageUri: SAGEMAKER_ENV.PETAL_SAGEMAKER_IMAGE,
      executionRoleArn: SAGEMAKER_ENV.PETAL_SAGEMAKER_ROLE_ARN,
      capacity: { kind: 'instances', instanceType: 'ml.c6i.large', instanceCount: 2 },
      trafficRouting: { type: 'CANARY', canarySize: { type: 'CAPACITY_PERCENT', value: 50 }, waitIntervalSeconds: 600 },
      terminationWaitSeconds: 300,
      maximumExecutionTimeoutSeconds: 3600,
      rollbackAlarms: ['petal-5xx', 'petal-latency'],
      poll: { intervalMs: 30_000, timeoutMs: 4500_000 },
    });
  });

  test('sagemaker: serverless shifts all at once; an instance-count canary', () => {
    expect(sagemakerDeployConfig({ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_SERVERLESS: '1' })).toMatchObject({
      capacity: { kind: 'serverless', memorySizeInMB: 3072, maxConcurrency: 5 },
      trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 600 },
    });
    expect(sagemakerDeployConfig({ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_INSTANCE_COUNT: '4', PETAL_SAGEMAKER_CANARY_SIZE: '1' }).trafficRouting).toEqual({
      type: 'CANARY',
      canarySize: { type: 'INSTANCE_COUNT', value: 1 },
      waitIntervalSeconds: 600,
    });
  });

  test.each([
    [{ PETAL_DEPLOY_TARGET: 'kubernetes' }, /PETAL_DEPLOY_TARGET=kubernetes: expected local or sagemaker/],
    [{ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_IMAGE: '' }, /PETAL_SAGEMAKER_IMAGE is not set: the inference image URI/],
    [{ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_ROLLBACK_ALARMS: undefined }, /PETAL_SAGEMAKER_ROLLBACK_ALARMS is not set: .*Invocation5XXErrors/],
    [{ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_INSTANCE_TYPE: 'm5.large' }, /m5\.large is not a SageMaker hosting instance type/],
    [{ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_CANARY_SIZE: 'half' }, /PETAL_SAGEMAKER_CANARY_SIZE=half: expected a percentage/],
    [{ ...SAGEMAKER_ENV, PETAL_SAGEMAKER_INSTANCE_COUNT: '1' }, /needs 1–50% and at least 2 instances/],
    [{ PETAL_SMOKE_PER_CLASS: '0' }, /PETAL_SMOKE_PER_CLASS=0: expected an integer ≥ 1/],
  ])('refuses %j', (env, message) => {
    expect(() => createDeployer(env, { sagemakerClient: new SageMakerClient({ region: 'us-east-1' }) })).toThrow(message);
  });

  test('the registry finds this package’s createDeployer by name (its loadDeployer seam)', async () => {
    expect(await loadDeployer({ PETAL_ENDPOINT_URL: 'http://127.0.0.1:9' })).toBeInstanceOf(LocalDeployer);
  });

  test('configuration errors are DeployConfigErrors', () => {
    expect(() => createDeployer({ PETAL_DEPLOY_TARGET: 'x' })).toThrow(DeployConfigError);
  });
});
