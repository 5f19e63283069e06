/**
 * The out-of-scope score: how far an image's backbone features lie from the photos the model was trained
 * on. One definition, used by the training job (fitting, calibration, reported numbers) through
 * `outOfScopeScores` and by serving through the ONNX nodes `appendOutOfScope` adds to the fused graph;
 * a test holds the two to the same numbers.
 *
 *   score(x) = max( min over classes k of Σ_d w_d · (√x_d − μ_kd)² ,  Σ_d v_d · √x_d + b )
 *
 * a class-conditional Mahalanobis distance with a shared diagonal covariance on square-rooted features
 * (pooled ReLU activations are skewed; the square root makes them closer to Gaussian). w_d is the inverse
 * within-class variance of feature d divided by its layer's width and the number of layers (the training
 * job's fitOutOfScope, from the extractor's `featureWidths`), so each backbone layer weighs the same
 * whatever its width. The measurements that chose this form over a full (PCA) covariance, k-nearest-
 * neighbour distance and one weight for all layers are in ml/training/README.md.
 *
 * The second term is present when the model was trained with example images of other things
 * (`--negatives`): a logistic regression telling the training photos from them, rescaled so that its
 * median and 99th percentile on the validation photos match the distance's. The distance alone misses
 * what sits near flowers in the backbone's feature space (animals, food, objects on a plain background);
 * the learned term misses what no example resembled (noise, flat colours); the larger of the two misses
 * less than either.
 */
import type * as OnnxProtoModule from 'onnx-proto';
import { onnx } from './onnx-proto.js';
import { BackboneError, type OutOfScopeWeights } from './spec.js';

export const OUT_OF_SCOPE_METHOD = 'class-mahalanobis-diagonal-sqrt';

export function validateOutOfScope(weights: OutOfScopeWeights, inputDim: number, numClasses: number): void {
  if (weights.weights.length !== inputDim) throw new BackboneError(`out-of-scope weights have ${weights.weights.length} values for ${inputDim} features`);
  if (weights.centers.length !== inputDim * numClasses) {
    throw new BackboneError(`out-of-scope centers have ${weights.centers.length} values, expected ${numClasses}×${inputDim}`);
  }
  for (const w of weights.weights) if (!(w >= 0) || !Number.isFinite(w)) throw new BackboneError('out-of-scope weights must be finite and non-negative');
  if (weights.outlier) {
    if (weights.outlier.weights.length !== inputDim) throw new BackboneError(`out-of-scope outlier weights have ${weights.outlier.weights.length} values for ${inputDim} features`);
    if (!Number.isFinite(weights.outlier.bias) || weights.outlier.weights.some((v) => !Number.isFinite(v))) {
      throw new BackboneError('out-of-scope outlier weights must be finite');
    }
  }
}

/** features (n × inputDim, pooled activations) → one score per row, in float64. */
export function outOfScopeScores(features: Float32Array, n: number, inputDim: number, weights: OutOfScopeWeights): Float64Array {
  const k = weights.centers.length / inputDim;
  const out = new Float64Array(n);
  const root = new Float64Array(inputDim);
  for (let r = 0; r < n; r++) {
    for (let d = 0; d < inputDim; d++) root[d] = Math.sqrt(Math.max(0, features[r * inputDim + d]!));
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let d = 0; d < inputDim; d++) {
        const e = root[d]! - weights.centers[c * inputDim + d]!;
        sum += weights.weights[d]! * e * e;
      }
      best = Math.min(best, sum);
    }
    if (weights.outlier) {
      let learned = weights.outlier.bias;
      for (let d = 0; d < inputDim; d++) learned += weights.outlier.weights[d]! * root[d]!;
      best = Math.max(best, learned);
    }
    out[r] = best;
  }
  return out;
}

/**
 * Adds the score to a graph whose `features` value is [N, inputDim]: Sqrt(Relu(features)) − centers
 * broadcast to [N, K, D], scaled by √w, squared, summed by a MatMul with a ones column and reduced with
 * ReduceMin over the classes; with an outlier term, Max with MatMul(√features, v) + b. Returns the name of
 * the [N, 1] score value.
 */
export function appendOutOfScope(
  features: string,
  weights: OutOfScopeWeights,
  inputDim: number,
  numClasses: number,
  add: {
    tensor: (name: string, dims: number[], values: Float32Array) => string;
    int64: (name: string, values: number[]) => string;
    node: (opType: string, input: string[], output: string, attribute?: OnnxProtoModule.onnx.IAttributeProto[]) => string;
  },
  prefix: string,
): string {
  validateOutOfScope(weights, inputDim, numClasses);
  const root = add.node('Sqrt', [add.node('Relu', [features], `${prefix}ood/relu`)], `${prefix}ood/sqrt`);
  const rows = add.node('Reshape', [root, add.int64('ood/rows_shape', [-1, 1, inputDim])], `${prefix}ood/rows`);
  const centers = add.tensor('ood/centers', [numClasses, inputDim], weights.centers);
  const diff = add.node('Sub', [rows, centers], `${prefix}ood/diff`);
  const scaled = add.node('Mul', [diff, add.tensor('ood/sqrt_weights', [inputDim], Float32Array.from(weights.weights, Math.sqrt))], `${prefix}ood/scaled`);
  const squared = add.node('Mul', [scaled, scaled], `${prefix}ood/squared`);
  const sums = add.node('MatMul', [squared, add.tensor('ood/ones', [inputDim, 1], new Float32Array(inputDim).fill(1))], `${prefix}ood/sums`);
  // [N, K, 1] → min over K → [N, 1]
  const distance = add.node('ReduceMin', [sums], `${prefix}ood/${weights.outlier ? 'distance' : 'score'}`, [
    { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
    { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
  ]);
  if (!weights.outlier) return distance;
  const learned = add.node(
    'Add',
    [
      add.node('MatMul', [root, add.tensor('ood/outlier_weights', [inputDim, 1], weights.outlier.weights)], `${prefix}ood/outlier_logit`),
      add.tensor('ood/outlier_bias', [1], Float32Array.of(weights.outlier.bias)),
    ],
    `${prefix}ood/outlier`,
  );
  return add.node('Max', [distance, learned], `${prefix}ood/score`);
}
