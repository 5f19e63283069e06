import { createHash } from 'node:crypto';
import type { HeadWeights } from '../backbone/index.js';
import { ModelArtifactError, type Manifest, type TensorEntry } from './manifest.js';

/**
 * The head's tensors packed into one little-endian float32 file, described by name/shape/offset entries
 * in the manifest so the file needs no header of its own and can be checked against its sha256.
 */
export function packHeadWeights(head: HeadWeights): { bytes: Uint8Array; tensors: TensorEntry[]; sha256: string } {
  const parts: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
  if (head.normalization) {
    parts.push({ name: 'normalization/mean', shape: [head.inputDim], data: head.normalization.mean });
    parts.push({ name: 'normalization/std', shape: [head.inputDim], data: head.normalization.std });
  }
  let inDim = head.inputDim;
  head.layers.forEach((layer, i) => {
    parts.push({ name: `dense_${i}/kernel`, shape: [inDim, layer.units], data: layer.kernel });
    parts.push({ name: `dense_${i}/bias`, shape: [layer.units], data: layer.bias });
    inDim = layer.units;
  });
  if (head.outOfScope) {
    parts.push({ name: 'out_of_scope/centers', shape: [head.outOfScope.centers.length / head.inputDim, head.inputDim], data: head.outOfScope.centers });
    parts.push({ name: 'out_of_scope/weights', shape: [head.inputDim], data: head.outOfScope.weights });
    if (head.outOfScope.outlier) {
      parts.push({ name: 'out_of_scope/outlier_weights', shape: [head.inputDim], data: head.outOfScope.outlier.weights });
      parts.push({ name: 'out_of_scope/outlier_bias', shape: [1], data: Float32Array.of(head.outOfScope.outlier.bias) });
    }
  }
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const all = new Float32Array(total);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const p of parts) {
    const expected = p.shape.reduce((a, b) => a * b, 1);
    if (p.data.length !== expected) throw new Error(`${p.name}: ${p.data.length} values for shape [${p.shape}]`);
    all.set(p.data, offset);
    tensors.push({ name: p.name, shape: p.shape, offset });
    offset += p.data.length;
  }
  const bytes = toLittleEndianBytes(all);
  return { bytes, tensors, sha256: sha256Hex(bytes) };
}

/** Rebuilds the head from head.bin and the manifest, refusing a file that does not match it. */
export function unpackHeadWeights(bytes: Uint8Array, manifest: Manifest): HeadWeights {
  const { weights, architecture } = manifest.head;
  if (sha256Hex(bytes) !== weights.sha256) {
    throw new ModelArtifactError(`${weights.file} does not match the sha256 in the manifest (corrupt or replaced file)`);
  }
  if (bytes.byteLength % 4 !== 0) throw new ModelArtifactError(`${weights.file} is not a float32 file`);
  const all = fromLittleEndianBytes(bytes);
  const byName = new Map(weights.tensors.map((t) => [t.name, t]));
  const take = (name: string, shape: number[]): Float32Array => {
    const entry = byName.get(name);
    if (!entry) throw new ModelArtifactError(`${weights.file}: tensor ${name} is missing from the manifest`);
    if (entry.shape.join('x') !== shape.join('x')) {
      throw new ModelArtifactError(`${weights.file}: tensor ${name} has shape [${entry.shape}], expected [${shape}]`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (entry.offset + size > all.length) throw new ModelArtifactError(`${weights.file}: tensor ${name} runs past the end of the file`);
    return all.slice(entry.offset, entry.offset + size);
  };
  const inputDim = manifest.backbone.featureDim;
  let inDim = inputDim;
  const layers = architecture.layers.map((spec, i) => {
    const layer = {
      units: spec.units,
      activation: spec.activation,
      kernel: take(`dense_${i}/kernel`, [inDim, spec.units]),
      bias: take(`dense_${i}/bias`, [spec.units]),
    };
    inDim = spec.units;
    return layer;
  });
  const normalization = architecture.normalization
    ? { mean: take('normalization/mean', [inputDim]), std: take('normalization/std', [inputDim]) }
    : undefined;
  // A model without a calibration has no score: its weights (if any) would have no thresholds to meet.
  // The learned outlier term is optional within a calibrated score (models trained without examples of
  // other things have none).
  const outlier = byName.has('out_of_scope/outlier_weights')
    ? { weights: take('out_of_scope/outlier_weights', [inputDim]), bias: take('out_of_scope/outlier_bias', [1])[0]! }
    : undefined;
  const outOfScope = manifest.outOfScope
    ? {
        centers: take('out_of_scope/centers', [manifest.labels.length, inputDim]),
        weights: take('out_of_scope/weights', [inputDim]),
        ...(outlier ? { outlier } : {}),
      }
    : undefined;
  return {
    inputDim,
    ...(normalization ? { normalization } : {}),
    layers,
    ...(outOfScope ? { outOfScope } : {}),
  };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toLittleEndianBytes(values: Float32Array): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return new Uint8Array(view.buffer);
}

function fromLittleEndianBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
