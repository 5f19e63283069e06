/**
 * The fast path: the backbone as an ONNX graph run by onnxruntime-node on the CPU.
 */
import * as ort from 'onnxruntime-node';
import { FEATURES_OUTPUT } from './converter.js';
import { BackboneError, checkPixels, type BackboneRuntime, type FeatureExtractor } from './spec.js';

export interface OnnxSessionOptions {
  intraOpThreads?: number;
  graphOptimizationLevel?: ort.InferenceSession.SessionOptions['graphOptimizationLevel'];
}

/**
 * Defaults chosen by `bench/backbone.bench.ts` on the 2-core dev machine (see the numbers in its output):
 * - 'all' optimisation: ORT fuses Conv+Clip and re-lays convolutions out in blocked NCHWc, measurably
 *   faster than 'basic'/'extended' on MobileNetV2 and identical in output within float rounding.
 * - one intra-op thread per session by default: a server handles concurrent requests, and two
 *   single-threaded sessions (or one session fed concurrent batches) keep both cores busy without the
 *   thread-pool handoff cost that a 2-thread session pays on every small Conv. Batch jobs (feature
 *   extraction for training) pass intraOpThreads = cores for the shortest single-stream latency.
 */
export const DEFAULT_INTRA_OP_THREADS = 1;

export function sessionOptions(opts: OnnxSessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: Math.max(1, opts.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
  };
}

export async function createOrtSession(model: string | Uint8Array, opts: OnnxSessionOptions = {}): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(opts))
      : await ort.InferenceSession.create(model, sessionOptions(opts));
  } catch (err) {
    const where = typeof model === 'string' ? model : 'the generated graph';
    throw new BackboneError(`ONNX Runtime cannot load ${where}: ${(err as Error).message}`);
  }
}

/** Run a batch and copy one output out, releasing every native tensor of the call. */
export async function runToArray(
  session: ort.InferenceSession,
  inputName: string,
  outputName: string,
  pixels: Float32Array,
  dims: readonly number[],
): Promise<Float32Array> {
  const input = new ort.Tensor('float32', pixels, dims);
  let results: ort.InferenceSession.ReturnType | undefined;
  try {
    results = await session.run({ [inputName]: input }, [outputName]);
    const out = results[outputName];
    if (!out || out.type !== 'float32') throw new BackboneError(`output ${outputName} is missing or not float32`);
    return (out.data as Float32Array).slice();
  } finally {
    input.dispose();
    for (const value of Object.values(results ?? {})) value.dispose();
  }
}

export interface OnnxExtractorInit {
  /** Path of an .onnx file or its bytes. */
  model: string | Uint8Array;
  backboneId: string;
  fingerprint: string;
  inputSize: number;
  featureLayers: readonly string[];
}

export async function createOnnxFeatureExtractor(
  init: OnnxExtractorInit,
  opts: OnnxSessionOptions & { batchSize?: number } = {},
): Promise<FeatureExtractor> {
  const session = await createOrtSession(init.model, opts);
  const inputName = session.inputNames[0];
  if (session.inputNames.length !== 1 || inputName === undefined) {
    await session.release();
    throw new BackboneError(`backbone ${init.backboneId} must have exactly one input, has [${session.inputNames.join(', ')}]`);
  }
  if (!session.outputNames.includes(FEATURES_OUTPUT)) {
    await session.release();
    throw new BackboneError(
      `backbone ${init.backboneId} has no output named "${FEATURES_OUTPUT}" (outputs: ${session.outputNames.join(', ')})`,
    );
  }
  const size = init.inputSize;
  const perImage = size * size * 3;
  // Learn the width from one blank image: works whatever shape metadata a user-supplied graph carries.
  let featureDim: number;
  try {
    featureDim = (await runToArray(session, inputName, FEATURES_OUTPUT, new Float32Array(perImage), [1, size, size, 3])).length;
  } catch (err) {
    await session.release();
    throw err instanceof BackboneError
      ? err
      : new BackboneError(`backbone ${init.backboneId} does not run on a [1, ${size}, ${size}, 3] input: ${(err as Error).message}`);
  }
  const batchSize = Math.max(1, opts.batchSize ?? 32);
  let disposed = false;
  const runtime: BackboneRuntime = 'onnx';

  return {
    backboneId: init.backboneId,
    fingerprint: init.fingerprint,
    inputSize: size,
    featureDim,
    featureLayers: Object.freeze([...init.featureLayers]),
    runtime,
    async extract(pixels: Float32Array, n: number): Promise<Float32Array> {
      if (disposed) throw new BackboneError('feature extractor was disposed');
      checkPixels(pixels, n, size);
      const result = new Float32Array(n * featureDim);
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        const chunk = pixels.subarray(start * perImage, (start + count) * perImage);
        const features = await runToArray(session, inputName, FEATURES_OUTPUT, chunk, [count, size, size, 3]);
        if (features.length !== count * featureDim) {
          throw new BackboneError(`backbone returned ${features.length} floats for ${count} images (featureDim ${featureDim})`);
        }
        result.set(features, start * featureDim);
      }
      return result;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
