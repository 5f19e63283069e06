import { describe, expect, it } from 'vitest';
import { gte } from './conditions.js';
import { definePipeline, PipelineDefinitionError, type PipelineDefinition, type Step } from './definition.js';
import { jsonGet, param, stepProperty } from './expressions.js';
import { flowerPipeline } from './flower-pipeline.js';
import { topologicalOrder } from './graph.js';
import { conditionStep } from './steps/condition-step.js';
import { failStep } from './steps/fail-step.js';
import { processingStep } from './steps/processing-step.js';
import { output } from './steps/step.js';
import { trainingStep } from './steps/training-step.js';
import { validatePipeline } from './validate.js';

const train = (overrides: Partial<Parameters<typeof trainingStep>[0]> = {}): Step =>
  trainingStep({
    name: 'Train',
    image: 'image',
    roleArn: 'role',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    volumeSizeGb: 30,
    maxRuntimeSeconds: 3600,
    hyperparameters: { epochs: param('epochs') },
    channels: { train: param('data') },
    outputPath: 's3://bucket/train',
    metricDefinitions: [],
    local: { script: 'train', args: ['--data', param('data'), '--out', output('model')] },
    ...overrides,
  });

const evaluate = (overrides: Partial<Parameters<typeof processingStep>[0]> = {}): Step =>
  processingStep({
    name: 'Evaluate',
    image: 'image',
    roleArn: 'role',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    volumeSizeGb: 30,
    maxRuntimeSeconds: 3600,
    containerArguments: [],
    inputs: [{ name: 'model', source: stepProperty('Train', 'ModelArtifacts.S3ModelArtifacts'), destination: '/opt/ml/processing/input/model' }],
    outputs: [{ name: 'evaluation', source: '/opt/ml/processing/output/evaluation', destination: 's3://bucket/evaluation' }],
    propertyFiles: [{ name: 'EvaluationReport', output: 'evaluation', path: 'evaluation.json' }],
    local: { script: 'evaluate', args: ['--out', output('evaluation')] },
    ...overrides,
  });

const gate = (overrides: Partial<Parameters<typeof conditionStep>[0]> = {}): Step =>
  conditionStep({
    name: 'Gate',
    conditions: [gte(jsonGet('Evaluate', 'EvaluationReport', 'accuracy'), param('threshold'))],
    ifSteps: [],
    elseSteps: ['Reject'],
    ...overrides,
  });

const reject = failStep({ name: 'Reject', message: 'rejected' });

function pipeline(steps: Step[], parameters: PipelineDefinition['parameters'] = []): PipelineDefinition {
  return {
    name: 'test',
    description: 'test',
    parameters: [
      { name: 'data', type: 'String', default: 'data', description: 'data' },
      { name: 'epochs', type: 'Integer', default: 3, description: 'epochs' },
      { name: 'threshold', type: 'Float', default: 0.9, description: 'threshold' },
      ...parameters,
    ],
    steps,
  };
}

describe('definePipeline', () => {
  it('accepts the flower pipeline and a small sound one', () => {
    expect(validatePipeline(flowerPipeline)).toEqual([]);
    expect(() => definePipeline(pipeline([train(), evaluate(), gate(), reject]))).not.toThrow();
  });

  it('orders the flower pipeline upstream first', () => {
    const order = topologicalOrder(flowerPipeline);
    expect(order.slice(0, 3)).toEqual(['Train', 'Evaluate', 'CheckQuality']);
    expect(order.indexOf('RegisterModel')).toBeLessThan(order.indexOf('Deploy'));
    expect(order.indexOf('CheckApproval')).toBeLessThan(order.indexOf('Deploy'));
  });

  const broken: [string, PipelineDefinition, string][] = [
    ['an undeclared parameter', pipeline([train({ hyperparameters: { epochs: param('epoch') } })]), 'step Train: param(epoch) names no declared parameter'],
    ['an undeclared step', pipeline([evaluate()]), "step Evaluate: Train.ModelArtifacts.S3ModelArtifacts names no declared step"],
    ['an unknown step property', pipeline([train(), evaluate({ inputs: [{ name: 'model', source: stepProperty('Train', 'ModelArtifacts.S3Model'), destination: '/m' }] })]), 'step Evaluate: a training step has no property ModelArtifacts.S3Model (known: ModelArtifacts.S3ModelArtifacts, TrainingJobName)'],
    ['an undeclared processing output', pipeline([train(), evaluate(), failStep({ name: 'F', message: stepProperty('Evaluate', "ProcessingOutputConfig.Outputs['report'].S3Output.S3Uri") })]), 'step F: processing step Evaluate has no output "report" (outputs: evaluation)'],
    ['an undeclared property file', pipeline([train(), evaluate(), gate({ conditions: [gte(jsonGet('Evaluate', 'Report', 'accuracy'), 0.9)] }), reject]), 'step Gate: Evaluate.Report:accuracy names no property file of Evaluate (declared: EvaluationReport)'],
    ['JsonGet on a training step', pipeline([train(), gate({ conditions: [gte(jsonGet('Train', 'EvaluationReport', 'accuracy'), 0.9)] }), reject]), 'step Gate: Train.EvaluationReport:accuracy reads a property file of Train, which is not a processing step'],
    ['a property file in an undeclared output', pipeline([train(), evaluate({ propertyFiles: [{ name: 'EvaluationReport', output: 'metrics', path: 'evaluation.json' }] })]), 'step Evaluate: property file EvaluationReport is in output metrics, which the step does not declare'],
    ['a duplicate step name', pipeline([train(), train()]), 'step Train is declared twice'],
    ['a duplicate parameter name', pipeline([train()], [{ name: 'epochs', type: 'Integer', default: 1, description: 'again' }]), 'parameter epochs is declared twice'],
    ['a bad step name', pipeline([train({ name: 'Train job' })]), 'step name "Train job" must be 1–64 letters, digits, - or _'],
    ['an invalid default', pipeline([train()], [{ name: 'approval', type: 'String', default: 'Maybe', enumValues: ['Approved'], description: 'approval' }]), 'default of parameter approval: "Maybe" is not one of Approved'],
    ['a dependsOn to nowhere', pipeline([train({ dependsOn: ['Prepare'] })]), 'step Train: depends on Prepare, which is not a declared step'],
    ['an undeclared branch step', pipeline([train(), evaluate(), gate({ elseSteps: ['Nope'] })]), 'step Gate: branch step Nope is not declared'],
    ['a step in two branches', pipeline([train(), evaluate(), gate({ ifSteps: ['Reject'] }), reject]), 'step Reject is in more than one condition branch (Gate if and Gate else)'],
    ['a local output the step lacks', pipeline([train({ local: { script: 'train', args: ['--out', output('models')] } })]), 'step Train: local command writes to output models, which the step does not declare (outputs: model)'],
    ['a reference to a fail step', pipeline([train(), evaluate(), gate(), reject, failStep({ name: 'F', message: stepProperty('Reject', 'Outcome') })]), 'step F: fail step Reject is terminal and has no properties'],
    ['a cycle', pipeline([train({ dependsOn: ['Evaluate'] }), evaluate()]), 'steps form a cycle: Train → Evaluate → Train'],
  ];

  it.each(broken)('refuses %s, naming it', (_what, definition, message) => {
    expect(validatePipeline(definition)).toContain(message);
    expect(() => definePipeline(definition)).toThrow(PipelineDefinitionError);
    expect(() => definePipeline(definition)).toThrow(message);
  });
});
