import { describe, expect, it } from 'vitest';
import { flowerPipeline } from '../flower-pipeline.js';
import { expectGolden } from '../testing/golden.js';
import { TEST_SETTINGS } from '../testing/settings.js';
import {
  IMAGE_URI,
  ROLE,
  sdkConditionPipeline,
  sdkLambdaPipeline,
  sdkProcessingPipeline,
  sdkRegisterModelPipeline,
  sdkTrainingPipeline,
} from '../testing/sdk-shaped.js';
import { compilePipeline } from './compile.js';
import type { Json } from './render.js';
import { checkCompiledDefinition } from './structure.js';


const firstStep = (definition: { [key: string]: Json }) => (definition.Steps as Json[])[0];

// The expected dictionaries below are those of the SageMaker Python SDK's unit tests
// (tests/unit/sagemaker/workflow), less the fields Petal does not set (spot training, debugger and
// profiler configs, DependsOn/DisplayName, drift baselines, tags).
describe('each step kind compiles to the shape the SageMaker Python SDK emits', () => {
  it('Training (test_steps.py test_training_step_base_estimator): CreateTrainingJob arguments, hyperparameters as strings', async () => {
    const step = firstStep(compilePipeline(sdkTrainingPipeline).definition);
    expect(step).toMatchObject({
      Name: 'MyTrainingStep',
      Type: 'Training',
      Description: 'TrainingStep description',
      Arguments: {
        AlgorithmSpecification: { TrainingImage: IMAGE_URI, TrainingInputMode: 'File' },
        HyperParameters: {
          'batch-size': { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.TrainingBatchSize' }] } },
          epochs: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.TrainingEpochs' }] } },
        },
        InputDataConfig: [
          {
            ChannelName: 'training',
            DataSource: {
              S3DataSource: { S3DataDistributionType: 'FullyReplicated', S3DataType: 'S3Prefix', S3Uri: { Get: 'Parameters.DataSourceS3Uri' } },
            },
          },
        ],
        OutputDataConfig: { S3OutputPath: { 'Std:Join': { On: '/', Values: ['s3:/', 'a', 'b'] } } },
        ResourceConfig: { InstanceCount: 1, InstanceType: { Get: 'Parameters.InstanceType' }, VolumeSizeInGB: 30 },
        RoleArn: ROLE,
        StoppingCondition: { MaxRuntimeInSeconds: 86400 },
      },
      CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' },
    });
    await expectGolden('step-training', step);
  });

  it('Processing (test_steps.py test_processing_step): inputs, outputs and PropertyFiles', async () => {
    const step = firstStep(compilePipeline(sdkProcessingPipeline).definition);
    expect(step).toMatchObject({
      Name: 'MyProcessingStep',
      Description: 'ProcessingStep description',
      Type: 'Processing',
      Arguments: {
        AppSpecification: { ImageUri: 'fakeimage' },
        ProcessingInputs: [
          {
            InputName: 'input-1',
            AppManaged: false,
            S3Input: {
              LocalPath: 'processing_manifest',
              S3CompressionType: 'None',
              S3DataDistributionType: 'FullyReplicated',
              S3DataType: 'S3Prefix',
              S3InputMode: 'File',
              S3Uri: { Get: 'Parameters.ProcessingInputDataUri' },
            },
          },
        ],
        ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: { Get: 'Parameters.InstanceType' }, VolumeSizeInGB: 30 } },
        RoleArn: 'DummyRole',
      },
      CacheConfig: { Enabled: true, ExpireAfter: 'PT1H' },
      PropertyFiles: [{ FilePath: 'evaluation.json', OutputName: 'evaluation', PropertyFileName: 'EvaluationReport' }],
    });
    // test_processing_step.py: each output is {OutputName, AppManaged, S3Output: {S3Uri, LocalPath, S3UploadMode}}.
    expect(step).toMatchObject({
      Arguments: {
        ProcessingOutputConfig: {
          Outputs: [{ OutputName: 'evaluation', AppManaged: false, S3Output: { S3Uri: 's3://my-bucket/evaluation', LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } }],
        },
      },
    });
    await expectGolden('step-processing', step);
  });

  it('Condition with Fail (test_condition_step.py interpolated, test_fail_step.py with Join): conditions, nested branch steps, Std:Join message', async () => {
    const document = compilePipeline(sdkConditionPipeline).definition;
    expect(document.Parameters).toEqual([
      { Name: 'MyInt1', Type: 'Integer' },
      { Name: 'MyInt2', Type: 'Integer' },
      { Name: 'MyStr', Type: 'String' },
    ]);
    expect(document.Steps).toEqual([
      {
        Name: 'MyConditionStep',
        Type: 'Condition',
        Arguments: {
          Conditions: [
            { Type: 'Equals', LeftValue: { Get: 'Parameters.MyInt1' }, RightValue: { Get: 'Parameters.MyInt2' } },
            { Type: 'GreaterThan', LeftValue: { Get: 'Execution.StartDateTime' }, RightValue: '2020-12-01' },
            { Type: 'GreaterThanOrEqualTo', LeftValue: { Get: 'Execution.StartDateTime' }, RightValue: { Get: 'Parameters.MyStr' } },
            { Type: 'LessThanOrEqualTo', LeftValue: { Get: 'Execution.StartDateTime' }, RightValue: { Get: 'Parameters.MyStr' } },
            { Type: 'In', QueryValue: { Get: 'Parameters.MyStr' }, Values: ['abc', 'def'] },
            { Type: 'Not', Condition: { Type: 'Equals', LeftValue: { Get: 'Parameters.MyInt1' }, RightValue: { Get: 'Parameters.MyInt2' } } },
            {
              Type: 'Or',
              Conditions: [
                { Type: 'GreaterThan', LeftValue: { Get: 'Execution.StartDateTime' }, RightValue: '2020-12-01' },
                { Type: 'In', QueryValue: { Get: 'Parameters.MyStr' }, Values: ['abc', 'def'] },
              ],
            },
          ],
          IfSteps: [],
          ElseSteps: [
            {
              Name: 'FailStep',
              Type: 'Fail',
              Arguments: {
                ErrorMessage: { 'Std:Join': { On: ': ', Values: ['Failed due to xxx == yyy returns', { Get: 'Steps.MyConditionStep.Outcome' }] } },
              },
            },
          ],
        },
      },
    ]);
    await expectGolden('step-condition-fail', document.Steps);
  });

  it('RegisterModel (test_step_collections.py test_register_model): a CreateModelPackage request', async () => {
    const step = firstStep(compilePipeline(sdkRegisterModelPipeline).definition);
    expect(step).toMatchObject({
      Name: 'RegisterModelStep-RegisterModel',
      Type: 'RegisterModel',
      Description: 'description',
      Arguments: {
        InferenceSpecification: {
          Containers: [{ Image: '012345678901.dkr.ecr.us-west-2.amazonaws.com/my-custom-image-uri', ModelDataUrl: 's3://my-bucket/model.tar.gz' }],
          SupportedContentTypes: ['content_type'],
          SupportedRealtimeInferenceInstanceTypes: ['inference_instance'],
          SupportedResponseMIMETypes: ['response_type'],
        },
        ModelApprovalStatus: 'Approved',
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'text/csv', S3Uri: 's3://my-bucket/metrics.csv' } } },
        ModelPackageDescription: 'description',
        ModelPackageGroupName: 'mpg',
      },
    });
    await expectGolden('step-register-model', step);
  });

  it('Lambda (test_lambda_step.py test_lambda_step): FunctionArn and OutputParameters beside the Arguments', async () => {
    const step = firstStep(compilePipeline(sdkLambdaPipeline).definition);
    expect(step).toEqual({
      Name: 'MyLambdaStep',
      Type: 'Lambda',
      Description: 'MyLambdaStepDescription',
      FunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:sagemaker_test_lambda',
      OutputParameters: [
        { OutputName: 'output1', OutputType: 'String' },
        { OutputName: 'output2', OutputType: 'Boolean' },
      ],
      Arguments: { arg1: 'foo', arg2: 5, arg3: { Get: 'Parameters.MyInt' } },
    });
    await expectGolden('step-lambda', step);
  });
});

describe('the flower pipeline', () => {
  const compiled = compilePipeline(flowerPipeline, TEST_SETTINGS);
  const document = compiled.definition;
  const steps = document.Steps as { [key: string]: Json }[];

  it('matches its golden file and passes the structural checks', async () => {
    expect(compiled.missingSettings).toEqual([]);
    expect(checkCompiledDefinition(document)).toEqual([]);
    await expectGolden('flower-pipeline', document);
  });

  it('declares version 2020-12-01 and every parameter; values filled at start have no default', () => {
    expect(document.Version).toBe('2020-12-01');
    const parameters = document.Parameters as { Name: string; DefaultValue?: Json; EnumValues?: string[] }[];
    expect(parameters.map((p) => p.Name)).toEqual(expect.arrayContaining(['data', 'epochs', 'learning-rate', 'accuracy-threshold', 'max-regression', 'approval', 'endpoint-name', 'deployed-accuracy']));
    expect(parameters.find((p) => p.Name === 'approval')).toEqual({ Name: 'approval', Type: 'String', DefaultValue: 'PendingManualApproval', EnumValues: ['PendingManualApproval', 'Approved'] });
    for (const name of ['data', 'deployed-accuracy', 'regression-floor', 'git-commit']) {
      expect(parameters.find((p) => p.Name === name)?.DefaultValue, name).toBeUndefined();
    }
  });

  it('has Train, Evaluate and CheckQuality at the top level, the rest inside the branches', () => {
    expect(steps.map((s) => s.Name)).toEqual(['Train', 'Evaluate', 'CheckQuality']);
    const check = steps[2]!.Arguments as { [key: string]: Json };
    expect((check.IfSteps as { Name: string }[]).map((s) => s.Name)).toEqual(['RegisterModel', 'CheckApproval']);
    expect((check.ElseSteps as { Name: string }[]).map((s) => s.Name)).toEqual(['ExplainRejection']);
  });

  it('feeds the train channel from data and passes every hyperparameter as a string', () => {
    const args = steps[0]!.Arguments as { HyperParameters: Record<string, Json>; InputDataConfig: Json[] };
    expect(args.InputDataConfig).toEqual([
      { ChannelName: 'train', DataSource: { S3DataSource: { S3DataDistributionType: 'FullyReplicated', S3DataType: 'S3Prefix', S3Uri: { Get: 'Parameters.data' } } } },
    ]);
    expect(args.HyperParameters.epochs).toEqual({ 'Std:Join': { On: '', Values: [{ Get: 'Parameters.epochs' }] } });
    expect(args.HyperParameters['feature-layers']).toEqual({ Get: 'Parameters.feature-layers' });
    expect(args.HyperParameters['model-version']).toBeUndefined();
  });

  it('gates on the evaluation report with Std:JsonGet: accuracy, the in-scope flower rate and the out-of-scope detection rate', () => {
    const conditions = (steps[2]!.Arguments as { Conditions: Json[] }).Conditions;
    const jsonGet = (path: string) => ({ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: path } });
    const accuracy = jsonGet('multiclass_classification_metrics.accuracy.value');
    // The paths spelled out, not taken from EVALUATION_JSON_PATHS: a renamed field must fail here.
    expect(conditions).toEqual([
      { Type: 'GreaterThanOrEqualTo', LeftValue: accuracy, RightValue: { Get: 'Parameters.accuracy-threshold' } },
      { Type: 'GreaterThanOrEqualTo', LeftValue: accuracy, RightValue: { Get: 'Parameters.regression-floor' } },
      { Type: 'GreaterThanOrEqualTo', LeftValue: jsonGet('out_of_scope.in_scope.flower_correct_rate'), RightValue: { Get: 'Parameters.min-in-scope-flower-rate' } },
      { Type: 'GreaterThanOrEqualTo', LeftValue: jsonGet('out_of_scope.all_sets.detection_rate'), RightValue: { Get: 'Parameters.min-out-of-scope-detection' } },
    ]);
    const parameters = document.Parameters as { Name: string; Type: string; DefaultValue?: Json }[];
    for (const name of ['min-in-scope-flower-rate', 'min-out-of-scope-detection']) {
      expect(parameters.find((p) => p.Name === name)).toEqual({ Name: name, Type: 'Float', DefaultValue: 0.9 });
    }
  });

  it('explains a rejection by a chain of conditions, one Fail step per gate, each message naming its number', () => {
    const check = steps[2]!.Arguments as { ElseSteps: Json[] };
    type Branching = { Name: string; Type: string; Arguments: { Conditions?: Json[]; IfSteps?: Branching[]; ElseSteps?: Branching[]; ErrorMessage?: Json } };
    const chain: string[] = [];
    const messages: Record<string, string> = {};
    const walk = (step: Branching) => {
      chain.push(step.Name);
      if (step.Type === 'Fail') messages[step.Name] = JSON.stringify(step.Arguments.ErrorMessage);
      for (const next of [...(step.Arguments.ElseSteps ?? []), ...(step.Arguments.IfSteps ?? [])]) walk(next);
    };
    walk((check.ElseSteps as Branching[])[0]!);
    expect(chain).toEqual([
      'ExplainRejection', 'RejectedBelowThreshold', 'ExplainRegression', 'RejectedForRegression',
      'ExplainOutOfScope', 'RejectedInScopeFlowerRate', 'RejectedOutOfScopeDetection',
    ]);
    expect(messages.RejectedInScopeFlowerRate).toContain('out_of_scope.in_scope.flower_correct_rate');
    expect(messages.RejectedInScopeFlowerRate).toContain('Parameters.min-in-scope-flower-rate');
    expect(messages.RejectedOutOfScopeDetection).toContain('out_of_scope.all_sets.detection_rate');
    expect(messages.RejectedOutOfScopeDetection).toContain('Parameters.min-out-of-scope-detection');
  });

  it('has the Evaluate job score the generated out-of-scope set on SageMaker and locally', () => {
    const evaluate = steps[1]!.Arguments as { AppSpecification: { ContainerArguments: Json[] } };
    expect(evaluate.AppSpecification.ContainerArguments).toEqual(['processing', '--ood', 'generated']);
  });

  it('leaves <setting> placeholders, and says which, when compiled without settings', () => {
    const bare = compilePipeline(flowerPipeline);
    expect(bare.missingSettings).toEqual(['role-arn', 'training-image', 'evaluation-image', 'serving-image', 'deploy-function-arn', 'artifact-s3-uri']);
    expect((steps[0]!.Arguments as { RoleArn: string }).RoleArn).toBe(TEST_SETTINGS['role-arn']);
    expect(((bare.definition.Steps as { Arguments: { RoleArn: string } }[])[0]!.Arguments).RoleArn).toBe('<role-arn>');
  });
});
