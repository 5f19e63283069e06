/**
 * Serving: backbone and head as ONE ONNX graph in one ONNX Runtime session (pixels in, probabilities
 * out, no feature round-trip through JavaScript), plus the TF.js-path equivalent used for parity checks.
 */
import { readFile } from 'node:fs/promises';
import type * as OnnxProtoModule from 'onnx-proto';
import { createFeatureExtractor } from './create-extractor.js';
import { applyHead, foldNormalization, numClassesOf, validateHead } from './head.js';
import { appendOutOfScope, outOfScopeScores, validateOutOfScope } from './out-of-scope.js';
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
/** The output of a head with an out-of-scope score: [N, classes + 1], the probabilities then the score. */
export const ANSWER_OUTPUT = 'probabilities_and_out_of_scope';
const PREFIX = 'petal_head/';

/**
 * Append the head to a backbone graph whose `features` output is [N, inputDim]: normalization folded
 * into the first Gemm, Relu/Softmax activations, and `probabilities` as the only graph output; or, when
 * the head carries out-of-scope weights, the score computed from the same features and concatenated
 * after the probabilities as `probabilities_and_out_of_scope` (one output keeps one fetch per batch).
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
  const int64 = (name: string, values: number[]): string => {
    inits.push({ name: PREFIX + name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    return PREFIX + name;
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
  const numClasses = numClassesOf(head);
  if (head.outOfScope) {
    const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 13);
    if (opset >= 18) throw new BackboneError(`backbone ONNX opset ${opset}: the out-of-scope score's ReduceMin is written for opsets 13–17`);
    const score = appendOutOfScope(FEATURES_OUTPUT, head.outOfScope, head.inputDim, numClasses, { tensor, int64, node }, PREFIX);
    const column = node('Reshape', [score, int64('ood/column_shape', [-1, 1])], `${PREFIX}ood/column`);
    node('Concat', [x, column], ANSWER_OUTPUT, [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]);
  } else {
    node('Identity', [x], PROBABILITIES_OUTPUT);
  }
  graph.node = [...(graph.node ?? []), ...nodes];
  graph.initializer = [...(graph.initializer ?? []), ...inits];
  graph.output = head.outOfScope
    ? [onnx.ValueInfoProto.create(valueInfo(ANSWER_OUTPUT, ['N', numClasses + 1]))]
    : [onnx.ValueInfoProto.create(valueInfo(PROBABILITIES_OUTPUT, ['N', numClasses]))];
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
  const session = await createOrtSession(fused, { intraOpThreads: opts.intraOpThreads, spinning: opts.spinning });
  const inputName = session.inputNames[0]!;
  const size = spec.inputSize;
  const numClasses = numClassesOf(head);
  const scoresOutOfScope = head.outOfScope !== undefined;
  const width = numClasses + (scoresOutOfScope ? 1 : 0);
  const output = scoresOutOfScope ? ANSWER_OUTPUT : PROBABILITIES_OUTPUT;
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  const streams = Math.max(1, opts.streams ?? defaultStreams(opts.intraOpThreads));
  const perImage = size * size * 3;
  let disposed = false;
  return {
    inputSize: size,
    numClasses,
    runtime: 'onnx',
    scoresOutOfScope,
    async run(pixels, n) {
      if (disposed) throw new BackboneError('serving session was disposed');
      checkPixels(pixels, n, size);
      const rows = await runInChunks(n, { batchSize, streams, rowWidth: width }, (start, count) =>
        runToArray(session, inputName, output, pixels.subarray(start * perImage, (start + count) * perImage), [count, size, size, 3]),
      );
      if (!scoresOutOfScope) return { probabilities: rows };
      const probabilities = new Float32Array(n * numClasses);
      const outOfScope = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        probabilities.set(rows.subarray(i * width, i * width + numClasses), i * numClasses);
        outOfScope[i] = rows[i * width + numClasses]!;
      }
      return { probabilities, outOfScope };
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
    if (head.outOfScope) validateOutOfScope(head.outOfScope, head.inputDim, numClassesOf(head));
  } catch (err) {
    await extractor.dispose();
    throw err;
  }
  return {
    inputSize: extractor.inputSize,
    numClasses: numClassesOf(head),
    runtime: 'tfjs',
    scoresOutOfScope: head.outOfScope !== undefined,
    async run(pixels, n) {
      const features = await extractor.extract(pixels, n);
      const probabilities = applyHead(features, n, head);
      if (!head.outOfScope) return { probabilities };
      return { probabilities, outOfScope: Float32Array.from(outOfScopeScores(features, n, head.inputDim, head.outOfScope)) };
    },
    dispose: () => extractor.dispose(),
  };
}
