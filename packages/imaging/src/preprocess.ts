import { DEFAULT_MAX_PIXELS, openImage, toRawRgb } from './decode.js';
import { ImageInputError } from './image-input-error.js';
import type { PreprocessSpec } from './preprocess-spec.js';
import { decodeSmallJpeg, isSmallPlainJpeg, rgbFromRgba } from './small-jpeg.js';

export interface PreprocessOptions {
  /** Refuse images with more pixels than this (width × height of the first frame). */
  maxPixels?: number;
  /**
   * Decode a small plain JPEG on the calling thread instead of libuv's pool (sharp's decodes stay on the
   * pool). For a caller with nothing to run meanwhile: the round trip to the pool costs about 0.1 ms of a
   * 0.6 ms decode, and blocks the thread for that 0.6 ms instead.
   */
  inline?: boolean;
}

export interface PreprocessBatchOptions extends PreprocessOptions {
  /**
   * How many images are decoded at once. Each decode runs on libuv's thread pool (4 threads by
   * default), so a little concurrency overlaps decoding with JavaScript work; see bench/imaging.bench.ts.
   */
  concurrency?: number;
}

/**
 * Default batch concurrency: libuv's thread-pool size (4 unless UV_THREADPOOL_SIZE says otherwise), where
 * sharp runs its decodes; more only queues. Measured on 2 cores (bench/imaging.bench.ts): 1 → 329, 2 → 428,
 * 4 → 523, 8 → 441 images/s, so even with 2 cores, 4 in flight keeps both busy while the main thread
 * converts to floats.
 */
export const DEFAULT_BATCH_CONCURRENCY = Math.max(1, Math.min(16, Number(process.env.UV_THREADPOOL_SIZE) || 4));

/**
 * The float for each byte value, correctly rounded to float32 once. Keras' Rescaling(1/255) multiplies
 * in float32; a table gives the same correctly-rounded value for every byte and is faster than dividing.
 */
const UNIT_FLOAT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function checkSpec(spec: PreprocessSpec): void {
  if (!Number.isInteger(spec.size) || spec.size < 1) throw new RangeError(`spec.size must be a positive integer, got ${spec.size}`);
  if (spec.resize !== 'squash') throw new RangeError(`unsupported resize mode ${String(spec.resize)}`);
  if (spec.scale?.[0] !== 0 || spec.scale?.[1] !== 1) throw new RangeError(`unsupported scale ${JSON.stringify(spec.scale)}`);
}

/** Bytes per preprocessed image: size × size × 3 (HWC, RGB). */
export function tensorLength(spec: PreprocessSpec): number {
  return spec.size * spec.size * 3;
}

/**
 * An upload decoded and squashed to size×size: RGBA from the small-JPEG decoder, or RGB from sharp for
 * everything else (and for what that decoder refuses). Callers turn either into what they need in one pass.
 */
async function decodeSquashed(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: PreprocessOptions,
): Promise<{ channels: 4 | 3; data: Uint8Array }> {
  checkSpec(spec);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const rgba = isSmallPlainJpeg(bytes, spec.size, maxPixels) ? await decodeSmallJpeg(bytes, spec.size, { inline: options.inline }) : undefined;
  if (rgba) return { channels: 4, data: rgba };
  const opened = await openImage(bytes, maxPixels);
  const resized = opened.pipeline.resize(spec.size, spec.size, { fit: 'fill', kernel: 'linear' });
  return { channels: 3, data: (await toRawRgb(opened, resized)).data };
}

/**
 * Decodes and squashes an upload to size×size 8-bit RGB (HWC): the model's input before scaling.
 * Bilinear (sharp's 'linear' kernel), aspect ratio ignored, no crop. Training augments these bytes.
 * Small plain JPEGs (the data set's photos, thumbnails) take a decoder three times faster than a sharp
 * call on them (small-jpeg.ts); everything else, and every refusal, goes through sharp.
 */
export async function preprocessToRgb(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: PreprocessOptions = {},
): Promise<Uint8Array> {
  const { channels, data } = await decodeSquashed(bytes, spec, options);
  return channels === 4 ? rgbFromRgba(data) : data;
}

/** The zero-based view of `out` (or a new array) that n values go into at `offset`. */
function floatTarget(n: number, out: Float32Array | undefined, offset: number): { target: Float32Array; dst: Float32Array } {
  const target = out ?? new Float32Array(n);
  if (!Number.isInteger(offset) || offset < 0 || offset + n > target.length) {
    throw new RangeError(`cannot write ${n} values at offset ${offset} into ${target.length}`);
  }
  // A zero-based view keeps the hot loops free of index arithmetic (measurably faster in V8).
  return { target, dst: offset === 0 && target.length === n ? target : target.subarray(offset, offset + n) };
}

/** Scales 8-bit values to [0, 1] floats, into `out` at `offset` when given (for building batches in place). */
export function toUnitFloat(rgb: Uint8Array, out?: Float32Array, offset = 0): Float32Array {
  const n = rgb.length;
  const { target, dst } = floatTarget(n, out, offset);
  // Four values per iteration halve the loop's own overhead: 0.27 → 0.17 ms per 224×224×3 image here, on
  // the thread that also runs inference (bench/imaging.bench.ts, toUnitFloat).
  const table = UNIT_FLOAT;
  let i = 0;
  for (const end = n - 3; i < end; i += 4) {
    dst[i] = table[rgb[i]!]!;
    dst[i + 1] = table[rgb[i + 1]!]!;
    dst[i + 2] = table[rgb[i + 2]!]!;
    dst[i + 3] = table[rgb[i + 3]!]!;
  }
  for (; i < n; i++) dst[i] = table[rgb[i]!]!;
  return target;
}

/**
 * RGB floats in [0, 1] straight from RGBA bytes, alpha dropped: one pass instead of RGB bytes and then
 * floats (0.24 against 0.42 ms a 224×224 image here, on the thread that also runs inference).
 */
function unitFloatFromRgba(rgba: Uint8Array, out?: Float32Array, offset = 0): Float32Array {
  const { target, dst } = floatTarget((rgba.length / 4) * 3, out, offset);
  const table = UNIT_FLOAT;
  for (let i = 0, j = 0, n = rgba.length; j < n; i += 3, j += 4) {
    dst[i] = table[rgba[j]!]!;
    dst[i + 1] = table[rgba[j + 1]!]!;
    dst[i + 2] = table[rgba[j + 2]!]!;
  }
  return target;
}

/** An upload as floats, into `out` at `offset` when given. */
async function preprocessInto(bytes: Uint8Array, spec: PreprocessSpec, options: PreprocessOptions, out?: Float32Array, offset = 0): Promise<Float32Array> {
  const { channels, data } = await decodeSquashed(bytes, spec, options);
  return channels === 4 ? unitFloatFromRgba(data, out, offset) : toUnitFloat(data, out, offset);
}

/** An upload as the model's input tensor: size×size×3 float32, HWC, RGB, values in [0, 1]. */
export async function preprocess(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  options: PreprocessOptions = {},
): Promise<Float32Array> {
  return preprocessInto(bytes, spec, options);
}

/**
 * Several uploads as one N×size×size×3 tensor, decoded with bounded concurrency. The first refused image
 * rejects the whole batch with an ImageInputError whose `index` says which one; images not yet started
 * are skipped.
 */
export async function preprocessBatch(
  images: readonly Uint8Array[],
  spec: PreprocessSpec,
  options: PreprocessBatchOptions = {},
): Promise<Float32Array> {
  checkSpec(spec);
  const concurrency = options.concurrency ?? DEFAULT_BATCH_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const per = tensorLength(spec);
  const out = new Float32Array(images.length * per);
  let next = 0;
  let failed = false;

  const worker = async (): Promise<void> => {
    while (!failed && next < images.length) {
      const i = next++;
      try {
        await preprocessInto(images[i]!, spec, options, out, i * per);
      } catch (err) {
        failed = true;
        if (err instanceof ImageInputError) {
          throw new ImageInputError(err.code, `Image ${i + 1} of ${images.length}: ${err.message}`, {
            cause: err.cause ?? err,
            index: i,
          });
        }
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, images.length) }, worker);
  // allSettled first so no worker is left running (and writing into `out`) after we reject.
  const results = await Promise.allSettled(workers);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  return out;
}
