import type { Condition } from '../conditions.js';
import { renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { PropertyLookup, StepBase } from './step.js';

/**
 * Runs `ifSteps` when every condition holds, else `elseSteps` (SageMaker's `Condition` step; the SDK's
 * test_condition_step.py and test_conditions.py). Branch steps are declared in the pipeline like any
 * other and named here; on SageMaker they are written inside the condition step. Locally: the executor
 * evaluates the conditions with `evaluateCondition` and runs only the chosen branch's steps (and what
 * depends on them).
 */
export interface ConditionStep extends StepBase {
  kind: 'condition';
  conditions: Condition[];
  ifSteps: string[];
  elseSteps: string[];
}

export function conditionStep(step: Omit<ConditionStep, 'kind'>): ConditionStep {
  return { kind: 'condition', ...step };
}

export function conditionProperty(_step: ConditionStep, path: string): PropertyLookup {
  if (path === 'Outcome') return { ok: true, local: { result: 'Outcome' } };
  return { ok: false, problem: `a condition step has no property ${path} (known: Outcome)` };
}

export function compileCondition(condition: Condition, context: RenderContext): Json {
  switch (condition.kind) {
    case 'compare':
      return { Type: condition.op, LeftValue: renderValue(condition.left, context), RightValue: renderValue(condition.right, context) };
    case 'in':
      return { Type: 'In', QueryValue: renderValue(condition.value, context), Values: condition.values.map((v) => renderValue(v, context)) };
    case 'not':
      return { Type: 'Not', Condition: compileCondition(condition.condition, context) };
    case 'or':
      return { Type: 'Or', Conditions: condition.conditions.map((c) => compileCondition(c, context)) };
  }
}
