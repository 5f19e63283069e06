/** One class's score in a classification answer. */
export interface ScoredLabel {
  /** Index into the model's label list (its output position). */
  index: number;
  /** Label key, e.g. `astilbe` (see @petal/catalog for display names). */
  label: string;
  probability: number;
}

/** Where the out-of-scope score puts an image, by the model's calibrated thresholds. */
export type ScopeLevel = 'in-scope' | 'unsure' | 'unknown';

export interface OutOfScopeAnswer {
  /** Distance of the image's features from the training photos (larger: further). */
  score: number;
  level: ScopeLevel;
  /** What the level was judged by (the model's calibration), so an answer explains itself. */
  method: string;
  thresholds: { unsure: number; unknown: number };
}

export interface Classification {
  /** Label keys in output order. */
  labels: string[];
  /** Softmax probabilities in output order; sums to 1. */
  probabilities: number[];
  /** The k most probable labels, best first. */
  topK: ScoredLabel[];
  /** Present when the model carries an out-of-scope calibration. */
  outOfScope?: OutOfScopeAnswer;
}

export interface ModelIdentity {
  name: string;
  version: string;
}

/** A model ready to answer: loaded once, then called many times. */
export interface LoadedModel {
  readonly identity: ModelIdentity;
  /** Side length of the square input tensor (e.g. 224). */
  readonly inputSize: number;
  readonly labels: readonly string[];
  /** The full manifest as loaded from manifest.json. */
  readonly manifest: import('./artifact/manifest.js').Manifest;
  /**
   * The model's out-of-scope calibration, or undefined for a model trained before the score existed
   * (it answers probabilities alone, and callers decide from those).
   */
  readonly outOfScope: import('./artifact/manifest.js').OutOfScopeCalibration | undefined;
  /**
   * Decode + preprocess + backbone + head for one encoded image (JPEG/PNG/WebP/GIF/AVIF/TIFF bytes).
   * `inlineDecode`: the caller has nothing else to run meanwhile, so a small JPEG decodes on its thread
   * (PreprocessOptions.inline).
   */
  classify(image: Uint8Array, options?: { topK?: number; inlineDecode?: boolean }): Promise<Classification>;
  /** The same for several images in one batched forward pass. */
  classifyBatch(images: Uint8Array[], options?: { topK?: number }): Promise<Classification[]>;
  /** Already-preprocessed input: N×S×S×3 floats in [0,1], HWC (the TensorFlow-Serving `instances` form). */
  classifyPixels(pixels: Float32Array, n: number, options?: { topK?: number }): Promise<Classification[]>;
  dispose(): Promise<void>;
}
