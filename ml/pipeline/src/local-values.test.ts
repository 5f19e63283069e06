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

/** A scope as the local executor would build it after Train and Evaluate finished, with a given accuracy. */
function scopeAfterEvaluate(accuracy: number, given: Record<string, string> = {}): LocalScope {
  const parameters = resolveParameters(flowerPipeline.parameters, given, { data: '/data/flowers', deployedAccuracy: 0.97, gitCommit: 'abc' });
  const report = { multiclass_classification_metrics: { accuracy: { value: accuracy } }, dataset: { item_count: 351, split: { dataset_fingerprint: 'sha256:x' } } };
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
      args: ['--quiet', '--model', '/runs/1/Train/model/model.tar.gz', '--data', '/data/flowers', '--out', '/runs/1/Evaluate/evaluation'],
    });
  });

  it('passes the gate when accuracy clears the threshold and the regression floor', () => {
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
    expect(resolveValue(fail('RejectedForRegression').message, scope)).toBe(
      'rejected: accuracy 0.95 is below regression-floor 0.96 (deployed-accuracy 0.97 − max-regression 0.01)',
    );
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
