/**
 * The out-of-scope score: how far an image's backbone features lie from the photos the model was trained
 * on. One definition, used by the training job (fitting, calibration, reported numbers) through
 * `outOfScopeScores` and by serving through the ONNX nodes `appendOutOfScope` adds to the fused graph;
 * a test holds the two to the same numbers.
 *
 *   score(x) = min over classes k of  Σ_d w_d · (√x_d − μ_kd)²
 *
 * a class-conditional Mahalanobis distance with a shared diagonal covariance on square-rooted features
 * (pooled ReLU activations are skewed; the square root makes them closer to Gaussian). w_d is the inverse
 * within-class variance of feature d divided by its layer's median training distance, so each backbone
 * layer weighs about the same whatever its width. The measurements that chose this form over a full
 * (PCA) covariance and k-nearest-neighbour distance are in ml/training/README.md.
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
    out[r] = best;
  }
  return out;
}

/**
 * Adds the score to a graph whose `features` value is [N, inputDim]: Sqrt(Relu(features)) − centers
 * broadcast to [N, K, D], scaled by √w, squared, summed by a MatMul with a ones column and reduced with
 * ReduceMin over the classes. Returns the name of the [N, 1] score value.
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
  return add.node('ReduceMin', [sums], `${prefix}ood/score`, [
    { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
    { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
  ]);
}
