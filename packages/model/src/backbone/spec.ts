/**
 * The public shapes of the frozen backbone: which network, which of its layers become features,
 * and the extractor/serving interfaces the rest of @petal/model builds on.
 */

/** Where the backbone's weights come from. */
export type BackboneSource =
  /** The MobileNetV2 bundled in the installed `nsfwjs` npm package (MIT), converted to ONNX on first use. */
  | { kind: 'nsfwjs'; model: 'mobilenet_v2' }
  /** A TF.js layers model (`model.json` + weight shards beside it), converted to ONNX on first use. */
  | { kind: 'tfjs'; modelJson: string }
  /**
   * A ready ONNX feature extractor, used as is: a local path or an http(s) URL. It must take one input,
   * NHWC float32 `[N, S, S, 3]` with pixels in [0, 1], and have an output named `features`, `[N, D]` float32.
   */
  | { kind: 'onnx'; path: string };

export interface BackboneSpec {
  /** Stable name recorded in model manifests, e.g. `nsfwjs/mobilenet_v2`. */
  id: string;
  /** Side of the square input in pixels. */
  inputSize: number;
  /**
   * Layers whose activations are global-average-pooled and concatenated (in this order) into the feature
   * vector. Ignored for `onnx` sources, whose `features` output is taken as is.
   */
  featureLayers: string[];
  /** Defaults to the nsfwjs MobileNetV2. */
  source?: BackboneSource;
}

/**
 * MobileNetV2 from nsfwjs with the nine late layers the shipped flower model was trained on: the wide
 * "expand" activations of blocks 10–16, block 16's depthwise output and `out_relu` (7232 channels in
 * all). Training probed these as best on the flower set (the narrow block outputs lose astilbe vs
 * bellflower); serving cost is the same as for any set ending at `out_relu`, since the network runs to
 * its end anyway. This is THE default: `npm run model:prepare`, the training job's `--feature-layers`
 * and the shipped model's manifest all use it, so a prepared cache serves the shipped model.
 */
export const DEFAULT_BACKBONE: BackboneSpec = Object.freeze({
  id: 'nsfwjs/mobilenet_v2',
  inputSize: 224,
  featureLayers: Object.freeze([
    'block_10_expand_relu',
    'block_11_expand_relu',
    'block_12_expand_relu',
    'block_13_expand_relu',
    'block_14_expand_relu',
    'block_15_expand_relu',
    'block_16_expand_relu',
    'block_16_depthwise_relu',
    'out_relu',
  ]) as string[],
  source: Object.freeze({ kind: 'nsfwjs', model: 'mobilenet_v2' }),
}) as BackboneSpec;

/**
 * The output every ONNX backbone graph has, float32 `[N, featureDim]`: what the converter writes and
 * what a user-supplied ONNX backbone must provide.
 */
export const FEATURES_OUTPUT = 'features';

export type BackboneRuntime = 'onnx' | 'tfjs';

export interface FeatureExtractor {
  readonly backboneId: string;
  /** Identifies the exact weights: package version (or file name) + a hash of the weights. */
  readonly fingerprint: string;
  readonly inputSize: number;
  readonly featureDim: number;
  readonly featureLayers: readonly string[];
  /**
   * Features per entry of `featureLayers` (they sum to featureDim), where the graph tells: prepared ONNX
   * backbones. Absent for a user-supplied ONNX graph and the TF.js runtime, which then count as one layer.
   */
  readonly featureWidths?: readonly number[];
  readonly runtime: BackboneRuntime;
  /** `pixels`: N×S×S×3 NHWC floats in [0, 1]. Returns N×featureDim, row-major. */
  extract(pixels: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface ExtractorOptions {
  runtime?: BackboneRuntime;
  /** ONNX Runtime intra-op threads (see onnx-extractor.ts for the measured default). */
  intraOpThreads?: number;
  /** ONNX Runtime: spin-wait inside a run instead of sleeping between operators (see onnx-extractor.ts). */
  spinning?: boolean;
  /** Where generated ONNX files live (default: `PETAL_CACHE_DIR`, else `<repo>/.cache/petal`). */
  cacheDir?: string;
  /**
   * The backbone weights the caller needs (a model manifest's `backbone.fingerprint`). With it a prepared
   * backbone is found in the cache without reading the original weights, so no converter is needed.
   */
  fingerprint?: string;
  /** Largest batch given to the runtime at once; bigger inputs are split (bounds memory). */
  batchSize?: number;
  /**
   * ONNX: parallel `run()` calls one extract() may use for a multi-image input (default: cores ÷
   * intraOpThreads). A batch is split into that many chunks, so 1-thread sessions still use every core.
   */
  streams?: number;
}

export interface DenseLayer {
  units: number;
  activation: 'relu' | 'softmax' | 'linear';
  /** in×units, row-major. */
  kernel: Float32Array;
  bias: Float32Array;
}

/** The out-of-scope score's fitted values (see out-of-scope.ts for the formula). */
export interface OutOfScopeWeights {
  /** classes×inputDim row-major: each class's mean of the square-rooted features. */
  centers: Float32Array;
  /** inputDim: the weight of each feature's squared deviation. */
  weights: Float32Array;
  /**
   * A linear score on the square-rooted features, learned against example images of other things
   * (outlier exposure) and scaled into the distance's units; the score is the larger of the two. Absent
   * when the model was trained without such examples: the distance alone.
   */
  outlier?: { weights: Float32Array; bias: number };
}

/** features → (x − mean) / std → dense layers (the last one softmax); optionally the out-of-scope score. */
export interface HeadWeights {
  inputDim: number;
  normalization?: { mean: Float32Array; std: Float32Array };
  layers: DenseLayer[];
  /** Absent in models trained before the score existed: they serve probabilities alone. */
  outOfScope?: OutOfScopeWeights;
}

export interface ServingSession {
  readonly inputSize: number;
  readonly numClasses: number;
  readonly runtime: BackboneRuntime;
  /** Whether `run` also returns the out-of-scope score (the head carries its weights). */
  readonly scoresOutOfScope: boolean;
  run(pixels: Float32Array, n: number): Promise<{ probabilities: Float32Array; outOfScope?: Float32Array }>;
  dispose(): Promise<void>;
}

/** Raised for a backbone that cannot be loaded or converted; the message names the culprit. */
export class BackboneError extends Error {
  override readonly name: string = 'BackboneError';
}

/**
 * The ONNX graph for a TF.js backbone is not in the cache and no converter is installed to make it (the
 * endpoint image carries only the runtime): the message says which backbone and how to prepare it.
 */
export class BackboneNotPreparedError extends BackboneError {
  override readonly name = 'BackboneNotPreparedError';
}

/** A backbone as an ONNX file on disk, ready for ONNX Runtime. */
export interface PreparedBackbone {
  onnxPath: string;
  fingerprint: string;
  featureDim: number;
  inputSize: number;
  /** True when this call generated (converted or downloaded) the file. */
  generated: boolean;
}

export interface PrepareOptions {
  cacheDir?: string;
  /** Regenerate even when a valid cached file exists. */
  force?: boolean;
  /** Download timeout for URL sources (default 120 s). */
  downloadTimeoutMs?: number;
}

export function resolveSource(spec: BackboneSpec): BackboneSource {
  return spec.source ?? { kind: 'nsfwjs', model: 'mobilenet_v2' };
}

export function checkPixels(pixels: Float32Array, n: number, inputSize: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`image count must be a non-negative integer, got ${n}`);
  const expected = n * inputSize * inputSize * 3;
  if (pixels.length !== expected) {
    throw new RangeError(
      `expected ${n}×${inputSize}×${inputSize}×3 = ${expected} floats, got ${pixels.length}`,
    );
  }
}
