import { describe, expect, it } from 'vitest';
import { flowerPipeline } from './flower-pipeline.js';
import { ParameterError, parseParameterAssignments, resolveParameters } from './parameters.js';

const context = { data: '/data/flowers', deployedAccuracy: 0.97, gitCommit: 'abc123' };

describe('resolveParameters on the flower pipeline', () => {
  const resolve = (given: Record<string, unknown>, ctx = context) => resolveParameters(flowerPipeline.parameters, given, ctx);

  it('takes the defaults from the training schema and fills the start-time values', () => {
    const values = resolve({});
    expect(values).toMatchObject({
      data: '/data/flowers',
      epochs: 15,
      'learning-rate': 3e-4,
      'model-name': 'flower-classifier',
      'accuracy-threshold': 0.9,
      'min-in-scope-flower-rate': 0.9,
      'min-out-of-scope-detection': 0.9,
      approval: 'PendingManualApproval',
      'deployed-accuracy': 0.97,
      'git-commit': 'abc123',
    });
    expect(values['feature-layers']).toMatch(/^block_10_expand_relu,.*out_relu$/);
  });

  it('computes regression-floor = deployed-accuracy − max-regression, at least 0, rounded', () => {
    expect(resolve({})['regression-floor']).toBe(0.96);
    expect(resolve({ 'max-regression': '0.05' })['regression-floor']).toBe(0.92);
    expect(resolve({ 'deployed-accuracy': '0' })['regression-floor']).toBe(0);
  });

  it('parses given strings by type and lets them win over the start context', () => {
    const values = resolve({ epochs: '20', 'learning-rate': '0.001', approval: 'Approved', 'deployed-accuracy': '0.5', data: 's3://b/flowers' });
    expect(values).toMatchObject({ epochs: 20, 'learning-rate': 0.001, approval: 'Approved', 'deployed-accuracy': 0.5, data: 's3://b/flowers' });
  });

  it.each([
    [{ epochs: '2.5' }, 'parameter epochs: expected Integer, got "2.5"'],
    [{ epochs: '0' }, 'parameter epochs: Too small: expected number to be >=1'],
    [{ dropout: 'lots' }, 'parameter dropout: expected Float, got "lots"'],
    [{ approval: 'Rejected' }, 'parameter approval: "Rejected" is not one of PendingManualApproval, Approved'],
    [{ 'accuracy-threshold': '1.5' }, 'parameter accuracy-threshold: must be between 0 and 1'],
    [{ 'min-in-scope-flower-rate': '-0.1' }, 'parameter min-in-scope-flower-rate: must be between 0 and 1'],
    [{ 'min-out-of-scope-detection': '1.01' }, 'parameter min-out-of-scope-detection: must be between 0 and 1'],
    [{ 'regression-floor': '0.5' }, 'parameter regression-floor is computed when the execution starts'],
    [{ 'model-version': '2' }, 'unknown parameter(s): model-version'],
  ])('refuses %o', (given, message) => {
    expect(() => resolve(given)).toThrow(ParameterError);
    expect(() => resolve(given)).toThrow(message);
  });

  it('asks for a value nobody filled, saying how to pass it', () => {
    expect(() => resolve({}, { data: '/d', gitCommit: 'x' } as typeof context)).toThrow(
      'parameter deployed-accuracy has no value: pass --param deployed-accuracy=<Float>',
    );
  });
});

describe('parseParameterAssignments', () => {
  it('splits name=value at the first =', () => {
    expect(parseParameterAssignments(['epochs=3', 'data=s3://b/p?x=1'])).toEqual({ epochs: '3', data: 's3://b/p?x=1' });
  });

  it('refuses a pair without a name or given twice', () => {
    expect(() => parseParameterAssignments(['=3'])).toThrow('--param expects name=value, got "=3"');
    expect(() => parseParameterAssignments(['epochs'])).toThrow('--param expects name=value');
    expect(() => parseParameterAssignments(['epochs=1', 'epochs=2'])).toThrow('--param epochs given twice');
  });
});
