import type { ParameterDef } from './parameters.js';
import { conditionProperty, type ConditionStep } from './steps/condition-step.js';
import { failProperty, type FailStep } from './steps/fail-step.js';
import { lambdaProperty, type LambdaStep } from './steps/lambda-step.js';
import { processingProperty, type ProcessingStep } from './steps/processing-step.js';
import { registerModelProperty, type RegisterModelStep } from './steps/register-model-step.js';
import type { PropertyLookup } from './steps/step.js';
import { TRAINING_MODEL_OUTPUT, trainingProperty, type TrainingStep } from './steps/training-step.js';
import { validatePipeline } from './validate.js';

export type Step = TrainingStep | ProcessingStep | ConditionStep | RegisterModelStep | LambdaStep | FailStep;

/** One pipeline: what runs locally and what compiles to SageMaker Pipelines. */
export interface PipelineDefinition {
  name: string;
  description: string;
  parameters: ParameterDef[];
  /** In any order; the graph comes from references, `dependsOn` and condition branches. */
  steps: Step[];
}

export class PipelineDefinitionError extends Error {
  override name = 'PipelineDefinitionError';
  constructor(
    pipeline: string,
    readonly problems: string[],
  ) {
    super(`pipeline ${pipeline} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Checks a definition (references, names, cycles) and returns it; throws listing every problem. */
export function definePipeline(definition: PipelineDefinition): PipelineDefinition {
  const problems = validatePipeline(definition);
  if (problems.length) throw new PipelineDefinitionError(definition.name, problems);
  return definition;
}

/** A step property (`ModelArtifacts.S3ModelArtifacts`) and where the local executor finds it, or why not. */
export function lookupProperty(step: Step, path: string): PropertyLookup {
  switch (step.kind) {
    case 'training':
      return trainingProperty(step, path);
    case 'processing':
      return processingProperty(step, path);
    case 'condition':
      return conditionProperty(step, path);
    case 'registerModel':
      return registerModelProperty(step, path);
    case 'lambda':
      return lambdaProperty(step, path);
    case 'fail':
      return failProperty(step, path);
  }
}

/** The outputs a job step declares (directories the local executor allots). */
export function stepOutputs(step: Step): string[] {
  if (step.kind === 'training') return [TRAINING_MODEL_OUTPUT];
  if (step.kind === 'processing') return step.outputs.map((o) => o.name);
  return [];
}

export function findStep(definition: PipelineDefinition, name: string): Step {
  const step = definition.steps.find((s) => s.name === name);
  if (!step) throw new Error(`pipeline ${definition.name} has no step ${name}`);
  return step;
}
