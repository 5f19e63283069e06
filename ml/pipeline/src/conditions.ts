import { describeValue, type Value } from './expressions.js';

/**
 * Conditions of a condition step, as SageMaker Pipelines has them (a step's list of conditions is a
 * conjunction; there is `Or` and `Not` but no arithmetic, which is why the regression gate compares
 * against a floor computed when the execution starts — see flower-pipeline.ts).
 */
export const COMPARISONS = ['Equals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export type Condition =
  | { kind: 'compare'; op: Comparison; left: Value; right: Value }
  | { kind: 'in'; value: Value; values: Value[] }
  | { kind: 'not'; condition: Condition }
  | { kind: 'or'; conditions: Condition[] };

const compare = (op: Comparison) => (left: Value, right: Value): Condition => ({ kind: 'compare', op, left, right });
export const eq = compare('Equals');
export const gt = compare('GreaterThan');
export const gte = compare('GreaterThanOrEqualTo');
export const lt = compare('LessThan');
export const lte = compare('LessThanOrEqualTo');
export const isIn = (value: Value, values: Value[]): Condition => ({ kind: 'in', value, values });
export const not = (condition: Condition): Condition => ({ kind: 'not', condition });
export const or = (...conditions: Condition[]): Condition => ({ kind: 'or', conditions });

/** The values a condition reads (for reference checks and the dependency graph). */
export function conditionValues(condition: Condition): Value[] {
  switch (condition.kind) {
    case 'compare':
      return [condition.left, condition.right];
    case 'in':
      return [condition.value, ...condition.values];
    case 'not':
      return conditionValues(condition.condition);
    case 'or':
      return condition.conditions.flatMap(conditionValues);
  }
}

const SYMBOLS: Record<Comparison, string> = {
  Equals: '=',
  GreaterThan: '>',
  GreaterThanOrEqualTo: '≥',
  LessThan: '<',
  LessThanOrEqualTo: '≤',
};

export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'compare':
      return `${describeValue(condition.left)} ${SYMBOLS[condition.op]} ${describeValue(condition.right)}`;
    case 'in':
      return `${describeValue(condition.value)} in [${condition.values.map(describeValue).join(', ')}]`;
    case 'not':
      return `not (${describeCondition(condition.condition)})`;
    case 'or':
      return condition.conditions.map((c) => `(${describeCondition(c)})`).join(' or ');
  }
}
