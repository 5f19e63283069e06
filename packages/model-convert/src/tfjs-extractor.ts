/**
 * The TF.js path: the layers model run by @tensorflow/tfjs on the WebAssembly backend
 * (@tensorflow/tfjs-node cannot be installed here). Slow (~60 ms an image) but it is the reference the
 * ONNX conversion is checked against, and it needs no conversion step.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import {
  BackboneError,
  checkPixels,
  resolveSource,
  type BackboneSpec,
  type ExtractorOptions,
  type FeatureExtractor,
} from '@petal/model';
import { loadLayersArtifacts, type LayersModelArtifacts } from './layers-model.js';

const require = createRequire(import.meta.url);
let backendReady: Promise<void> | undefined;

/** Select the wasm backend once per process, its .wasm binaries read from the installed package. */
export function ensureTfjsWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(distDir + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new BackboneError('the TF.js wasm backend failed to initialise');
    await tf.ready();
  })();
  backendReady.catch(() => (backendReady = undefined));
  return backendReady;
}

export async function loadTfjsLayersModel(artifacts: LayersModelArtifacts): Promise<tf.LayersModel> {
  await ensureTfjsWasmBackend();
  const { weightData } = artifacts;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifacts.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: artifacts.weightSpecs as tf.io.WeightsManifestEntry[],
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  );
}

function layerOutput(model: tf.LayersModel, name: string, label: string): tf.SymbolicTensor {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new BackboneError(`feature layer "${name}" is not in ${label}`);
  }
  const output = layer.output;
  if (Array.isArray(output)) throw new BackboneError(`feature layer "${name}" has several outputs`);
  if (output.shape.length !== 4 && output.shape.length !== 2) {
    throw new BackboneError(`feature layer "${name}" has rank ${output.shape.length}; expected 4 (NHWC) or 2`);
  }
  return output;
}

export async function createTfjsFeatureExtractor(
  spec: BackboneSpec,
  opts: ExtractorOptions = {},
): Promise<FeatureExtractor> {
  const source = resolveSource(spec);
  if (source.kind === 'onnx') {
    throw new BackboneError(`backbone ${spec.id} is an ONNX model; the TF.js runtime needs a TF.js layers model`);
  }
  if (spec.featureLayers.length === 0) throw new BackboneError('featureLayers must name at least one layer');
  const artifacts = await loadLayersArtifacts(source);
  const model = await loadTfjsLayersModel(artifacts);
  const outputs = spec.featureLayers.map((name) => layerOutput(model, name, artifacts.label));
  const featureModel = tf.model({ inputs: model.inputs, outputs });
  const featureDim = outputs.reduce((sum, t) => sum + (t.shape[t.shape.length - 1] ?? 0), 0);
  const inputShape = model.inputs[0]?.shape;
  // A model built for a fixed size rejects other sizes: say so now rather than at the first call.
  if (inputShape?.[1] != null && (inputShape[1] !== spec.inputSize || inputShape[2] !== spec.inputSize)) {
    model.dispose();
    throw new BackboneError(`${artifacts.label} takes ${inputShape[1]}×${inputShape[2]} input, spec says ${spec.inputSize}`);
  }
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const size = spec.inputSize;
  const perImage = size * size * 3;
  let disposed = false;

  return {
    backboneId: spec.id,
    fingerprint: artifacts.fingerprint,
    inputSize: size,
    featureDim,
    featureLayers: Object.freeze([...spec.featureLayers]),
    runtime: 'tfjs',
    async extract(pixels: Float32Array, n: number): Promise<Float32Array> {
      if (disposed) throw new BackboneError('feature extractor was disposed');
      checkPixels(pixels, n, size);
      const result = new Float32Array(n * featureDim);
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        const features = tf.tidy(() => {
          const input = tf.tensor4d(pixels.subarray(start * perImage, (start + count) * perImage), [count, size, size, 3]);
          const raw = featureModel.predict(input);
          const list = Array.isArray(raw) ? raw : [raw];
          const pooled = list.map((t) => (t.rank === 4 ? t.mean([1, 2]) : t));
          return pooled.length === 1 ? pooled[0]! : tf.concat(pooled, 1);
        });
        try {
          result.set((await features.data()) as Float32Array, start * featureDim);
        } finally {
          features.dispose();
        }
      }
      return result;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      // featureModel shares its layers (and weights) with model: disposing model frees them once.
      model.dispose();
    },
  };
}
