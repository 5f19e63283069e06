import type { RegisterInput } from '../types.js';

/** A registration as the pipeline's RegisterModel step makes one; fields overridable. */
export function samplePackage(overrides: Partial<RegisterInput> = {}): RegisterInput {
  return {
    group: 'flower-classifier',
    artifactUri: 's3://petal-artifacts/runs/r1/model.tar.gz',
    evaluationUri: 's3://petal-artifacts/runs/r1/evaluation/evaluation.json',
    metrics: { accuracy: 0.9772, macroF1: 0.9753, testSize: 351 },
    dataFingerprint: 'sha256:5e58aa0c',
    gitCommit: 'b2c868b1e0c4',
    modelName: 'flower-classifier',
    modelVersion: '1.0.0',
    by: 'pipeline',
    ...overrides,
  };
}
