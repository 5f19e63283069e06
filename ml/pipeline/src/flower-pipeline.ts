import { EVALUATION_FILE, EVALUATION_JSON_PATHS, processingPaths } from '@petal/evaluation';
import { DEFAULT_GROUP, METADATA_KEYS } from '@petal/registry';
import { eq, gte } from './conditions.js';
import { definePipeline, type PipelineDefinition } from './definition.js';
import { execution, join, jsonGet, param, setting, stepProperty } from './expressions.js';
import { HYPERPARAMETER_PARAMETER_NAMES, hyperparameterParameters } from './hyperparameter-parameters.js';
import type { ParameterDef } from './parameters.js';
import { conditionStep } from './steps/condition-step.js';
import { deployStep } from './steps/deploy-step.js';
import { failStep } from './steps/fail-step.js';
import { processingStep } from './steps/processing-step.js';
import { APPROVAL_STATUSES, registerModelStep } from './steps/register-model-step.js';
import { output } from './steps/step.js';
import { TRAINING_MODEL_OUTPUT, trainingStep } from './steps/training-step.js';

/** The model package group every version of the flower classifier is registered in. */
export const MODEL_PACKAGE_GROUP = DEFAULT_GROUP;
export const FLOWER_PIPELINE_NAME = 'petal-flower-classifier';

const DATASET_FINGERPRINT_PATH = EVALUATION_JSON_PATHS.datasetFingerprint;

/** The gates' rates and accuracies are shares. */
const shareCheck: ParameterDef['check'] = (v) => (Number(v) >= 0 && Number(v) <= 1 ? undefined : 'must be between 0 and 1');

/**
 * SageMaker Pipelines conditions cannot subtract, so "accuracy ≥ deployed − max-regression" compares
 * against `regression-floor`, computed from `deployed-accuracy` and `max-regression` when an execution
 * starts (`pipeline start`, the local executor) — the same condition then runs on SageMaker and
 * locally. `deployed-accuracy` is filled from the registry at start (0 when nothing is deployed).
 */
const gateParameters: ParameterDef[] = [
  {
    name: 'accuracy-threshold',
    type: 'Float',
    default: 0.9,
    description: 'the lowest test accuracy a model may have to be registered',
    check: shareCheck,
  },
  {
    name: 'max-regression',
    type: 'Float',
    default: 0.01,
    description: 'how far below the deployed model’s accuracy a new model may be',
    check: shareCheck,
  },
  {
    name: 'deployed-accuracy',
    type: 'Float',
    description: 'the test accuracy of the version now deployed, filled from the registry at start; 0 = nothing deployed',
    fromContext: (context) => context.deployedAccuracy,
    check: shareCheck,
  },
  {
    name: 'regression-floor',
    type: 'Float',
    description: 'deployed-accuracy − max-regression (at least 0), computed at start',
    // Rounded so that 0.97 − 0.01 reads 0.96 in the rejection message, not 0.9599999999999999.
    derive: (v) => Math.max(0, Math.round((Number(v['deployed-accuracy']) - Number(v['max-regression'])) * 1e6) / 1e6),
  },
  // Accuracy alone passes a model that calls everything a flower: these two hold its out-of-scope answers
  // to account too (the shipped model: 0.934 and 0.930).
  {
    name: 'min-in-scope-flower-rate',
    type: 'Float',
    default: 0.9,
    description: 'the lowest share of in-scope test photos a model may answer flower, and correctly, to be registered',
    check: shareCheck,
  },
  {
    name: 'min-out-of-scope-detection',
    type: 'Float',
    default: 0.9,
    description: 'the lowest share of out-of-scope images (the generated set) a model may answer unknown or unsure, to be registered',
    check: shareCheck,
  },
];

const parameters: ParameterDef[] = [
  {
    name: 'data',
    type: 'String',
    description: 'the labelled photos, one folder per class: a directory (local runs) or an s3:// prefix',
    fromContext: (context) => context.data,
  },
  ...hyperparameterParameters(),
  ...gateParameters,
  {
    name: 'approval',
    type: 'String',
    default: 'PendingManualApproval',
    enumValues: APPROVAL_STATUSES,
    description: 'the status a registered version starts in; Approved deploys it at once',
  },
  {
    name: 'endpoint-name',
    type: 'String',
    default: 'image-classifier',
    description: 'the endpoint an approved version is deployed to',
  },
  {
    name: 'git-commit',
    type: 'String',
    description: 'the commit of the code that runs, recorded with the registered version; filled at start',
    fromContext: (context) => context.gitCommit,
  },
];

const modelArtifact = stepProperty('Train', 'ModelArtifacts.S3ModelArtifacts');
const report = (path: string) => jsonGet('Evaluate', 'EvaluationReport', path);
const accuracy = report(EVALUATION_JSON_PATHS.accuracy);
const inScopeFlowerRate = report(EVALUATION_JSON_PATHS.inScopeFlowerRate);
const outOfScopeDetection = report(EVALUATION_JSON_PATHS.outOfScopeDetectionRate);
// The out-of-scope set the gate's detection rate is measured on, named in both runs of the job.
const OUT_OF_SCOPE_ARGS = ['--ood', 'generated'];
const evaluationOutput = stepProperty('Evaluate', "ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri");
// The layout the evaluation job's Processing contract reads and writes.
const container = processingPaths('/opt/ml');

export const flowerPipeline: PipelineDefinition = definePipeline({
  name: FLOWER_PIPELINE_NAME,
  description: 'Train the flower classifier, evaluate it on its held-out photos and a generated out-of-scope set, gate on accuracy and out-of-scope answers, register it and deploy an approved version',
  parameters,
  steps: [
    trainingStep({
      name: 'Train',
      description: 'fit the head on the photos in data; writes the model, its held-out test split and its training history',
      image: setting('training-image'),
      roleArn: setting('role-arn'),
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntimeSeconds: 3600,
      hyperparameters: Object.fromEntries(HYPERPARAMETER_PARAMETER_NAMES.map((n) => [n, param(n)])),
      channels: { train: param('data') },
      outputPath: join('/', [setting('artifact-s3-uri'), 'train']),
      metricDefinitions: [
        { name: 'validation:accuracy', regex: 'validation_accuracy=([0-9.]+)' },
        { name: 'validation:loss', regex: 'validation_loss=([0-9.]+)' },
      ],
      // The same data and hyperparameters give the same model, so a finished job can be reused.
      cache: { expireAfter: 'P30D' },
      local: {
        script: 'train',
        args: ['--train-only', '--quiet', '--data', param('data'), '--out', output(TRAINING_MODEL_OUTPUT), ...HYPERPARAMETER_PARAMETER_NAMES.flatMap((n) => [`--${n}`, param(n)])],
      },
    }),
    processingStep({
      name: 'Evaluate',
      description: 'score the model on the photos its training run held out and on the generated out-of-scope set, as the endpoint serves it',
      image: setting('evaluation-image'),
      roleArn: setting('role-arn'),
      instanceType: 'ml.m5.xlarge',
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntimeSeconds: 3600,
      containerArguments: ['processing', ...OUT_OF_SCOPE_ARGS],
      inputs: [
        { name: 'model', source: modelArtifact, destination: `${container.input}/model` },
        { name: 'data', source: param('data'), destination: `${container.input}/data` },
      ],
      outputs: [
        {
          name: 'evaluation',
          source: `${container.output}/evaluation`,
          destination: join('/', [setting('artifact-s3-uri'), execution('PipelineExecutionId'), 'evaluation']),
        },
      ],
      propertyFiles: [{ name: 'EvaluationReport', output: 'evaluation', path: EVALUATION_FILE }],
      local: {
        script: 'evaluate',
        args: ['--quiet', '--model', modelArtifact, '--data', param('data'), ...OUT_OF_SCOPE_ARGS, '--out', output('evaluation')],
      },
    }),
    conditionStep({
      name: 'CheckQuality',
      description:
        'accuracy ≥ accuracy-threshold and ≥ deployed-accuracy − max-regression; in-scope flower rate ≥ min-in-scope-flower-rate; out-of-scope detection ≥ min-out-of-scope-detection',
      conditions: [
        gte(accuracy, param('accuracy-threshold')),
        gte(accuracy, param('regression-floor')),
        gte(inScopeFlowerRate, param('min-in-scope-flower-rate')),
        gte(outOfScopeDetection, param('min-out-of-scope-detection')),
      ],
      ifSteps: ['RegisterModel', 'CheckApproval'],
      elseSteps: ['ExplainRejection'],
    }),
    // A Fail step's message cannot branch, so a chain of conditions, one per gate in CheckQuality's order,
    // picks the message that names the first number that failed.
    conditionStep({
      name: 'ExplainRejection',
      description: 'which quality number failed: accuracy-threshold?',
      conditions: [gte(accuracy, param('accuracy-threshold'))],
      ifSteps: ['ExplainRegression'],
      elseSteps: ['RejectedBelowThreshold'],
    }),
    conditionStep({
      name: 'ExplainRegression',
      description: 'which quality number failed: regression-floor?',
      conditions: [gte(accuracy, param('regression-floor'))],
      ifSteps: ['ExplainOutOfScope'],
      elseSteps: ['RejectedForRegression'],
    }),
    conditionStep({
      name: 'ExplainOutOfScope',
      description: 'which quality number failed: the in-scope flower rate, else the out-of-scope detection rate',
      conditions: [gte(inScopeFlowerRate, param('min-in-scope-flower-rate'))],
      ifSteps: ['RejectedOutOfScopeDetection'],
      elseSteps: ['RejectedInScopeFlowerRate'],
    }),
    failStep({
      name: 'RejectedBelowThreshold',
      message: join('', ['rejected: accuracy ', accuracy, ' is below accuracy-threshold ', param('accuracy-threshold')]),
    }),
    failStep({
      name: 'RejectedForRegression',
      message: join('', [
        'rejected: accuracy ', accuracy, ' is below regression-floor ', param('regression-floor'),
        ' (deployed-accuracy ', param('deployed-accuracy'), ' − max-regression ', param('max-regression'), ')',
      ]),
    }),
    failStep({
      name: 'RejectedInScopeFlowerRate',
      message: join('', [
        'rejected: in-scope flower rate ', inScopeFlowerRate, ' (test photos answered flower, correctly) is below min-in-scope-flower-rate ', param('min-in-scope-flower-rate'),
      ]),
    }),
    failStep({
      name: 'RejectedOutOfScopeDetection',
      message: join('', [
        'rejected: out-of-scope detection rate ', outOfScopeDetection, ' (out-of-scope images answered unknown or unsure) is below min-out-of-scope-detection ',
        param('min-out-of-scope-detection'),
      ]),
    }),
    registerModelStep({
      name: 'RegisterModel',
      description: 'the flower classifier, trained and evaluated by the Petal pipeline',
      group: MODEL_PACKAGE_GROUP,
      approval: param('approval'),
      image: setting('serving-image'),
      modelData: modelArtifact,
      contentTypes: ['image/jpeg', 'image/png', 'image/webp', 'application/x-image', 'application/json'],
      responseTypes: ['application/json'],
      inferenceInstanceTypes: ['ml.m5.large', 'ml.c5.large'],
      modelQuality: { s3Uri: join('/', [evaluationOutput, EVALUATION_FILE]), contentType: 'application/json' },
      // The keys @petal/registry reads back from CustomerMetadataProperties, so a version registered by
      // the SageMaker pipeline lists like one registered locally.
      metadata: {
        [METADATA_KEYS.accuracy]: accuracy,
        [METADATA_KEYS.macroF1]: report(EVALUATION_JSON_PATHS.macroF1),
        [METADATA_KEYS.testSize]: report(EVALUATION_JSON_PATHS.itemCount),
        [METADATA_KEYS.dataFingerprint]: report(DATASET_FINGERPRINT_PATH),
        [METADATA_KEYS.modelName]: report('model.name'),
        [METADATA_KEYS.modelVersion]: report('model.version'),
        [METADATA_KEYS.gitCommit]: param('git-commit'),
        'petal:data-source': param('data'),
      },
    }),
    conditionStep({
      name: 'CheckApproval',
      description: 'deploy only a version registered as Approved',
      conditions: [eq(param('approval'), 'Approved')],
      ifSteps: ['Deploy'],
      elseSteps: [],
    }),
    deployStep({
      name: 'Deploy',
      description: 'deploy the approved version to endpoint-name, with rollback',
      modelPackageArn: stepProperty('RegisterModel', 'ModelPackageArn'),
      endpointName: param('endpoint-name'),
    }),
  ],
});
