import { describe, expect, test } from 'vitest';
import { SAGEMAKER_NAME_MAX, deployResourceName, isValidSageMakerName } from './sagemaker-names.js';

describe('deployResourceName', () => {
  test('carries the group and the version, then a short hash', () => {
    expect(deployResourceName('flower-classifier', 3, 'a')).toMatch(/^flower-classifier-v3-[0-9a-f]{6}$/);
  });

  test('differs by salt and is stable for the same inputs', () => {
    expect(deployResourceName('flower-classifier', 3, 'a')).toBe(deployResourceName('flower-classifier', 3, 'a'));
    expect(deployResourceName('flower-classifier', 3, 'a')).not.toBe(deployResourceName('flower-classifier', 3, 'b'));
  });

  test('a long group is cut so the name fits 63 characters and keeps its version', () => {
    const name = deployResourceName('a-very-long-model-package-group-name-for-the-flower-classifier-team', 123456, 's');
    expect(name.length).toBeLessThanOrEqual(SAGEMAKER_NAME_MAX);
    expect(name).toMatch(/-v123456-[0-9a-f]{6}$/);
    expect(isValidSageMakerName(name)).toBe(true);
  });

  test('characters SageMaker refuses become hyphens, without doubled or trailing ones before the version', () => {
    const name = deployResourceName('Flowers_2026.prod--', 1, 's');
    expect(name).toMatch(/^Flowers-2026-prod-v1-[0-9a-f]{6}$/);
    expect(isValidSageMakerName(name)).toBe(true);
  });
});
