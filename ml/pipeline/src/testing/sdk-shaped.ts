import { eq, gt, gte, isIn, lte, not, or } from '../conditions.js';
import { definePipeline, type PipelineDefinition } from '../definition.js';
import { execution, join, param, stepProperty } from '../expressions.js';
import { conditionStep } from '../steps/condition-step.js';
import { failStep } from '../steps/fail-step.js';
import { lambdaStep } from '../steps/lambda-step.js';
import { processingStep } from '../steps/processing-step.js';
import { registerModelStep } from '../steps/register-model-step.js';
import { output } from '../steps/step.js';
import { trainingStep } from '../steps/training-step.js';

/**
 * One small pipeline per step kind, built like the SageMaker Python SDK's unit tests build theirs
 * (tests/unit/sagemaker/workflow: same names, images, roles and parameters), so the compiled steps
 * can be held against the dictionaries those tests expect. The expected dictionaries are quoted in
 * compile.test.ts; the full output is in the golden files.
 */
export const IMAGE_URI = 'fakeimage';
export const ROLE = 'DummyRole';

export const sdkTrainingPipeline: PipelineDefinition = definePipeline({
  name: 'MyPipeline',
  description: 'test_steps.py test_training_step_base_estimator',
  parameters: [
    { name: 'InstanceType', type: 'String', default: 'c4.4xlarge', description: 'instance type' },
    { name: 'DataSourceS3Uri', type: 'String', default: 's3://my-bucket/train_manifest', description: 'data' },
    { name: 'TrainingEpochs', type: 'Integer', default: 5, description: 'epochs' },
    { name: 'TrainingBatchSize', type: 'Integer', default: 500, description: 'batch size' },
  ],
  steps: [
    trainingStep({
      name: 'MyTrainingStep',
      description: 'TrainingStep description',
      image: IMAGE_URI,
      roleArn: ROLE,
      instanceType: param('InstanceType'),
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntimeSeconds: 86400,
      hyperparameters: { 'batch-size': param('TrainingBatchSize'), epochs: param('TrainingEpochs') },
      channels: { training: param('DataSourceS3Uri') },
      outputPath: join('/', ['s3:/', 'a', 'b']),
      metricDefinitions: [],
      cache: { expireAfter: 'PT1H' },
      local: { script: 'train', args: ['--data', param('DataSourceS3Uri'), '--out', output('model')] },
    }),
  ],
});

export const sdkProcessingPipeline: PipelineDefinition = definePipeline({
  name: 'MyPipeline',
  description: 'test_steps.py test_processing_step',
  parameters: [
    { name: 'ProcessingInputDataUri', type: 'String', default: 's3://my-bucket/processing_manifest', description: 'input' },
    { name: 'InstanceType', type: 'String', default: 'ml.m4.4xlarge', description: 'instance type' },
  ],
  steps: [
    processingStep({
      name: 'MyProcessingStep',
      description: 'ProcessingStep description',
      image: IMAGE_URI,
      roleArn: ROLE,
      instanceType: param('InstanceType'),
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntimeSeconds: 86400,
      containerArguments: [],
      inputs: [{ name: 'input-1', source: param('ProcessingInputDataUri'), destination: 'processing_manifest' }],
      outputs: [{ name: 'evaluation', source: '/opt/ml/processing/evaluation', destination: 's3://my-bucket/evaluation' }],
      propertyFiles: [{ name: 'EvaluationReport', output: 'evaluation', path: 'evaluation.json' }],
      cache: { expireAfter: 'PT1H' },
      local: { script: 'evaluate', args: ['--out', output('evaluation')] },
    }),
  ],
});

export const sdkConditionPipeline: PipelineDefinition = definePipeline({
  name: 'MyPipeline',
  description: 'test_condition_step.py test_pipeline_condition_step_interpolated; test_fail_step.py with a Join',
  parameters: [
    { name: 'MyInt1', type: 'Integer', description: 'left' },
    { name: 'MyInt2', type: 'Integer', description: 'right' },
    { name: 'MyStr', type: 'String', description: 'text' },
  ],
  steps: [
    conditionStep({
      name: 'MyConditionStep',
      conditions: [
        eq(param('MyInt1'), param('MyInt2')),
        gt(execution('StartDateTime'), '2020-12-01'),
        gte(execution('StartDateTime'), param('MyStr')),
        lte(execution('StartDateTime'), param('MyStr')),
        isIn(param('MyStr'), ['abc', 'def']),
        not(eq(param('MyInt1'), param('MyInt2'))),
        or(gt(execution('StartDateTime'), '2020-12-01'), isIn(param('MyStr'), ['abc', 'def'])),
      ],
      ifSteps: [],
      elseSteps: ['FailStep'],
    }),
    failStep({
      name: 'FailStep',
      message: join(': ', ['Failed due to xxx == yyy returns', stepProperty('MyConditionStep', 'Outcome')]),
    }),
  ],
});

export const sdkRegisterModelPipeline: PipelineDefinition = definePipeline({
  name: 'MyPipeline',
  description: 'test_step_collections.py test_register_model',
  parameters: [],
  steps: [
    registerModelStep({
      name: 'RegisterModelStep-RegisterModel',
      description: 'description',
      group: 'mpg',
      approval: 'Approved',
      image: '012345678901.dkr.ecr.us-west-2.amazonaws.com/my-custom-image-uri',
      modelData: 's3://my-bucket/model.tar.gz',
      contentTypes: ['content_type'],
      responseTypes: ['response_type'],
      inferenceInstanceTypes: ['inference_instance'],
      modelQuality: { s3Uri: 's3://my-bucket/metrics.csv', contentType: 'text/csv' },
      metadata: {},
    }),
  ],
});

export const sdkLambdaPipeline: PipelineDefinition = definePipeline({
  name: 'MyPipeline',
  description: 'test_lambda_step.py test_lambda_step',
  parameters: [{ name: 'MyInt', type: 'Integer', description: 'an integer' }],
  steps: [
    lambdaStep({
      name: 'MyLambdaStep',
      description: 'MyLambdaStepDescription',
      functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:sagemaker_test_lambda',
      arguments: { arg1: 'foo', arg2: 5, arg3: param('MyInt') },
      outputs: [
        { name: 'output1', type: 'String' },
        { name: 'output2', type: 'Boolean' },
      ],
      local: { action: 'test' },
    }),
  ],
});
