import { DEFAULT_BACKBONE } from '@petal/model';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertKerasModel, convertLayersModel, type ConvertOptions } from './converter.js';
import { decodeWeights, loadNsfwjsArtifacts, type LayersModelArtifacts } from './layers-model.js';
import { artifactsOf, buildTinyModel, generatedPixels, maxAbsDiff, seededRandom } from './testing/fixtures.js';
import { ensureTfjsWasmBackend, loadTfjsLayersModel } from './tfjs-extractor.js';

async function runOnnx(bytes: Uint8Array, pixels: Float32Array, dims: number[]): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', pixels, dims) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** TF.js reference: pooled (rank 4 → mean over H, W) activations of `layers`, concatenated, plus raw model outputs. */
function tfjsReference(model: tf.LayersModel, layers: string[], pixels: Float32Array, dims: number[]) {
  return tf.tidy(() => {
    const x = tf.tensor(pixels, dims);
    const outputNames = model.outputs.map((o) => o.sourceLayer.name);
    // tf.model refuses duplicate outputs: probe each layer once, then pick.
    const unique = [...new Set([...layers, ...outputNames])];
    const probe = tf.model({ inputs: model.inputs, outputs: unique.map((l) => model.getLayer(l).output as tf.SymbolicTensor) });
    const raw = probe.predict(x) as tf.Tensor[];
    const byName = new Map(unique.map((l, i) => [l, raw[i]!]));
    const pooled = layers.map((l) => byName.get(l)!).map((t) => (t.rank === 4 ? t.mean([1, 2]) : t));
    return {
      features: tf.concat(pooled, 1).dataSync() as Float32Array,
      modelOutputs: outputNames.map((l) => byName.get(l)!.dataSync() as Float32Array),
    };
  });
}

const tinyInput = (n: number, seed: number) => {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n * 21 * 21 * 3 }, () => rand());
};

describe('TF.js → ONNX converter on a model with every supported layer type', () => {
  let model: tf.LayersModel;
  let artifacts: LayersModelArtifacts;
  const featureLayers = ['add1', 'bn3', 'c3', 'gap', 'd1'];

  beforeAll(async () => {
    await ensureTfjsWasmBackend();
    model = buildTinyModel(7);
    artifacts = await artifactsOf(model, 'tiny');
  });
  afterAll(() => model.dispose());

  for (const variant of [
    { name: 'folding on', opts: {} },
    { name: 'folding off', opts: { foldBatchNorm: false, foldPadding: false } },
  ] satisfies { name: string; opts: ConvertOptions }[]) {
    it(`matches TF.js on features and model outputs (${variant.name})`, async () => {
      const converted = convertLayersModel(artifacts, { featureLayers, modelOutputs: true, layerOutputs: true, ...variant.opts });
      expect(converted.outputs).toEqual(['features', ...featureLayers.map((l) => `pooled:${l}`), 'd2', 'gap', 'ap', 'ap2', 'mp2']);
      expect(converted.featureDim).toBe(16 + 16 + 12 + 12 + 10);
      if (variant.opts.foldBatchNorm === false) expect(converted.stats).toMatchObject({ foldedBatchNorms: 0, foldedPaddings: 0 });
      // bn1, bn2 follow plain convs; bn3 follows an Add. pad1 folds into a conv, pad2 into a max-pool;
      // pad3 (before an average pool) and pad4 (wider than its max-pool's kernel) stay Pad nodes.
      else expect(converted.stats).toMatchObject({ foldedBatchNorms: 2, foldedPaddings: 2 });

      const n = 5;
      const pixels = tinyInput(n, 3);
      const onnx = await runOnnx(converted.onnx, pixels, [n, 21, 21, 3]);
      const ref = tfjsReference(model, featureLayers, pixels, [n, 21, 21, 3]);
      expect(maxAbsDiff(onnx.features!, ref.features)).toBeLessThan(1e-5);
      expect(maxAbsDiff(onnx.d2!, ref.modelOutputs[0]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(onnx.gap!, ref.modelOutputs[1]!)).toBeLessThan(1e-5);
      // `ap` is rank 4: returned in NHWC like TF.js, which also checks the 'same' average-pool edge handling.
      expect(maxAbsDiff(onnx.ap!, ref.modelOutputs[2]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(onnx.ap2!, ref.modelOutputs[3]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(onnx.mp2!, ref.modelOutputs[4]!)).toBeLessThan(1e-5);
      for (let r = 0; r < n; r++) {
        const row = onnx.features!.subarray(r * converted.featureDim, (r + 1) * converted.featureDim);
        expect(Array.from(onnx['pooled:c3']!.subarray(r * 12, (r + 1) * 12))).toEqual(Array.from(row.subarray(32, 44)));
      }
    });
  }

  it('accepts any batch size (dynamic batch dimension)', async () => {
    const converted = convertLayersModel(artifacts, { featureLayers: ['gap'] });
    for (const n of [1, 3]) {
      const out = await runOnnx(converted.onnx, tinyInput(n, n), [n, 21, 21, 3]);
      expect(out.features).toHaveLength(n * 12);
    }
  });
});

describe('converter refusals', () => {
  const topology = (layers: unknown[], outputs = [[(layers.at(-1) as { name: string }).name, 0, 0]]) => ({
    class_name: 'Model',
    config: { name: 'm', layers, input_layers: [['in', 0, 0]], output_layers: outputs },
  });
  const inputLayer = { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 3] }, inbound_nodes: [] };
  const after = (name: string, class_name: string, config: Record<string, unknown>, from = 'in') => ({
    name,
    class_name,
    config: { name, ...config },
    inbound_nodes: [[[from, 0, 0, {}]]],
  });

  it('refuses an unknown layer class, naming the layer and its class', () => {
    const t = topology([inputLayer, after('weird_one', 'Conv3D', { filters: 2 })]);
    expect(() => convertKerasModel(t, new Map(), { featureLayers: ['weird_one'] })).toThrow(/"weird_one".*Conv3D/);
  });

  it('refuses configurations it cannot reproduce exactly', () => {
    const relu = topology([inputLayer, after('thresholded', 'ReLU', { threshold: 0.5 })]);
    expect(() => convertKerasModel(relu, new Map(), { featureLayers: ['thresholded'] })).toThrow(/"thresholded" \(ReLU\).*threshold/);
    const conv = topology([inputLayer, after('cf', 'Conv2D', { filters: 2, kernel_size: [1, 1], data_format: 'channels_first' })]);
    expect(() => convertKerasModel(conv, new Map(), { featureLayers: ['cf'] })).toThrow(/"cf" \(Conv2D\).*channels_first/);
    const act = topology([inputLayer, after('act', 'Activation', { activation: 'elu' })]);
    expect(() => convertKerasModel(act, new Map(), { featureLayers: ['act'] })).toThrow(/"act" \(Activation\).*elu/);
  });

  it('names a missing weight and a missing feature layer', () => {
    const conv = topology([inputLayer, after('c', 'Conv2D', { filters: 2, kernel_size: [1, 1], use_bias: false })]);
    expect(() => convertKerasModel(conv, new Map(), { featureLayers: ['c'] })).toThrow(/weight c\/kernel is missing/);
    expect(() => convertKerasModel(conv, new Map(), { featureLayers: ['nope'] })).toThrow(/feature layer "nope"/);
  });

  it('refuses shared layers', () => {
    const shared = { ...after('s', 'ReLU', {}), inbound_nodes: [[['in', 0, 0, {}]], [['in', 0, 0, {}]]] };
    expect(() => convertKerasModel(topology([inputLayer, shared]), new Map(), { featureLayers: ['s'] })).toThrow(/"s" \(ReLU\).*shared/);
  });
});

describe('nsfwjs MobileNetV2', () => {
  let artifacts: LayersModelArtifacts;
  beforeAll(async () => {
    await ensureTfjsWasmBackend();
    artifacts = await loadNsfwjsArtifacts();
  });

  it('decodes the quantized weights exactly as tfjs-core does', () => {
    const mine = decodeWeights(artifacts);
    const buffer = (artifacts.weightData.buffer as ArrayBuffer).slice(artifacts.weightData.byteOffset, artifacts.weightData.byteOffset + artifacts.weightData.byteLength);
    const theirs = tf.io.decodeWeights(buffer, artifacts.weightSpecs as tf.io.WeightsManifestEntry[]);
    expect(mine.size).toBe(Object.keys(theirs).length);
    for (const [name, tensor] of Object.entries(theirs)) {
      expect(mine.get(name)!.shape).toEqual(tensor.shape);
      expect(Buffer.from(mine.get(name)!.values.buffer).equals(Buffer.from((tensor.dataSync() as Float32Array).buffer))).toBe(true);
      tensor.dispose();
    }
  });

  it('has the documented channel counts and matches TF.js end to end, with and without folding', async () => {
    const converted = convertLayersModel(artifacts, { featureLayers: DEFAULT_BACKBONE.featureLayers, layerOutputs: true, modelOutputs: true });
    expect(converted.featureDim).toBe(7232);
    // Only Conv, Clip, Add, the input transpose and the output pooling remain: every BN and pad folded.
    expect(converted.stats).toMatchObject({ foldedBatchNorms: 52, foldedPaddings: 5 });
    const unfolded = convertLayersModel(artifacts, { featureLayers: DEFAULT_BACKBONE.featureLayers, modelOutputs: true, foldBatchNorm: false, foldPadding: false });
    const n = 3;
    const pixels = await generatedPixels(n, 11);
    const model = await loadTfjsLayersModel(artifacts);
    try {
      const ref = tfjsReference(model, DEFAULT_BACKBONE.featureLayers, pixels, [n, 224, 224, 3]);
      const out = await runOnnx(converted.onnx, pixels, [n, 224, 224, 3]);
      const outUnfolded = await runOnnx(unfolded.onnx, pixels, [n, 224, 224, 3]);
      expect(out['pooled:block_10_expand_relu']).toHaveLength(n * 384);
      for (const b of [11, 12, 13]) expect(out[`pooled:block_${b}_expand_relu`]).toHaveLength(n * 576);
      for (const b of [14, 15, 16]) expect(out[`pooled:block_${b}_expand_relu`]).toHaveLength(n * 960);
      expect(out['pooled:block_16_depthwise_relu']).toHaveLength(n * 960);
      expect(out['pooled:out_relu']).toHaveLength(n * 1280);
      expect(maxAbsDiff(out.features!, ref.features)).toBeLessThan(1e-4);
      expect(maxAbsDiff(outUnfolded.features!, ref.features)).toBeLessThan(1e-4);
      expect(maxAbsDiff(out.dense_3!, ref.modelOutputs[0]!)).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });
});
