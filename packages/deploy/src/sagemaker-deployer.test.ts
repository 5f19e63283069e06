/**
 * The SageMaker deployer's control-plane calls. They cannot run here (no AWS account, no network), so
 * these tests stand the SDK client in with `aws-sdk-client-mock`: every command the deployer sends is
 * answered by the mock, and the tests assert the exact request shapes (as in the SageMaker API
 * reference: CreateModel, CreateEndpointConfig, CreateEndpoint, UpdateEndpoint's DeploymentConfig),
 * the create-versus-update branch, the bounded InService wait and the silent-rollback detection. What
 * SageMaker itself does with these requests is not tested here.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateEndpointCommand,
  type DescribeEndpointCommandOutput,
  type EndpointStatus,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { SageMakerDeployer, checkConfig, type SageMakerDeployConfig } from './sagemaker-deployer.js';
import { GROUP_TAG, VERSION_TAG } from './sagemaker-names.js';

const ENDPOINT = 'image-classifier';
const ARTIFACT = 's3://petal-artifacts/flower-classifier/3/model.tar.gz';
const PKG = { group: 'flower-classifier', version: 3, artifactUri: ARTIFACT };
const OLD_CONFIG = 'flower-classifier-v2-aaaaaa';

const CONFIG: SageMakerDeployConfig = {
  endpointName: ENDPOINT,
  imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-endpoint:1.4.0',
  executionRoleArn: 'arn:aws:iam::123456789012:role/petal-sagemaker-execution',
  capacity: { kind: 'instances', instanceType: 'ml.c6i.large', instanceCount: 2 },
  trafficRouting: { type: 'CANARY', canarySize: { type: 'CAPACITY_PERCENT', value: 50 }, waitIntervalSeconds: 600 },
  terminationWaitSeconds: 300,
  maximumExecutionTimeoutSeconds: 3600,
  rollbackAlarms: ['petal-image-classifier-invocation-5xx'],
  poll: { intervalMs: 30_000, timeoutMs: 20 * 60_000 },
};

const notFound = () =>
  new SageMakerServiceException({ name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `Could not find endpoint "${ENDPOINT}".` });

const endpoint = (status: EndpointStatus, configName: string, extra: Partial<DescribeEndpointCommandOutput> = {}): DescribeEndpointCommandOutput => ({
  EndpointName: ENDPOINT,
  EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`,
  EndpointConfigName: configName,
  EndpointStatus: status,
  CreationTime: new Date(0),
  LastModifiedTime: new Date(0),
  $metadata: {},
  ...extra,
});

describe('SageMakerDeployer (SDK calls answered by aws-sdk-client-mock, no AWS)', () => {
  const client = new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sm = mockClient(client);
  let clock: number;
  let sleeps: number[];
  let lines: string[];

  const deployer = (config: SageMakerDeployConfig = CONFIG) =>
    new SageMakerDeployer(config, {
      client,
      log: (line) => lines.push(line),
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    });

  /** The name the deployer gave the new model and config (read from its CreateModel call). */
  const newName = () => sm.commandCalls(CreateModelCommand)[0]!.args[0].input.ModelName!;

  /** DescribeEndpoint answers in order: what the deployer finds first, then what each poll sees. The new config's name is only known once created, so answers are functions of it. */
  const describeSequence = (answers: Array<(name: string) => DescribeEndpointCommandOutput | Error>) => {
    let call = 0;
    sm.on(DescribeEndpointCommand).callsFake(() => {
      const answer = answers[Math.min(call++, answers.length - 1)]!(newName());
      if (answer instanceof Error) throw answer;
      return answer;
    });
  };

  const tagsOf = (group: string, version: number) => ({ Tags: [{ Key: GROUP_TAG, Value: group }, { Key: VERSION_TAG, Value: String(version) }] });

  beforeEach(() => {
    sm.reset();
    clock = 1_000_000;
    sleeps = [];
    lines = [];
    sm.on(CreateModelCommand).resolves({ ModelArn: 'arn:model' });
    sm.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:config' });
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
    sm.on(UpdateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
  });

  test('creates the model (image, ModelDataUrl = artifact URI, role, registered identity) and a one-variant AllTraffic config, both named for the version and tagged', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), (name) => endpoint('InService', name)]);
    await deployer().deploy(PKG);

    const name = newName();
    expect(name).toMatch(/^flower-classifier-v3-[0-9a-f]{6}$/);
    const tags = [
      { Key: GROUP_TAG, Value: 'flower-classifier' },
      { Key: VERSION_TAG, Value: '3' },
    ];
    expect(sm.commandCalls(CreateModelCommand)[0]!.args[0].input).toEqual({
      ModelName: name,
      ExecutionRoleArn: CONFIG.executionRoleArn,
      PrimaryContainer: {
        Image: CONFIG.imageUri,
        ModelDataUrl: ARTIFACT,
        Environment: { PETAL_MODEL_NAME: 'flower-classifier', PETAL_MODEL_VERSION: '3', ENDPOINT_NAME: ENDPOINT },
      },
      Tags: tags,
    });
    expect(sm.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input).toEqual({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InstanceType: 'ml.c6i.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      Tags: tags,
    });
  });

  test('a serverless config has one AllTraffic variant with ServerlessConfig instead of instances', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), (name) => endpoint('InService', name)]);
    const serverless: SageMakerDeployConfig = {
      ...CONFIG,
      capacity: { kind: 'serverless', memorySizeInMB: 3072, maxConcurrency: 5 },
      trafficRouting: { type: 'ALL_AT_ONCE', waitIntervalSeconds: 300 },
    };
    const result = await deployer(serverless).deploy(PKG);
    expect(result.deployed).toBe(true);
    expect(sm.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input.ProductionVariants).toEqual([
      { VariantName: 'AllTraffic', ModelName: newName(), ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 5 } },
    ]);
    expect(sm.commandCalls(UpdateEndpointCommand)[0]!.args[0].input.DeploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration).toEqual({ Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 300 });
  });

  test('an endpoint that does not exist yet is created with the new config (no UpdateEndpoint), then waited for', async () => {
    describeSequence([() => notFound(), (name) => endpoint('Creating', name), (name) => endpoint('Creating', name), (name) => endpoint('InService', name)]);
    const result = await deployer().deploy(PKG);

    expect(sm.commandCalls(CreateEndpointCommand).map((c) => c.args[0].input)).toEqual([
      { EndpointName: ENDPOINT, EndpointConfigName: newName(), Tags: [{ Key: GROUP_TAG, Value: 'flower-classifier' }, { Key: VERSION_TAG, Value: '3' }] },
    ]);
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(result).toMatchObject({ deployed: true, action: 'created', endpointConfigName: newName(), previousEndpointConfigName: undefined });
    expect(result.message).toMatch(/^flower-classifier v3 serves on endpoint image-classifier \(flower-classifier-v3-[0-9a-f]{6}, created in 1\.0 min\)$/);
    expect(sleeps).toEqual([30_000, 30_000]);
  });

  test('an existing endpoint is updated blue/green: canary traffic shifting, termination wait, execution timeout and the 5XX alarm for auto-rollback', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), (name) => endpoint('Updating', name), (name) => endpoint('InService', name)]);
    const result = await deployer().deploy(PKG);

    expect(sm.commandCalls(CreateEndpointCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateEndpointCommand).map((c) => c.args[0].input)).toEqual([
      {
        EndpointName: ENDPOINT,
        EndpointConfigName: newName(),
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 600 },
            TerminationWaitInSeconds: 300,
            MaximumExecutionTimeoutInSeconds: 3600,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'petal-image-classifier-invocation-5xx' }] },
        },
      },
    ]);
    expect(result).toMatchObject({ deployed: true, action: 'updated', previousEndpointConfigName: OLD_CONFIG });
    expect(lines.join('\n')).toContain(`updating endpoint image-classifier from ${OLD_CONFIG} to ${newName()} (blue/green, canary 50% for 600 s)`);
  });

  test('InService on the OLD config after an update is a silent rollback: not deployed, rolled back to the version the old config is tagged with', async () => {
    describeSequence([
      () => endpoint('InService', OLD_CONFIG),
      (name) => endpoint('Updating', name),
      () => endpoint('RollingBack', OLD_CONFIG),
      () => endpoint('InService', OLD_CONFIG),
    ]);
    sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: OLD_CONFIG }).resolves({ EndpointConfigName: OLD_CONFIG, EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/old' });
    sm.on(ListTagsCommand, { ResourceArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/old' }).resolves(tagsOf('flower-classifier', 2));

    const result = await deployer().deploy(PKG);
    expect(result.deployed).toBe(false);
    expect(result.rolledBackTo).toEqual({ group: 'flower-classifier', version: 2 });
    expect(result.message).toBe(`flower-classifier v3 not deployed: SageMaker rolled endpoint image-classifier back to ${OLD_CONFIG} (flower-classifier v2)`);
    expect(lines.join('\n')).toMatch(/endpoint image-classifier RollingBack/);
  });

  test('SageMaker’s lag is not mistaken for an outcome: a created endpoint not found yet, an updated one still InService on its old config', async () => {
    describeSequence([() => notFound(), () => notFound(), (name) => endpoint('Creating', name), (name) => endpoint('InService', name)]);
    expect(await deployer().deploy(PKG)).toMatchObject({ deployed: true, action: 'created' });

    sm.resetHistory();
    describeSequence([
      () => endpoint('InService', OLD_CONFIG),
      () => endpoint('InService', OLD_CONFIG), // the update has not shown yet: same config, same LastModifiedTime
      () => endpoint('Updating', OLD_CONFIG),
      (name) => endpoint('InService', name, { LastModifiedTime: new Date(5000) }),
    ]);
    const result = await deployer().deploy(PKG);
    expect(result, result.message).toMatchObject({ deployed: true, action: 'updated' });
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(4);
  });

  test('a rollback that finished before the first poll is still seen, by the newer LastModifiedTime', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), () => endpoint('InService', OLD_CONFIG, { LastModifiedTime: new Date(9000) })]);
    sm.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:old' });
    sm.on(ListTagsCommand).resolves(tagsOf('flower-classifier', 2));
    const result = await deployer().deploy(PKG);
    expect(result).toMatchObject({ deployed: false, rolledBackTo: { group: 'flower-classifier', version: 2 } });
  });

  test('an endpoint deleted during the update is a failure, not a wait', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), () => notFound()]);
    const result = await deployer().deploy(PKG);
    expect(result.message).toBe('flower-classifier v3 not deployed: endpoint image-classifier is gone (deleted during the update)');
  });

  test('a failed endpoint is reported with SageMaker’s FailureReason', async () => {
    describeSequence([() => notFound(), (name) => endpoint('Creating', name), (name) => endpoint('Failed', name, { FailureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.' })]);
    const result = await deployer().deploy(PKG);
    expect(result).toMatchObject({ deployed: false, action: 'created' });
    expect(result.message).toBe('flower-classifier v3 not deployed: endpoint image-classifier is Failed (The primary container for production variant AllTraffic did not pass the ping health check.)');
  });

  test('the wait is bounded: an endpoint still Updating after the timeout is reported, after a bounded number of polls', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), (name) => endpoint('Updating', name)]);
    const result = await deployer({ ...CONFIG, poll: { intervalMs: 60_000, timeoutMs: 5 * 60_000 } }).deploy(PKG);
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/endpoint image-classifier still Updating after 5\.0 min; the deployment may still finish/);
    expect(sleeps).toEqual([60_000, 60_000, 60_000, 60_000, 60_000]);
    // One look before the update, then one per poll until the deadline.
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(7);
    expect(lines.filter((l) => l.includes('Updating'))).toHaveLength(6);
  });

  test('an endpoint busy with another update is left alone: nothing is updated', async () => {
    describeSequence([() => endpoint('Updating', OLD_CONFIG)]);
    const result = await deployer().deploy(PKG);
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/endpoint image-classifier is Updating, not InService/);
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(sm.commandCalls(CreateEndpointCommand)).toHaveLength(0);
  });

  test('a file:// artifact is refused before any call: SageMaker reads model data from S3', async () => {
    const result = await deployer().deploy({ ...PKG, artifactUri: 'file:///tmp/model.tar.gz' });
    expect(result.deployed).toBe(false);
    expect(result.message).toContain('is not an s3:// URI');
    expect(sm.calls()).toHaveLength(0);
  });

  test('redeploying the same version makes new names (SageMaker refuses duplicate model and config names)', async () => {
    describeSequence([() => endpoint('InService', OLD_CONFIG), (name) => endpoint('InService', name)]);
    await deployer().deploy(PKG);
    const first = newName();
    sm.resetHistory();
    clock += 1;
    await deployer().deploy(PKG);
    expect(newName()).not.toBe(first);
    expect(newName()).toMatch(/^flower-classifier-v3-/);
  });

  test('current() reads the registered identity from the running config’s tags; undefined without an endpoint or without tags', async () => {
    sm.on(DescribeEndpointCommand).resolves(endpoint('InService', 'flower-classifier-v5-bbbbbb'));
    sm.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:config-v5' });
    sm.on(ListTagsCommand).resolves(tagsOf('flower-classifier', 5));
    expect(await deployer().current()).toEqual({ group: 'flower-classifier', version: 5 });
    expect(sm.commandCalls(ListTagsCommand)[0]!.args[0].input).toEqual({ ResourceArn: 'arn:config-v5' });

    sm.on(ListTagsCommand).resolves({ Tags: [] });
    expect(await deployer().current()).toBeUndefined();

    sm.on(DescribeEndpointCommand).rejects(notFound());
    expect(await deployer().current()).toBeUndefined();
  });

  test('other DescribeEndpoint errors are not mistaken for a missing endpoint', async () => {
    sm.on(DescribeEndpointCommand).rejects(new SageMakerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized' }));
    await expect(deployer().current()).rejects.toThrow('not authorized');
  });
});

describe('checkConfig refuses what SageMaker would refuse after the model and config exist', () => {
  test.each([
    ['a canary over half the fleet', { trafficRouting: { type: 'CANARY', canarySize: { type: 'INSTANCE_COUNT', value: 2 }, waitIntervalSeconds: 60 } }, /at most half of the 2 instance/],
    ['a percentage canary on one instance', { capacity: { kind: 'instances', instanceType: 'ml.c6i.large', instanceCount: 1 } }, /at least 2 instances \(has 1\)/],
    ['a canary on a serverless endpoint', { capacity: { kind: 'serverless', memorySizeInMB: 2048, maxConcurrency: 2 } }, /serverless endpoint shifts ALL_AT_ONCE/],
    ['no rollback alarm', { rollbackAlarms: [] }, /no rollback alarm/],
    ['a role that is not an ARN', { executionRoleArn: 'petal-role' }, /is not an IAM role ARN/],
  ] as const)('%s', (_what, change, message) => {
    expect(() => checkConfig({ ...CONFIG, ...(change as Partial<SageMakerDeployConfig>) })).toThrow(message);
  });

  test('the default shape passes', () => {
    expect(() => checkConfig(CONFIG)).not.toThrow();
  });
});
