/**
 * The deploy Lambda's handler. Its calls are AWS control-plane calls (SageMaker's model registry and
 * endpoint APIs) that cannot run here (no AWS account, no network): the SageMaker client the handler is
 * given is answered by **aws-sdk-client-mock**, shaped like the SageMaker API reference's outputs. The
 * tests check which events deploy, which are ignored or refused, the answer the pipeline step reads, and
 * that a deploy that took is recorded on the group (AddTags); not what SageMaker itself does.
 */
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
  type DescribeEndpointCommandOutput,
  type DescribeModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { stateChangeEvent, toModelPackage, type ApprovalStatus } from '@petal/registry';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { createHandler } from './lambda.js';
import { GROUP_TAG, VERSION_TAG } from './sagemaker-names.js';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-endpoint:1.4.0';
const GROUP_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/flower-classifier';
const arn = (v: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/flower-classifier/${v}`;
const OLD_CONFIG = 'flower-classifier-v2-aaaaaa';

const ENV: NodeJS.ProcessEnv = {
  PETAL_SAGEMAKER_ENDPOINT: 'image-classifier',
  PETAL_SAGEMAKER_IMAGE: IMAGE,
  PETAL_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/petal-sagemaker-execution',
  PETAL_SAGEMAKER_ROLLBACK_ALARMS: 'petal-image-classifier-invocation-5xx',
};

function described(version: number, approval: ApprovalStatus): DescribeModelPackageCommandOutput {
  return {
    $metadata: {},
    ModelPackageName: 'flower-classifier',
    ModelPackageGroupName: 'flower-classifier',
    ModelPackageVersion: version,
    ModelPackageArn: arn(version),
    CreationTime: new Date('2026-11-25T10:00:00Z'),
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    ModelApprovalStatus: approval,
    InferenceSpecification: {
      Containers: [{ Image: IMAGE, ModelDataUrl: `s3://petal-artifacts/runs/r${version}/model.tar.gz` }],
      SupportedContentTypes: ['image/jpeg'],
      SupportedResponseMIMETypes: ['application/json'],
    },
    ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://petal-artifacts/runs/r${version}/evaluation.json` } } },
    CustomerMetadataProperties: { 'petal:model-name': 'flower-classifier', 'petal:model-version': '1.0.0', 'petal:accuracy': '0.97', 'petal:macro-f1': '0.97', 'petal:test-size': '351' },
  };
}

/** What EventBridge delivers for version `v` (SageMaker's source, the registry's event shape). */
const stateChange = (v: number, approval: ApprovalStatus) => stateChangeEvent(toModelPackage(described(v, approval)), { image: IMAGE, source: 'aws.sagemaker' });

const endpoint = (configName: string, status: 'InService' | 'Updating' = 'InService', modified = 0): DescribeEndpointCommandOutput => ({
  $metadata: {},
  EndpointName: 'image-classifier',
  EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/image-classifier',
  EndpointConfigName: configName,
  EndpointStatus: status,
  CreationTime: new Date(0),
  LastModifiedTime: new Date(modified),
});

describe('deploy Lambda handler (SageMaker client answered by aws-sdk-client-mock, no AWS)', () => {
  const client = new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sm = mockClient(client);
  let lines: string[];
  let clock: number;

  const handler = () =>
    createHandler({
      sagemaker: client,
      env: ENV,
      log: (line) => lines.push(line),
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });

  const newConfig = () => sm.commandCalls(CreateEndpointConfigCommand)[0]?.args[0].input.EndpointConfigName ?? '';

  /** The endpoint runs OLD_CONFIG, then (after the update) whatever `after` names. */
  const endpointAnswers = (after: (name: string) => DescribeEndpointCommandOutput) => {
    let call = 0;
    sm.on(DescribeEndpointCommand).callsFake(() => (call++ === 0 ? endpoint(OLD_CONFIG) : after(newConfig())));
  };

  beforeEach(() => {
    sm.reset();
    lines = [];
    clock = 1_000_000;
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(CreateModelCommand).resolves({ ModelArn: 'arn:model' });
    sm.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:config' });
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
    sm.on(UpdateEndpointCommand).resolves({ EndpointArn: 'arn:endpoint' });
    sm.on(ListTagsCommand, { ResourceArn: GROUP_ARN }).resolves({ Tags: [{ Key: 'petal:deployed-version', Value: '2' }] });
    sm.on(AddTagsCommand).resolves({});
  });

  test('the pipeline step event deploys the version onto the named endpoint and answers endpoint_config_name', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(3) }).resolves(described(3, 'Approved'));
    endpointAnswers((name) => endpoint(name));

    const result = await handler()({ model_package_arn: arn(3), endpoint_name: 'petal-staging' });

    expect(result).toMatchObject({ deployed: true, version: 3, group: 'flower-classifier', endpoint_name: 'petal-staging', previous_version: 2 });
    expect(result.endpoint_config_name).toMatch(/^flower-classifier-v3-[0-9a-f]{6}$/);
    expect(result.endpoint_config_name).toBe(newConfig());
    expect(sm.commandCalls(UpdateEndpointCommand)[0]!.args[0].input).toMatchObject({ EndpointName: 'petal-staging', EndpointConfigName: result.endpoint_config_name });
    expect(sm.commandCalls(CreateModelCommand)[0]!.args[0].input.PrimaryContainer?.ModelDataUrl).toBe('s3://petal-artifacts/runs/r3/model.tar.gz');
    // Recorded as the group's deployed version.
    expect(sm.commandCalls(AddTagsCommand)[0]!.args[0].input).toMatchObject({
      ResourceArn: GROUP_ARN,
      Tags: expect.arrayContaining([
        { Key: 'petal:deployed-version', Value: '3' },
        { Key: 'petal:previous-version', Value: '2' },
      ]),
    });
    // The answer is plain JSON (what Lambda hands the pipeline).
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  test('an EventBridge Approved event deploys onto PETAL_SAGEMAKER_ENDPOINT and records the deployment', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(4) }).resolves(described(4, 'Approved'));
    endpointAnswers((name) => endpoint(name));

    const result = await handler()(stateChange(4, 'Approved'), { functionName: 'petal-deploy', getRemainingTimeInMillis: () => 900_000 });

    expect(result).toMatchObject({ deployed: true, version: 4, endpoint_name: 'image-classifier', model_package_arn: arn(4) });
    expect(result.endpoint_config_name).toMatch(/^flower-classifier-v4-/);
    expect(sm.commandCalls(UpdateEndpointCommand)[0]!.args[0].input.EndpointName).toBe('image-classifier');
    const tags = sm.commandCalls(AddTagsCommand)[0]!.args[0].input.Tags!;
    expect(tags).toContainEqual({ Key: 'petal:deployed-version', Value: '4' });
    expect(tags).toContainEqual({ Key: 'petal:deployed-by', Value: 'lambda:petal-deploy' });
  });

  test.each(['PendingManualApproval', 'Rejected'] as const)('an EventBridge %s event does nothing and says so', async (status) => {
    const result = await handler()(stateChange(5, status));

    expect(result).toMatchObject({ deployed: false, version: 5, endpoint_config_name: '' });
    expect(result.message).toBe(`nothing to do: flower-classifier version 5 is ${status}; only an Approved version is deployed`);
    expect(sm.calls()).toHaveLength(0); // not even a DescribeModelPackage
  });

  test('an Approved event for the version the endpoint already serves (the pipeline deployed it) does nothing', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(4) }).resolves(described(4, 'Approved'));
    sm.on(DescribeEndpointCommand).resolves(endpoint('flower-classifier-v4-abc123'));
    sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'flower-classifier-v4-abc123' }).resolves({ EndpointConfigArn: 'arn:config-v4' });
    sm.on(ListTagsCommand, { ResourceArn: 'arn:config-v4' }).resolves({ Tags: [{ Key: GROUP_TAG, Value: 'flower-classifier' }, { Key: VERSION_TAG, Value: '4' }] });

    const result = await handler()(stateChange(4, 'Approved'));

    expect(result).toMatchObject({ deployed: false, version: 4, endpoint_config_name: '' });
    expect(result.message).toBe('nothing to do: endpoint image-classifier already serves flower-classifier version 4');
    expect(sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    // Serving another version, the same event deploys (the other tests): the check is on the version, not the event.
  });

  test('an Approved event for a version rejected since then does nothing', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(4) }).resolves(described(4, 'Rejected'));
    const result = await handler()(stateChange(4, 'Approved'));
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/^nothing to do: flower-classifier version 4 is Rejected.*changed since the event/);
    expect(sm.commandCalls(CreateModelCommand)).toHaveLength(0);
  });

  test('the pipeline event for a version that is not Approved is refused (the invocation fails) and nothing is created', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(6) }).resolves(described(6, 'PendingManualApproval'));

    await expect(handler()({ model_package_arn: arn(6), endpoint_name: 'image-classifier' })).rejects.toThrow(
      'deploy refused: flower-classifier version 6 is PendingManualApproval: only an Approved version can be deployed',
    );
    expect(sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(sm.commandCalls(AddTagsCommand)).toHaveLength(0);
  });

  test('a malformed event throws, naming what is wrong', async () => {
    const h = handler();
    await expect(h({ model_package_arn: arn(3) })).rejects.toThrow(/unrecognised event.*endpoint_name: /);
    await expect(h({ model_package_arn: 'flower-classifier/3', endpoint_name: 'image-classifier' })).rejects.toThrow(/model_package_arn: not a versioned model package ARN/);
    await expect(h({ model_package_arn: arn(3), endpoint_name: 'image-classifier', extra: 1 })).rejects.toThrow(/unrecognised event.*extra/);
    await expect(h('deploy please')).rejects.toThrow(/unrecognised event/);
    await expect(h({ ...stateChange(3, 'Approved'), 'detail-type': 'SageMaker Endpoint State Change' })).rejects.toThrow(
      /detail-type "SageMaker Endpoint State Change": only "SageMaker Model Package State Change" is handled/,
    );
    const noStatus = stateChange(3, 'Approved') as unknown as { detail: Record<string, unknown> };
    delete noStatus.detail.ModelApprovalStatus;
    await expect(h(noStatus)).rejects.toThrow(/malformed "SageMaker Model Package State Change" event: detail\.ModelApprovalStatus: /);
    expect(sm.calls()).toHaveLength(0);
  });

  test('a silent rollback (InService again on the old config) answers deployed:false with the message and records nothing', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(3) }).resolves(described(3, 'Approved'));
    let polls = 0;
    endpointAnswers(() => (polls++ === 0 ? endpoint(newConfig(), 'Updating', 1) : endpoint(OLD_CONFIG, 'InService', 2)));
    sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: OLD_CONFIG }).resolves({ EndpointConfigArn: 'arn:old-config' });
    sm.on(ListTagsCommand, { ResourceArn: 'arn:old-config' }).resolves({ Tags: [{ Key: GROUP_TAG, Value: 'flower-classifier' }, { Key: VERSION_TAG, Value: '2' }] });

    const result = await handler()({ model_package_arn: arn(3), endpoint_name: 'image-classifier' });

    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/^flower-classifier v3 not deployed: SageMaker rolled endpoint image-classifier back to flower-classifier-v2-aaaaaa/);
    expect(result.rolled_back_to).toEqual({ group: 'flower-classifier', version: 2 });
    expect(result.endpoint_config_name).toBe(newConfig());
    expect(sm.commandCalls(AddTagsCommand)).toHaveLength(0);
  });

  test('the wait stops before the Lambda would be killed: the answer says the deployment may still finish', async () => {
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(3) }).resolves(described(3, 'Approved'));
    endpointAnswers((name) => endpoint(name, 'Updating', 1));

    const result = await handler()({ model_package_arn: arn(3), endpoint_name: 'image-classifier' }, { getRemainingTimeInMillis: () => 120_000 });

    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/still Updating after 1\.5 min; the deployment may still finish/);
    expect(sm.commandCalls(AddTagsCommand)).toHaveLength(0);
  });
});
