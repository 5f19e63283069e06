import { describe, expect, it } from 'vitest';
import { findStep, lookupProperty } from './definition.js';
import { setting } from './expressions.js';
import { flowerPipeline } from './flower-pipeline.js';
import { evaluateConditions, jsonPathGet, localCommandLine, LocalResolutionError, resolveValue, type LocalScope } from './local-values.js';
import { resolveParameters } from './parameters.js';
import type { ConditionStep } from './steps/condition-step.js';
import type { FailStep } from './steps/fail-step.js';
import type { ProcessingStep } from './steps/processing-step.js';
import type { TrainingStep } from './steps/training-step.js';

/**
 * A scope as the local executor would build it after Train and Evaluate finished, with a given accuracy
 * (and out-of-scope numbers: the shipped model's by default).
 */
function scopeAfterEvaluate(accuracy: number, given: Record<string, string> = {}, outOfScope = { inScope: 0.934, detection: 0.93 }): LocalScope {
  const parameters = resolveParameters(flowerPipeline.parameters, given, { data: '/data/flowers', deployedAccuracy: 0.97, gitCommit: 'abc' });
  const report = {
    multiclass_classification_metrics: { accuracy: { value: accuracy } },
    dataset: { item_count: 351, split: { dataset_fingerprint: 'sha256:x' } },
    out_of_scope: { in_scope: { flower_correct_rate: outOfScope.inScope }, all_sets: { detection_rate: outOfScope.detection } },
  };
  return {
    parameters,
    property: (step, path) => {
      const lookup = lookupProperty(findStep(flowerPipeline, step), path);
      if (!lookup.ok) throw new Error(lookup.problem);
      if ('output' in lookup.local) return `/runs/1/${step}/${lookup.local.output}${lookup.local.file ? `/${lookup.local.file}` : ''}`;
      return `${step}:${lookup.local.result}`;
    },
    propertyFile: (step, file) => {
      if (step !== 'Evaluate' || file !== 'EvaluationReport') throw new Error(`no ${step}.${file}`);
      return report;
    },
    execution: (variable) => `local-${variable}`,
  };
}

const condition = (name: string) => findStep(flowerPipeline, name) as ConditionStep;
const fail = (name: string) => findStep(flowerPipeline, name) as FailStep;

describe('the flower pipeline resolved locally', () => {
  it('builds the Train command line from parameter values and its output directory', () => {
    const line = localCommandLine(findStep(flowerPipeline, 'Train') as TrainingStep, scopeAfterEvaluate(0.95, { epochs: '7' }), (o) => `/runs/1/Train/${o}`);
    expect(line.script).toBe('train');
    expect(line.args.slice(0, 6)).toEqual(['--train-only', '--quiet', '--data', '/data/flowers', '--out', '/runs/1/Train/model']);
    expect(line.args).toEqual(expect.arrayContaining(['--epochs', '7', '--learning-rate', '0.0003', '--model-name', 'flower-classifier']));
    expect(line.args).not.toContain('--model-version');
  });

  it("builds the Evaluate command line from Train's model.tar.gz", () => {
    const line = localCommandLine(findStep(flowerPipeline, 'Evaluate') as ProcessingStep, scopeAfterEvaluate(0.95), (o) => `/runs/1/Evaluate/${o}`);
    expect(line).toEqual({
      script: 'evaluate',
      args: ['--quiet', '--model', '/runs/1/Train/model/model.tar.gz', '--data', '/data/flowers', '--ood', 'generated', '--out', '/runs/1/Evaluate/evaluation'],
    });
  });

  it('passes the gate when accuracy clears the threshold and the regression floor, and the out-of-scope numbers theirs', () => {
    // The shipped model's numbers (0.934 in-scope flower and correct, 0.930 detection) pass the defaults.
    expect(evaluateConditions(condition('CheckQuality').conditions, scopeAfterEvaluate(0.965))).toBe(true);
  });

  it('rejects below the threshold, saying so', () => {
    const scope = scopeAfterEvaluate(0.85);
    expect(evaluateConditions(condition('CheckQuality').conditions, scope)).toBe(false);
    expect(evaluateConditions(condition('ExplainRejection').conditions, scope)).toBe(false);
    expect(resolveValue(fail('RejectedBelowThreshold').message, scope)).toBe('rejected: accuracy 0.85 is below accuracy-threshold 0.9');
  });

  it('rejects a regression against the deployed model, saying which numbers', () => {
    const scope = scopeAfterEvaluate(0.95);
    expect(evaluateConditions(condition('CheckQuality').conditions, scope)).toBe(false);
    expect(evaluateConditions(condition('ExplainRejection').conditions, scope)).toBe(true);
    expect(evaluateConditions(condition('ExplainRegression').conditions, scope)).toBe(false);
    expect(resolveValue(fail('RejectedForRegression').message, scope)).toBe(
      'rejected: accuracy 0.95 is below regression-floor 0.96 (deployed-accuracy 0.97 − max-regression 0.01)',
    );
  });

  it('rejects a model that answers too few in-scope photos flower, naming that rate', () => {
    const scope = scopeAfterEvaluate(0.99, {}, { inScope: 0.85, detection: 0.95 });
    expect(evaluateConditions(condition('CheckQuality').conditions, scope)).toBe(false);
    for (const step of ['ExplainRejection', 'ExplainRegression']) expect(evaluateConditions(condition(step).conditions, scope), step).toBe(true);
    expect(evaluateConditions(condition('ExplainOutOfScope').conditions, scope)).toBe(false);
    expect(resolveValue(fail('RejectedInScopeFlowerRate').message, scope)).toBe(
      'rejected: in-scope flower rate 0.85 (test photos answered flower, correctly) is below min-in-scope-flower-rate 0.9',
    );
  });

  it('rejects a model that takes out-of-scope images for flowers, naming the detection rate, and a stricter minimum rejects the shipped numbers', () => {
    const scope = scopeAfterEvaluate(0.99, {}, { inScope: 0.95, detection: 0.5 });
    expect(evaluateConditions(condition('CheckQuality').conditions, scope)).toBe(false);
    for (const step of ['ExplainRejection', 'ExplainRegression', 'ExplainOutOfScope']) expect(evaluateConditions(condition(step).conditions, scope), step).toBe(true);
    expect(resolveValue(fail('RejectedOutOfScopeDetection').message, scope)).toBe(
      'rejected: out-of-scope detection rate 0.5 (out-of-scope images answered unknown or unsure) is below min-out-of-scope-detection 0.9',
    );
    const strict = scopeAfterEvaluate(0.99, { 'min-out-of-scope-detection': '0.99' });
    expect(evaluateConditions(condition('CheckQuality').conditions, strict)).toBe(false);
    expect(resolveValue(fail('RejectedOutOfScopeDetection').message, strict)).toMatch(/^rejected: out-of-scope detection rate 0\.93 .* min-out-of-scope-detection 0\.99$/);
  });

  it('deploys only when approval is Approved', () => {
    expect(evaluateConditions(condition('CheckApproval').conditions, scopeAfterEvaluate(0.99))).toBe(false);
    expect(evaluateConditions(condition('CheckApproval').conditions, scopeAfterEvaluate(0.99, { approval: 'Approved' }))).toBe(true);
  });

  it('refuses a compile setting, which only SageMaker has', () => {
    expect(() => resolveValue(setting('role-arn'), scopeAfterEvaluate(0.9))).toThrow(LocalResolutionError);
  });
});

describe('jsonPathGet', () => {
  it('follows dotted keys and [n] indices as Std:JsonGet does', () => {
    const doc = { a: { b: [{ c: 1 }, { c: 2 }] }, n: 0 };
    expect(jsonPathGet(doc, 'a.b[1].c')).toBe(2);
    expect(jsonPathGet(doc, 'n')).toBe(0);
    expect(jsonPathGet(doc, 'a.x.c')).toBeUndefined();
  });
});
