import { OUT_OF_SCOPE_METHOD, outOfScopeScores, type OutOfScopeCalibration, type OutOfScopeWeights } from '@petal/model';
import type { FeatureSet } from './features.js';

/**
 * Fits the out-of-scope score (see @petal/model's out-of-scope.ts) on the training photos as serving sees
 * them (no augmented views: a crop that lost the flower should not count as in scope): per-class means
 * of the square-rooted features and the shared within-class variance of each feature. The weights are
 * divided by the feature count so that a typical in-scope photo scores about 1.
 */
export function fitOutOfScope(train: FeatureSet, numClasses: number): OutOfScopeWeights {
  const { dim, count } = train;
  const sums = new Float64Array(numClasses * dim);
  const counts = new Float64Array(numClasses);
  const root = (r: number, d: number) => Math.sqrt(Math.max(0, train.features[r * dim + d]!));
  for (let r = 0; r < count; r++) {
    const c = train.labels[r]!;
    counts[c]!++;
    for (let d = 0; d < dim; d++) sums[c * dim + d]! += root(r, d);
  }
  const centers = new Float32Array(numClasses * dim);
  for (let c = 0; c < numClasses; c++) {
    if (counts[c] === 0) throw new Error(`class ${c} has no training photos to fit the out-of-scope score on`);
    for (let d = 0; d < dim; d++) centers[c * dim + d] = sums[c * dim + d]! / counts[c]!;
  }
  const variance = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    const c = train.labels[r]!;
    for (let d = 0; d < dim; d++) variance[d]! += (root(r, d) - centers[c * dim + d]!) ** 2;
  }
  let mean = 0;
  for (let d = 0; d < dim; d++) mean += variance[d]! /= count;
  mean /= dim;
  // A floor of 1% of the average variance: a feature that never varies on flowers (a dead channel) would
  // otherwise get an unbounded weight and make the score one channel's verdict.
  const weights = Float32Array.from(variance, (v) => 1 / (dim * (v + 0.01 * mean)));
  return { centers, weights };
}

export interface CalibrationTargets {
  /** Share of held-out in-scope photos that must score at or below the `unsure` threshold. */
  unsure: number;
  /** The same for the `unknown` threshold (at least `unsure`). */
  unknown: number;
}

/**
 * Sets the thresholds on held-out in-scope photos: each is the smallest score that keeps its share of
 * them at or below it, so "unknown at a 99.5% true-positive rate" means at most 0.5% of such photos would
 * be called unknown.
 */
export function calibrateOutOfScope(
  weights: OutOfScopeWeights,
  heldOut: FeatureSet,
  subset: 'validation' | 'test',
  targets: CalibrationTargets,
): { calibration: OutOfScopeCalibration; scores: Float64Array } {
  if (heldOut.count === 0) throw new Error('no held-out photos to calibrate the out-of-scope score on');
  const scores = outOfScopeScores(heldOut.features, heldOut.count, heldOut.dim, weights);
  const sorted = Float64Array.from(scores).sort();
  const at = (rate: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(rate * sorted.length) - 1))]!;
  const unsure = at(targets.unsure);
  const unknown = Math.max(unsure, at(targets.unknown));
  const share = (t: number) => scores.filter((s) => s <= t).length / scores.length;
  return {
    calibration: {
      method: OUT_OF_SCOPE_METHOD,
      thresholds: { unsure, unknown },
      calibration: { subset, size: heldOut.count, truePositiveRate: { unsure: share(unsure), unknown: share(unknown) } },
    },
    scores,
  };
}
