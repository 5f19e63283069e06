// The AWS control-plane calls cannot run here: these tests use aws-sdk-client-mock, which replaces the
// SageMaker and S3 clients' `send`, and assert the exact requests the pipeline commands make.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreatePipelineCommand, SageMakerClient, StartPipelineExecutionCommand, UpdatePipelineCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compilePipeline, definitionJson } from '../compile/compile.js';
import { flowerPipeline } from '../flower-pipeline.js';
import { resolveParameters } from '../parameters.js';
import { TEST_SETTINGS } from '../testing/settings.js';
import { INLINE_DEFINITION_LIMIT_BYTES } from './definition-location.js';
import { startPipelineExecution, upsertPipeline } from './sagemaker-pipeline.js';

const sagemakerMock = mockClient(SageMakerClient);
const s3Mock = mockClient(S3Client);
const ROLE = 'arn:aws:iam::123456789012:role/petal-pipeline';
const PIPELINE_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/petal-flower-classifier';
const compiled = compilePipeline(flowerPipeline, TEST_SETTINGS);
const json = definitionJson(compiled);

const upsert = (overrides: Partial<Parameters<typeof upsertPipeline>[0]> = {}) =>
  upsertPipeline({
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    s3: () => new S3Client({ region: 'us-east-1' }),
    pipelineName: 'petal-flower-classifier',
    description: flowerPipeline.description,
    compiled,
    roleArn: ROLE,
    artifactS3Uri: TEST_SETTINGS['artifact-s3-uri'],
    ...overrides,
  });

const alreadyExists = () => Object.assign(new Error('Pipeline names must be unique within an AWS account and region. Pipeline with name (petal-flower-classifier) already exists.'), { name: 'ValidationException' });

beforeEach(() => {
  sagemakerMock.reset();
  s3Mock.reset();
});
afterEach(() => {
  sagemakerMock.reset();
  s3Mock.reset();
});

describe('upsertPipeline (aws-sdk-client-mock)', () => {
  it('creates the pipeline with the definition inline when none exists', async () => {
    sagemakerMock.on(CreatePipelineCommand).resolves({ PipelineArn: PIPELINE_ARN });
    await expect(upsert()).resolves.toEqual({ action: 'created', pipelineArn: PIPELINE_ARN });
    const [call] = sagemakerMock.commandCalls(CreatePipelineCommand);
    expect(call!.args[0].input).toEqual({
      PipelineName: 'petal-flower-classifier',
      PipelineDescription: flowerPipeline.description,
      RoleArn: ROLE,
      PipelineDefinition: json,
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.parse(call!.args[0].input.PipelineDefinition!)).toEqual(compiled.definition);
    expect(sagemakerMock.commandCalls(UpdatePipelineCommand)).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('updates the pipeline when CreatePipeline says it already exists', async () => {
    sagemakerMock.on(CreatePipelineCommand).rejects(alreadyExists());
    sagemakerMock.on(UpdatePipelineCommand).resolves({ PipelineArn: PIPELINE_ARN });
    await expect(upsert()).resolves.toEqual({ action: 'updated', pipelineArn: PIPELINE_ARN });
    expect(sagemakerMock.commandCalls(UpdatePipelineCommand)[0]!.args[0].input).toEqual({
      PipelineName: 'petal-flower-classifier',
      PipelineDescription: flowerPipeline.description,
      RoleArn: ROLE,
      PipelineDefinition: json,
    });
  });

  it('passes any other CreatePipeline error through', async () => {
    sagemakerMock.on(CreatePipelineCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(upsert()).rejects.toThrow('User is not authorized');
    expect(sagemakerMock.commandCalls(UpdatePipelineCommand)).toHaveLength(0);
  });

  it('uploads a definition over the inline limit to S3 and passes its location (limit lowered for the test)', async () => {
    expect(Buffer.byteLength(json)).toBeLessThan(INLINE_DEFINITION_LIMIT_BYTES);
    s3Mock.on(PutObjectCommand).resolves({});
    sagemakerMock.on(CreatePipelineCommand).resolves({ PipelineArn: PIPELINE_ARN });
    await upsert({ inlineLimitBytes: 1000 });
    const [put] = s3Mock.commandCalls(PutObjectCommand);
    const key = put!.args[0].input.Key!;
    expect(put!.args[0].input).toEqual({ Bucket: 'petal-artifacts', Key: key, Body: json });
    expect(key).toMatch(/^pipeline\/pipeline-definitions\/petal-flower-classifier\/[0-9a-f]{64}\.json$/);
    const create = sagemakerMock.commandCalls(CreatePipelineCommand)[0]!.args[0].input;
    expect(create.PipelineDefinition).toBeUndefined();
    expect(create.PipelineDefinitionS3Location).toEqual({ Bucket: 'petal-artifacts', ObjectKey: key });
  });

  it('keeps a definition at exactly the limit inline', async () => {
    sagemakerMock.on(CreatePipelineCommand).resolves({ PipelineArn: PIPELINE_ARN });
    await upsert({ inlineLimitBytes: Buffer.byteLength(json) });
    expect(s3Mock.calls()).toHaveLength(0);
    expect(sagemakerMock.commandCalls(CreatePipelineCommand)[0]!.args[0].input.PipelineDefinition).toBe(json);
  });

  it('refuses a large definition with nowhere to upload it', async () => {
    await expect(upsert({ inlineLimitBytes: 1000, artifactS3Uri: undefined })).rejects.toThrow('over the 1000-byte inline limit, and goes through S3: set --artifact-s3-uri');
    expect(sagemakerMock.calls()).toHaveLength(0);
  });

  it('refuses a definition compiled with placeholders, before any call', async () => {
    await expect(upsert({ compiled: compilePipeline(flowerPipeline, { 'role-arn': TEST_SETTINGS['role-arn'] }) })).rejects.toThrow(
      'cannot upsert: the definition was compiled without training-image, evaluation-image, serving-image, deploy-function-arn, artifact-s3-uri',
    );
    expect(sagemakerMock.calls()).toHaveLength(0);
  });
});

describe('startPipelineExecution (aws-sdk-client-mock)', () => {
  it('sends every parameter value as a string', async () => {
    const execution = `${PIPELINE_ARN}/execution/abc`;
    sagemakerMock.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: execution });
    const parameters = resolveParameters(flowerPipeline.parameters, { data: 's3://petal-data/flowers', epochs: '20', approval: 'Approved' }, { deployedAccuracy: 0.97, gitCommit: 'abc123' });
    await expect(
      startPipelineExecution({ sagemaker: new SageMakerClient({ region: 'us-east-1' }), pipelineName: 'petal-flower-classifier', parameters, clientRequestToken: 'token-1' }),
    ).resolves.toEqual({ executionArn: execution });
    const input = sagemakerMock.commandCalls(StartPipelineExecutionCommand)[0]!.args[0].input;
    expect(input.PipelineName).toBe('petal-flower-classifier');
    expect(input.ClientRequestToken).toBe('token-1');
    expect(input.PipelineParameters).toHaveLength(flowerPipeline.parameters.length);
    expect(input.PipelineParameters).toEqual(
      expect.arrayContaining([
        { Name: 'data', Value: 's3://petal-data/flowers' },
        { Name: 'epochs', Value: '20' },
        { Name: 'learning-rate', Value: '0.0003' },
        { Name: 'approval', Value: 'Approved' },
        { Name: 'deployed-accuracy', Value: '0.97' },
        { Name: 'regression-floor', Value: '0.96' },
        { Name: 'git-commit', Value: 'abc123' },
      ]),
    );
  });
});
