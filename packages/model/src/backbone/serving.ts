/**
 * Serving: backbone and head as ONE ONNX graph in one ONNX Runtime session (pixels in, probabilities
 * out, no feature round-trip through JavaScript), plus the TF.js-path equivalent used for parity checks.
 */
import { readFile } from 'node:fs/promises';
import type * as OnnxProtoModule from 'onnx-proto';
import { createFeatureExtractor } from './create-extractor.js';
import { applyHead, foldNormalization, numClassesOf, validateHead } from './head.js';
import { locateBackbone } from './locate.js';
import { createOrtSession, defaultStreams, runInChunks, runToArray } from './onnx-extractor.js';
import { onnx, valueInfo } from './onnx-proto.js';
import {
  BackboneError,
  checkPixels,
  DEFAULT_BACKBONE,
  FEATURES_OUTPUT,
  type BackboneSpec,
  type ExtractorOptions,
  type HeadWeights,
  type PreparedBackbone,
  type ServingSession,
} from './spec.js';

export const PROBABILITIES_OUTPUT = 'probabilities';
const PREFIX = 'petal_head/';

/**
 * Append the head to a backbone graph whose `features` output is [N, inputDim]: normalization folded
 * into the first Gemm, Relu/Softmax activations, and `probabilities` as the only graph output.
 */
export function appendHead(backboneOnnx: Uint8Array, head: HeadWeights, featureDim: number): Uint8Array {
  validateHead(head, featureDim);
  const model = onnx.ModelProto.decode(backboneOnnx);
  const graph = model.graph;
  if (!graph) throw new BackboneError('backbone ONNX has no graph');
  if (!(graph.output ?? []).some((o) => o.name === FEATURES_OUTPUT)) throw new BackboneError(`backbone ONNX has no "${FEATURES_OUTPUT}" output`);
  const nodes: OnnxProtoModule.onnx.INodeProto[] = [];
  const inits: OnnxProtoModule.onnx.ITensorProto[] = [];
  const tensor = (name: string, dims: number[], values: Float32Array): string => {
    inits.push({ name: PREFIX + name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) });
    return PREFIX + name;
  };
  const node = (opType: string, input: string[], output: string, attribute: OnnxProtoModule.onnx.IAttributeProto[] = []): string => {
    nodes.push({ opType, name: output, input, output: [output], attribute });
    return output;
  };
  let x = FEATURES_OUTPUT;
  let inDim = head.inputDim;
  head.layers.forEach((original, i) => {
    const layer = i === 0 && head.normalization ? foldNormalization(original, head.normalization.mean, head.normalization.std) : original;
    const W = tensor(`dense${i}/W`, [inDim, layer.units], layer.kernel);
    const B = tensor(`dense${i}/B`, [layer.units], layer.bias);
    x = node('Gemm', [x, W, B], `${PREFIX}dense${i}`);
    if (layer.activation === 'relu') x = node('Relu', [x], `${PREFIX}dense${i}/relu`);
    // Axis 1 of a [N, C] tensor: the same result under every Softmax opset version.
    if (layer.activation === 'softmax') x = node('Softmax', [x], `${PREFIX}dense${i}/softmax`, [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]);
    inDim = layer.units;
  });
  node('Identity', [x], PROBABILITIES_OUTPUT);
  graph.node = [...(graph.node ?? []), ...nodes];
  graph.initializer = [...(graph.initializer ?? []), ...inits];
  graph.output = [onnx.ValueInfoProto.create(valueInfo(PROBABILITIES_OUTPUT, ['N', numClassesOf(head)]))];
  return onnx.ModelProto.encode(model).finish();
}

/** Backbone + head in one ONNX Runtime session (the default), or the TF.js reference with `runtime: 'tfjs'`. */
export async function createServingSession(
  spec: BackboneSpec = DEFAULT_BACKBONE,
  head: HeadWeights,
  opts: ExtractorOptions & {
    /** The backbone as the caller already prepared (and checked) it, so it is not prepared twice. */
    prepared?: PreparedBackbone;
  } = {},
): Promise<ServingSession> {
  if (opts.runtime === 'tfjs') return createTfjsServingSession(spec, head, opts);
  const prepared = opts.prepared ?? (await locateBackbone(spec, { cacheDir: opts.cacheDir, fingerprint: opts.fingerprint }));
  const fused = appendHead(await readFile(prepared.onnxPath), head, prepared.featureDim);
  const session = await createOrtSession(fused, { intraOpThreads: opts.intraOpThreads });
  const inputName = session.inputNames[0]!;
  const size = spec.inputSize;
  const numClasses = numClassesOf(head);
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const streams = Math.max(1, opts.streams ?? defaultStreams(opts.intraOpThreads));
  const perImage = size * size * 3;
  let disposed = false;
  return {
    inputSize: size,
    numClasses,
    runtime: 'onnx',
    async run(pixels, n) {
      if (disposed) throw new BackboneError('serving session was disposed');
      checkPixels(pixels, n, size);
      const probabilities = await runInChunks(n, { batchSize, streams, rowWidth: numClasses }, (start, count) =>
        runToArray(session, inputName, PROBABILITIES_OUTPUT, pixels.subarray(start * perImage, (start + count) * perImage), [count, size, size, 3]),
      );
      return { probabilities };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}

/** The same contract computed the slow, obvious way: TF.js-wasm features, then the head in TypeScript. */
export async function createTfjsServingSession(spec: BackboneSpec, head: HeadWeights, opts: ExtractorOptions = {}): Promise<ServingSession> {
  const extractor = await createFeatureExtractor(spec, { ...opts, runtime: 'tfjs' });
  try {
    validateHead(head, extractor.featureDim);
  } catch (err) {
    await extractor.dispose();
    throw err;
  }
  return {
    inputSize: extractor.inputSize,
    numClasses: numClassesOf(head),
    runtime: 'tfjs',
    async run(pixels, n) {
      return { probabilities: applyHead(await extractor.extract(pixels, n), n, head) };
    },
    dispose: () => extractor.dispose(),
  };
}
