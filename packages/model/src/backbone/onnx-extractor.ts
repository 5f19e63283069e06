/**
 * The fast path: the backbone as an ONNX graph run by onnxruntime-node on the CPU.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { BackboneError, checkPixels, FEATURES_OUTPUT, type BackboneRuntime, type FeatureExtractor } from './spec.js';

export interface OnnxSessionOptions {
  intraOpThreads?: number;
  graphOptimizationLevel?: ort.InferenceSession.SessionOptions['graphOptimizationLevel'];
  /**
   * Let intra-op threads spin-wait between the operators of one `run()` (default false; see below).
   * They stop spinning as soon as the run returns (`session.force_spinning_stop`), so a spinning session
   * does not keep burning a core while the process decodes the next photo or answers HTTP.
   */
  spinning?: boolean;
}

/**
 * Defaults chosen by `bench/backbone.bench.ts` on the 2-core dev machine. That machine was shared (load
 * average 4–8), so CPU ms per image is the figure to trust; wall times only confirm the direction.
 * - 'all' optimisation: 7.7 CPU ms/img against ~15 for 'disabled', 'basic' and 'extended' (the NCHWc
 *   layout transformer is what halves it). Outputs agree with TF.js within 1e-4 (parity tests).
 * - one session using every core (intra-op threads = cores, no spinning): re-measured on an idle
 *   machine (load 0.8), it beat one-thread sessions run in parallel on every wall-clock figure —
 *   single image 4.7 vs 7.5 ms, 4 concurrent clients 205 vs 133 img/s, batches of 16 246 vs 135 img/s —
 *   for 8.6 vs 7.5 CPU ms/img. (On the loaded machine the first measurement favoured one thread; the
 *   parallel-runs path stays for callers that pass intraOpThreads = 1.)
 * - no spin-waiting by default: with ONNX Runtime's own spinning, which goes on after a run returns,
 *   the 2-thread session used 2× the CPU and 3× the wall time per image as soon as anything else ran on
 *   the machine. `spinning` spins only inside a run (force_spinning_stop); the endpoint turns it on.
 */
export const DEFAULT_INTRA_OP_THREADS = availableParallelism();

/** How many `run()` calls to keep in flight: enough single-threaded runs to cover the cores. */
export function defaultStreams(intraOpThreads = DEFAULT_INTRA_OP_THREADS): number {
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, intraOpThreads)));
}

/**
 * Split n images into chunks of at most `batchSize`, spread over `streams` parallel runs (so a batch
 * of 32 on 2 streams becomes two concurrent runs of 16), and write each chunk's rows into `out`.
 */
export async function runInChunks(
  n: number,
  opts: { batchSize: number; streams: number; rowWidth: number },
  runChunk: (start: number, count: number) => Promise<Float32Array>,
): Promise<Float32Array> {
  const out = new Float32Array(n * opts.rowWidth);
  const chunk = Math.max(1, Math.min(opts.batchSize, Math.ceil(n / opts.streams)));
  const starts = Array.from({ length: Math.ceil(n / chunk) }, (_, i) => i * chunk);
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const start = starts[next++]!;
      const count = Math.min(chunk, n - start);
      const rows = await runChunk(start, count);
      if (rows.length !== count * opts.rowWidth) {
        throw new BackboneError(`model returned ${rows.length} floats for ${count} images (expected ${count}×${opts.rowWidth})`);
      }
      out.set(rows, start * opts.rowWidth);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.streams, starts.length) }, worker));
  return out;
}

export function sessionOptions(opts: OnnxSessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: Math.max(1, opts.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    extra: {
      session: opts.spinning
        ? { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' }
        : { intra_op: { allow_spinning: '0' } },
    },
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
  opts: OnnxSessionOptions & { batchSize?: number; streams?: number } = {},
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
  const streams = Math.max(1, opts.streams ?? defaultStreams(opts.intraOpThreads));
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
      return runInChunks(n, { batchSize, streams, rowWidth: featureDim }, (start, count) =>
        runToArray(session, inputName, FEATURES_OUTPUT, pixels.subarray(start * perImage, (start + count) * perImage), [count, size, size, 3]),
      );
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
