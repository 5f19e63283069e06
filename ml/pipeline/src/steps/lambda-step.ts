import type { Value } from '../expressions.js';
import { renderRecord, renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { PropertyLookup, StepBase } from './step.js';

export type LambdaOutputType = 'String' | 'Integer' | 'Boolean' | 'Float';

/**
 * A function call. On SageMaker: a `Lambda` step — `FunctionArn` and `OutputParameters` beside the
 * `Arguments` (the event the function receives), as the SDK's test_lambda_step.py emits it. Locally:
 * the executor calls the in-process action named `local.action` with the same arguments, resolved, and
 * takes its outputs from the returned object.
 */
export interface LambdaStep extends StepBase {
  kind: 'lambda';
  functionArn: Value;
  arguments: Record<string, Value>;
  outputs: { name: string; type: LambdaOutputType }[];
  local: { action: string };
}

export function lambdaStep(step: Omit<LambdaStep, 'kind'>): LambdaStep {
  return { kind: 'lambda', ...step };
}

const OUTPUT = /^OutputParameters\['([^']+)'\]$/;

export function lambdaProperty(step: LambdaStep, path: string): PropertyLookup {
  const name = OUTPUT.exec(path)?.[1];
  if (name && step.outputs.some((o) => o.name === name)) return { ok: true, local: { result: name } };
  return { ok: false, problem: `lambda step ${step.name} has no property ${path} (known: ${step.outputs.map((o) => `OutputParameters['${o.name}']`).join(', ') || 'none'})` };
}

/** Top-level fields of a Lambda step (SageMaker puts FunctionArn and OutputParameters outside Arguments). */
export function compileLambdaFields(step: LambdaStep, context: RenderContext): Record<string, Json> {
  return {
    FunctionArn: renderValue(step.functionArn, context),
    OutputParameters: step.outputs.map((o) => ({ OutputName: o.name, OutputType: o.type })),
    Arguments: renderRecord(step.arguments, context),
  };
}
