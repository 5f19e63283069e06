import type { Value } from '../expressions.js';
import { renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { PropertyLookup, StepBase } from './step.js';

/**
 * Ends the execution as failed with a message (SageMaker's `Fail` step, `ErrorMessage` may be a
 * `Std:Join`; the SDK's test_fail_step.py). Locally: the executor marks the execution failed with the
 * message resolved the same way.
 */
export interface FailStep extends StepBase {
  kind: 'fail';
  message: Value;
}

export function failStep(step: Omit<FailStep, 'kind'>): FailStep {
  return { kind: 'fail', ...step };
}

export function failProperty(step: FailStep, _path: string): PropertyLookup {
  // As the SDK says: a Fail step is terminal and has no properties.
  return { ok: false, problem: `fail step ${step.name} is terminal and has no properties` };
}

export function compileFailArguments(step: FailStep, context: RenderContext): Record<string, Json> {
  return { ErrorMessage: renderValue(step.message, context) };
}
