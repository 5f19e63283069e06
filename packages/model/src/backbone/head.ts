/**
 * The classification head in plain TypeScript (the reference the fused ONNX graph is checked against)
 * and the algebra that folds its input normalization into the first dense layer.
 */
import { BackboneError, type DenseLayer, type HeadWeights } from './spec.js';

export function validateHead(head: HeadWeights, featureDim?: number): void {
  if (featureDim !== undefined && head.inputDim !== featureDim) {
    throw new BackboneError(`head takes ${head.inputDim} features but the backbone gives ${featureDim}`);
  }
  if (head.layers.length === 0) throw new BackboneError('head has no dense layers');
  if (head.normalization) {
    const { mean, std } = head.normalization;
    if (mean.length !== head.inputDim || std.length !== head.inputDim) {
      throw new BackboneError(`head normalization has ${mean.length}/${std.length} values for ${head.inputDim} features`);
    }
    for (let i = 0; i < std.length; i++) {
      if (!(std[i]! > 0) || !Number.isFinite(std[i]!)) throw new BackboneError(`head normalization std[${i}] = ${std[i]} must be positive`);
    }
  }
  let inDim = head.inputDim;
  head.layers.forEach((layer, i) => {
    if (layer.kernel.length !== inDim * layer.units) {
      throw new BackboneError(`head layer ${i}: kernel has ${layer.kernel.length} values, expected ${inDim}×${layer.units}`);
    }
    if (layer.bias.length !== layer.units) throw new BackboneError(`head layer ${i}: bias has ${layer.bias.length} values, expected ${layer.units}`);
    if (!['relu', 'softmax', 'linear'].includes(layer.activation)) throw new BackboneError(`head layer ${i}: unknown activation ${layer.activation}`);
    inDim = layer.units;
  });
  if (head.layers[head.layers.length - 1]!.activation !== 'softmax') {
    throw new BackboneError('the last head layer must be softmax (the head outputs probabilities)');
  }
}

export function numClassesOf(head: HeadWeights): number {
  return head.layers[head.layers.length - 1]!.units;
}

/**
 * (x − mean)/std · W + b  =  x · W′ + b′  with  W′ᵢⱼ = Wᵢⱼ/stdᵢ,  b′ⱼ = bⱼ − Σᵢ (meanᵢ/stdᵢ)·Wᵢⱼ
 * (computed in float64, rounded once).
 */
export function foldNormalization(layer: DenseLayer, mean: Float32Array, std: Float32Array): DenseLayer {
  const inDim = mean.length;
  const units = layer.units;
  const kernel = new Float32Array(inDim * units);
  const bias = new Float64Array(units);
  for (let j = 0; j < units; j++) bias[j] = layer.bias[j]!;
  for (let i = 0; i < inDim; i++) {
    const s = std[i]!;
    const m = mean[i]! / s;
    for (let j = 0; j < units; j++) {
      const w = layer.kernel[i * units + j]!;
      kernel[i * units + j] = w / s;
      bias[j] = bias[j]! - m * w;
    }
  }
  return { units, activation: layer.activation, kernel, bias: Float32Array.from(bias) };
}

/** features (n × inputDim) → probabilities (n × classes), exactly as the head is defined. */
export function applyHead(features: Float32Array, n: number, head: HeadWeights): Float32Array {
  validateHead(head);
  if (features.length !== n * head.inputDim) throw new RangeError(`expected ${n}×${head.inputDim} features, got ${features.length}`);
  let x = Float64Array.from(features);
  if (head.normalization) {
    const { mean, std } = head.normalization;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < head.inputDim; i++) x[r * head.inputDim + i] = (x[r * head.inputDim + i]! - mean[i]!) / std[i]!;
    }
  }
  let inDim = head.inputDim;
  for (const layer of head.layers) {
    const y = new Float64Array(n * layer.units);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < layer.units; j++) {
        let sum = layer.bias[j]!;
        for (let i = 0; i < inDim; i++) sum += x[r * inDim + i]! * layer.kernel[i * layer.units + j]!;
        y[r * layer.units + j] = sum;
      }
      const row = y.subarray(r * layer.units, (r + 1) * layer.units);
      if (layer.activation === 'relu') row.forEach((v, k) => (row[k] = Math.max(0, v)));
      else if (layer.activation === 'softmax') {
        const max = Math.max(...row);
        let total = 0;
        row.forEach((v, k) => (total += row[k] = Math.exp(v - max)));
        row.forEach((v, k) => (row[k] = v / total));
      }
    }
    x = y;
    inDim = layer.units;
  }
  return Float32Array.from(x);
}
