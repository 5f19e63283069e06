import type { Condition } from './conditions.js';
import { isExpr, type ExecutionVariable, type Value } from './expressions.js';
import type { ParameterValue } from './parameters.js';
import type { ProcessingStep } from './steps/processing-step.js';
import { isLocalOutputArg } from './steps/step.js';
import type { TrainingStep } from './steps/training-step.js';

/**
 * What the local executor knows while an execution runs, to resolve references the way SageMaker
 * does: the parameter values, the properties of finished steps (where `lookupProperty` says they
 * are), their property files, the execution variables.
 */
export interface LocalScope {
  parameters: Readonly<Record<string, ParameterValue>>;
  property(step: string, path: string): ParameterValue;
  propertyFile(step: string, file: string): unknown;
  execution(variable: ExecutionVariable): string;
}

export class LocalResolutionError extends Error {
  override name = 'LocalResolutionError';
}

/** A dotted JSON path with optional `[n]` indices (`a.b[0].c`), as `Std:JsonGet` reads it. */
export function jsonPathGet(document: unknown, path: string): unknown {
  let current: unknown = document;
  for (const part of path.split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!match) throw new LocalResolutionError(`bad JSON path ${path}`);
    const indices = [...match[2]!.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    current = (current as Record<string, unknown> | undefined)?.[match[1]!];
    for (const i of indices) current = Array.isArray(current) ? current[i] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

export function resolveValue(value: Value, scope: LocalScope): ParameterValue {
  if (!isExpr(value)) return value;
  switch (value.kind) {
    case 'parameter': {
      const v = scope.parameters[value.name];
      if (v === undefined) throw new LocalResolutionError(`parameter ${value.name} has no value`);
      return v;
    }
    case 'property':
      return scope.property(value.step, value.path);
    case 'jsonGet': {
      const v = jsonPathGet(scope.propertyFile(value.step, value.propertyFile), value.path);
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new LocalResolutionError(`${value.step}.${value.propertyFile} has no value at ${value.path}`);
      }
      return v;
    }
    case 'join':
      return value.values.map((v) => String(resolveValue(v, scope))).join(value.on);
    case 'execution':
      return scope.execution(value.variable);
    case 'setting':
      throw new LocalResolutionError(`setting ${value.key} is for SageMaker only; a local step cannot read it`);
  }
}

// Numbers compare as numbers, anything else as text (SageMaker compares the primitive values).
function order(a: ParameterValue, b: ParameterValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function evaluateCondition(condition: Condition, scope: LocalScope): boolean {
  switch (condition.kind) {
    case 'compare': {
      const c = order(resolveValue(condition.left, scope), resolveValue(condition.right, scope));
      const ops = { Equals: c === 0, GreaterThan: c > 0, GreaterThanOrEqualTo: c >= 0, LessThan: c < 0, LessThanOrEqualTo: c <= 0 };
      return ops[condition.op];
    }
    case 'in': {
      const v = resolveValue(condition.value, scope);
      return condition.values.some((candidate) => order(v, resolveValue(candidate, scope)) === 0);
    }
    case 'not':
      return !evaluateCondition(condition.condition, scope);
    case 'or':
      return condition.conditions.some((c) => evaluateCondition(c, scope));
  }
}

/** A condition step's conditions all hold (SageMaker's list is a conjunction). */
export const evaluateConditions = (conditions: readonly Condition[], scope: LocalScope) => conditions.every((c) => evaluateCondition(c, scope));

/**
 * The command line of a job step for the local executor: `npm run <script> -- <args>`, each argument
 * resolved, each `{output}` replaced by the directory the executor allots to that output.
 */
export function localCommandLine(step: TrainingStep | ProcessingStep, scope: LocalScope, outputDir: (output: string) => string): { script: string; args: string[] } {
  return {
    script: step.local.script,
    args: step.local.args.map((arg) => (isLocalOutputArg(arg) ? outputDir(arg.output) : String(resolveValue(arg, scope)))),
  };
}
