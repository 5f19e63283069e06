import {
  AddTagsCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  UpdateModelPackageCommand,
  type DescribeModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import type { ModelPackageStateChangeEvent } from './events.js';
import { SageMakerModelRegistry } from './sagemaker-registry.js';
import { samplePackage } from './testing/sample.js';
import type { Deployer } from './types.js';

/**
 * These are AWS control-plane calls that cannot run here: the SageMaker client is replaced with
 * aws-sdk-client-mock, and the tests assert the exact requests the registry sends and how it reads the
 * answers (shaped like the SageMaker API reference's DescribeModelPackage / ListModelPackages outputs).
 */
const sm = mockClient(SageMakerClient);
const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/petal-endpoint:1.4.0';
const GROUP_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package-group/flower-classifier';
const arn = (v: number) => `arn:aws:sagemaker:eu-west-1:123456789012:model-package/flower-classifier/${v}`;

function described(version: number, approval: string, extra: Partial<DescribeModelPackageCommandOutput> = {}): DescribeModelPackageCommandOutput {
  return {
    $metadata: {},
    ModelPackageName: 'flower-classifier',
    ModelPackageGroupName: 'flower-classifier',
    ModelPackageVersion: version,
    ModelPackageArn: arn(version),
    CreationTime: new Date('2026-11-25T10:00:00Z'),
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
    ModelApprovalStatus: approval as 'Approved',
    InferenceSpecification: {
      Containers: [{ Image: IMAGE, ModelDataUrl: `s3://petal-artifacts/runs/r${version}/model.tar.gz` }],
      SupportedContentTypes: ['image/jpeg'],
      SupportedResponseMIMETypes: ['application/json'],
    },
    ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://petal-artifacts/runs/r${version}/evaluation.json` } } },
    MetadataProperties: { CommitId: 'b2c868b1e0c4' },
    CustomerMetadataProperties: {
      'petal:data-fingerprint': 'sha256:5e58aa0c',
      'petal:git-commit': 'b2c868b1e0c4',
      'petal:model-name': 'flower-classifier',
      'petal:model-version': '1.0.0',
      'petal:accuracy': '0.9772',
      'petal:macro-f1': '0.9753',
      'petal:test-size': '351',
      'petal:registered-by': 'pipeline',
      'petal:registered-approval': 'PendingManualApproval',
    },
    ...extra,
  };
}

const missingGroup = () =>
  new SageMakerServiceException({ name: 'ValidationException', $fault: 'client', $metadata: {}, message: 'ModelPackageGroup flower-classifier does not exist.' });

describe('SageMakerModelRegistry (SageMaker API mocked with aws-sdk-client-mock)', () => {
  let events: ModelPackageStateChangeEvent[];
  let registry: SageMakerModelRegistry;
  beforeEach(() => {
    sm.reset();
    events = [];
    registry = new SageMakerModelRegistry({ client: new SageMakerClient({ region: 'eu-west-1' }), image: IMAGE, actor: 'alice' });
    registry.onStateChange((e) => void events.push(e));
  });

  it('creates the group when missing, then the model package with the exact request SageMaker needs', async () => {
    sm.on(DescribeModelPackageGroupCommand).rejects(missingGroup());
    sm.on(CreateModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: arn(4) });
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(4) }).resolves(described(4, 'PendingManualApproval'));

    const pkg = await registry.register(samplePackage({ description: 'nightly', by: 'pipeline' }));

    expect(sm.commandCalls(CreateModelPackageGroupCommand)[0]!.args[0].input).toEqual({
      ModelPackageGroupName: 'flower-classifier',
      ModelPackageGroupDescription: 'Petal model versions: flower-classifier',
    });
    expect(sm.commandCalls(CreateModelPackageCommand)[0]!.args[0].input).toEqual({
      ModelPackageGroupName: 'flower-classifier',
      ModelPackageDescription: 'nightly',
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: IMAGE, ModelDataUrl: 's3://petal-artifacts/runs/r1/model.tar.gz' }],
        SupportedContentTypes: ['image/jpeg', 'image/png', 'image/webp', 'application/x-image', 'application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://petal-artifacts/runs/r1/evaluation/evaluation.json' } } },
      Domain: 'COMPUTER_VISION',
      Task: 'IMAGE_CLASSIFICATION',
      MetadataProperties: { CommitId: 'b2c868b1e0c4' },
      CustomerMetadataProperties: {
        'petal:data-fingerprint': 'sha256:5e58aa0c',
        'petal:git-commit': 'b2c868b1e0c4',
        'petal:model-name': 'flower-classifier',
        'petal:model-version': '1.0.0',
        'petal:accuracy': '0.9772',
        'petal:macro-f1': '0.9753',
        'petal:test-size': '351',
        'petal:registered-by': 'pipeline',
        'petal:registered-approval': 'PendingManualApproval',
      },
    });
    // The version number is SageMaker's, read back from the ARN it answered with.
    expect(pkg).toMatchObject({
      group: 'flower-classifier',
      version: 4,
      arn: arn(4),
      artifactUri: 's3://petal-artifacts/runs/r4/model.tar.gz',
      evaluationUri: 's3://petal-artifacts/runs/r4/evaluation.json',
      metrics: { accuracy: 0.9772, macroF1: 0.9753, testSize: 351 },
      dataFingerprint: 'sha256:5e58aa0c',
      gitCommit: 'b2c868b1e0c4',
      approval: 'PendingManualApproval',
      createdAt: '2026-11-25T10:00:00.000Z',
      history: [{ status: 'PendingManualApproval', by: 'pipeline', reason: 'registered' }],
    });
    expect(events.map((e) => [e.detail.ModelPackageArn, e.detail.ModelApprovalStatus, e.region, e.account])).toEqual([
      [arn(4), 'PendingManualApproval', 'eu-west-1', '123456789012'],
    ]);
  });

  it('does not create a group that exists, and refuses file:// artifacts SageMaker cannot read', async () => {
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: arn(1) });
    sm.on(DescribeModelPackageCommand).resolves(described(1, 'Approved'));
    await registry.register(samplePackage({ approval: 'Approved' }));
    expect(sm.commandCalls(CreateModelPackageGroupCommand)).toHaveLength(0);
    expect(sm.commandCalls(CreateModelPackageCommand)[0]!.args[0].input.ModelApprovalStatus).toBe('Approved');
    await expect(registry.register(samplePackage({ artifactUri: 'file:///tmp/model.tar.gz' }))).rejects.toThrow(
      'SageMaker needs s3:// URIs: artifactUri is file:///tmp/model.tar.gz',
    );
  });

  it('lists every page of ListModelPackages and describes each version; maps ARNs to versions and back', async () => {
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    // The paginator reuses one input object, so each request is copied as it is sent.
    const sent: unknown[] = [];
    const pages = [
      { ModelPackageSummaryList: [{ ModelPackageArn: arn(1) } as never, { ModelPackageArn: arn(2) } as never], NextToken: 'page-2' },
      { ModelPackageSummaryList: [{ ModelPackageArn: arn(3) } as never] },
    ];
    sm.on(ListModelPackagesCommand).callsFake((input: object) => (sent.push(structuredClone(input)), pages[sent.length - 1]));
    for (const v of [1, 2, 3]) sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(v) }).resolves(described(v, v === 2 ? 'Approved' : 'Rejected'));

    expect((await registry.list('flower-classifier')).map((p) => [p.version, p.approval])).toEqual([
      [1, 'Rejected'],
      [2, 'Approved'],
      [3, 'Rejected'],
    ]);
    expect(sent).toEqual([
      { ModelPackageGroupName: 'flower-classifier', ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Ascending', MaxResults: undefined },
      {
        ModelPackageGroupName: 'flower-classifier',
        ModelPackageType: 'Versioned',
        SortBy: 'CreationTime',
        SortOrder: 'Ascending',
        MaxResults: undefined,
        NextToken: 'page-2',
      },
    ]);
    // get(group, version) builds the version's ARN from the group's.
    expect((await registry.get('flower-classifier', 2)).arn).toBe(arn(2));
    expect(sm.commandCalls(DescribeModelPackageCommand).at(-1)!.args[0].input).toEqual({ ModelPackageName: arn(2) });
  });

  it('an unknown group has no versions; an unknown version is NOT_FOUND', async () => {
    sm.on(DescribeModelPackageGroupCommand).rejects(missingGroup());
    expect(await registry.list('flower-classifier')).toEqual([]);
    await expect(registry.get('flower-classifier', 1)).rejects.toThrow(RegistryError);
    expect(sm.commandCalls(ListModelPackagesCommand)).toHaveLength(0);
  });

  it('approves with UpdateModelPackage and reads the latest approved version with one query', async () => {
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(2) })
      .resolvesOnce(described(2, 'PendingManualApproval')) // get()
      .resolvesOnce(described(2, 'PendingManualApproval')) // the fresh read the transition is checked on
      .resolves(
        described(2, 'Approved', {
          ApprovalDescription: 'good on the test set',
          LastModifiedTime: new Date('2026-11-25T11:00:00Z'),
          CustomerMetadataProperties: { ...described(2, 'x').CustomerMetadataProperties, 'petal:approval-by': 'alice' },
        }),
      );
    sm.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: arn(2) });
    sm.on(ListTagsCommand).resolves({ Tags: [] });

    const result = await registry.setApproval('flower-classifier', 2, 'Approved', { reason: 'good on the test set' });
    expect(sm.commandCalls(UpdateModelPackageCommand)[0]!.args[0].input).toEqual({
      ModelPackageArn: arn(2),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'good on the test set',
      CustomerMetadataProperties: { 'petal:approval-by': 'alice' },
    });
    expect(result.package.history).toEqual([
      { status: 'PendingManualApproval', at: '2026-11-25T10:00:00.000Z', by: 'pipeline', reason: 'registered' },
      { status: 'Approved', at: '2026-11-25T11:00:00.000Z', by: 'alice', reason: 'good on the test set' },
    ]);
    expect(events.at(-1)!.detail).toMatchObject({ ModelPackageVersion: 2, ModelApprovalStatus: 'Approved', ApprovalDescription: 'good on the test set' });

    sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: arn(2) } as never] });
    expect((await registry.latestApproved('flower-classifier'))?.version).toBe(2);
    expect(sm.commandCalls(ListModelPackagesCommand)[0]!.args[0].input).toEqual({
      ModelPackageGroupName: 'flower-classifier',
      ModelPackageType: 'Versioned',
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    });
  });

  it('refuses a transition on the state SageMaker reports, without calling UpdateModelPackage', async () => {
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(DescribeModelPackageCommand).resolves(described(2, 'Approved'));
    await expect(registry.setApproval('flower-classifier', 2, 'Approved')).rejects.toThrow('flower-classifier version 2 is already Approved');
    expect(sm.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
  });

  it('records the deployed version as tags on the group, and rolls back through the Deployer when it is rejected', async () => {
    const deployed: number[] = [];
    const deployer: Deployer = {
      deploy: async (pkg) => (deployed.push(pkg.version), { deployed: true, message: 'InService' }),
      current: async () => undefined,
    };
    registry = new SageMakerModelRegistry({ client: new SageMakerClient({ region: 'eu-west-1' }), image: IMAGE, actor: 'alice', deployer });
    // A small stateful stand-in: UpdateModelPackage changes what DescribeModelPackage answers for version 2.
    let approval2 = 'Approved';
    sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupArn: GROUP_ARN });
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(1) }).resolves(described(1, 'Approved'));
    sm.on(DescribeModelPackageCommand, { ModelPackageName: arn(2) }).callsFake(() => described(2, approval2));
    sm.on(UpdateModelPackageCommand).callsFake((input: { ModelApprovalStatus: string }) => ((approval2 = input.ModelApprovalStatus), { ModelPackageArn: arn(2) }));
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: 'petal:deployed-version', Value: '1' }] });
    sm.on(AddTagsCommand).resolves({});

    const record = await registry.recordDeployment('flower-classifier', 2);
    expect(record).toMatchObject({ group: 'flower-classifier', version: 2, arn: arn(2), by: 'alice', previous: 1 });
    expect(sm.commandCalls(AddTagsCommand)[0]!.args[0].input).toEqual({
      ResourceArn: GROUP_ARN,
      Tags: [
        { Key: 'petal:deployed-version', Value: '2' },
        { Key: 'petal:deployed-at', Value: record.deployedAt },
        { Key: 'petal:deployed-by', Value: 'alice' },
        { Key: 'petal:previous-version', Value: '1' },
      ],
    });

    // Now version 2 is the deployed one, and gets rejected.
    sm.on(ListTagsCommand).resolves({ Tags: [{ Key: 'petal:deployed-version', Value: '2' }, { Key: 'petal:deployed-at', Value: record.deployedAt }] });
    sm.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: arn(1) } as never, { ModelPackageArn: arn(2) } as never] });
    expect((await registry.deployed('flower-classifier'))?.version).toBe(2);

    const result = await registry.setApproval('flower-classifier', 2, 'Rejected', { reason: 'alarm fired' });
    expect(deployed).toEqual([1]);
    expect(result.rollback).toEqual({ from: 2, to: 1, deployed: true, message: 'rolled back to version 1 (InService)' });
    expect(sm.commandCalls(AddTagsCommand).at(-1)!.args[0].input.Tags?.[0]).toEqual({ Key: 'petal:deployed-version', Value: '1' });
  });
});
