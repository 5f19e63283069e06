import { OUT_OF_SCOPE_METHOD, createLinearKernels, outOfScopeScores, type OutOfScopeCalibration, type OutOfScopeWeights } from '@petal/model';
import { concatFeatureSets, type FeatureSet } from './features.js';
import { normalize, standardization } from './head-trainer.js';
import { fitSoftmax, type SoftmaxWeights } from './softmax-regression.js';

/**
 * Fits the out-of-scope score (see @petal/model's out-of-scope.ts) on the training photos as serving sees
 * them (no augmented views: a crop that lost the flower should not count as in scope): per-class means
 * of the square-rooted features and the shared within-class variance of each feature.
 *
 * `layerWidths` (the extractor's `featureWidths`) groups the features by backbone layer, and each layer
 * gets the same share of the score: w_d = 1 / (layers · width · (σ²_d + 0.01 · the layer's mean σ²)).
 * Without it the wide late layers (960 and 1280 channels, tuned by nsfwjs for its own task) outvote the
 * earlier ones that tell flat colours, noise and logos from flowers; the README has the numbers. Either
 * way a typical in-scope photo scores about 1. Without widths all features count as one layer.
 */
export function fitOutOfScope(train: FeatureSet, numClasses: number, layerWidths?: readonly number[]): OutOfScopeWeights {
  const { dim, count } = train;
  const widths = layerWidths?.length ? layerWidths : [dim];
  if (widths.reduce((a, b) => a + b, 0) !== dim || widths.some((w) => !(w > 0))) {
    throw new Error(`layer widths [${widths.join(', ')}] do not add up to the ${dim} features`);
  }
  const sums = new Float64Array(numClasses * dim);
  const counts = new Float64Array(numClasses);
  const root = (r: number, d: number) => rootOf(train.features[r * dim + d]!);
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
  const weights = new Float32Array(dim);
  let start = 0;
  for (const width of widths) {
    let mean = 0;
    for (let d = start; d < start + width; d++) mean += variance[d]! /= count;
    mean /= width;
    // A floor of 1% of the layer's average variance: a feature that never varies on flowers (a dead
    // channel) would otherwise get an unbounded weight and make the score one channel's verdict.
    for (let d = start; d < start + width; d++) weights[d] = 1 / (widths.length * width * (variance[d]! + 0.01 * mean));
    start += width;
  }
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
  const unsure = quantile(scores, targets.unsure);
  const unknown = Math.max(unsure, quantile(scores, targets.unknown));
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

export interface OutlierFitOptions {
  /** Penalty on the squared weights, as for the head. */
  l2: number;
  maxIterations: number;
}

/**
 * The learned term of the out-of-scope score (outlier exposure): a logistic regression on the
 * standardized square-rooted features that tells the training photos (in scope) from example images of
 * other things, fitted by the head's L-BFGS (deterministic: zero start, one thread). It is then rewritten
 * on the raw square-rooted features, as serving computes it, and rescaled so that on the validation photos
 * its median and 99th percentile equal the distance's: one pair of thresholds then reads the larger of
 * the two terms.
 */
export async function fitOutlierTerm(
  inScope: FeatureSet,
  examples: FeatureSet,
  validation: FeatureSet,
  distance: OutOfScopeWeights,
  options: OutlierFitOptions,
): Promise<{ weights: Float32Array; bias: number }> {
  const { dim } = inScope;
  if (examples.count === 0) throw new Error('no example images of other things to fit the out-of-scope score against');
  if (validation.count < 2) throw new Error('the out-of-scope score needs validation photos to scale its learned term');
  const joined = concatFeatureSets(inScope, examples);
  const labels = new Int32Array(joined.count).fill(1, inScope.count);
  const set: FeatureSet = { ...joined, features: joined.features.map(rootOf), labels };
  const z = standardization(set);
  const kernels = await createLinearKernels(dim, 2);
  let fitted: SoftmaxWeights;
  try {
    ({ weights: fitted } = await fitSoftmax({ x: normalize(set, z), labels, dim, numClasses: 2, l2: options.l2 }, kernels, {
      maxIterations: options.maxIterations,
    }));
  } finally {
    await kernels.dispose();
  }
  // The outlier logit (class 1 − class 0) on raw √x: Σ v_d √x_d + b.
  const v = new Float64Array(dim);
  let b = fitted.bias[1]! - fitted.bias[0]!;
  for (let d = 0; d < dim; d++) {
    v[d] = (fitted.kernel[d * 2 + 1]! - fitted.kernel[d * 2]!) / z.std[d]!;
    b -= v[d]! * z.mean[d]!;
  }
  const distances = outOfScopeScores(validation.features, validation.count, dim, { centers: distance.centers, weights: distance.weights });
  const validationRoots = Float64Array.from(validation.features, rootOf);
  const logits = Float64Array.from({ length: validation.count }, (_, r) => {
    let s = b;
    for (let d = 0; d < dim; d++) s += v[d]! * validationRoots[r * dim + d]!;
    return s;
  });
  const [d50, d99] = [quantile(distances, 0.5), quantile(distances, 0.99)];
  const [l50, l99] = [quantile(logits, 0.5), quantile(logits, 0.99)];
  const scale = (d99 - d50) / (l99 - l50);
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error('the learned out-of-scope term does not vary over the validation photos; check the example images');
  }
  return { weights: Float32Array.from(v, (x) => x * scale), bias: (b - l50) * scale + d50 };
}

/** The score works on square-rooted features (pooled ReLU activations; negatives cannot occur but are clamped). */
function rootOf(v: number): number {
  return Math.sqrt(Math.max(0, v));
}

/** The smallest value with at least a share q of the values at or below it. */
function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
