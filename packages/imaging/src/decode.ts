import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { ACCEPTED_FORMATS_TEXT, IMAGE_FORMAT_NAMES, formatRefusal, sniffImageFormat, type ImageFormat } from './image-format.js';
import { ImageInputError } from './image-input-error.js';
import { JPEG_SOF, jpegHeaderSegments } from './jpeg-segments.js';

/**
 * Largest input we decode, in pixels (first frame). 50 MP admits every phone and most DSLR photos
 * (48 MP sensors are 8000×6000) while refusing decompression bombs; decoding 50 MP costs at most about
 * 150 MB of RGB before the resize shrinks it.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Decoded pixels one request may hold across all its images (two full-size photos). Without it, 16
 * images just under the per-image limit in one JSON batch cost seconds of CPU and hundreds of MiB.
 */
export const DEFAULT_MAX_REQUEST_PIXELS = 100_000_000;

// libvips' operation cache keeps recent decodes (up to 50 MiB) for re-use; every upload here is decoded
// once, so it only holds memory after a burst of large images.
sharp.cache(false);

export interface DecodeOptions {
  /** Refuse images with more pixels than this (width × height of the first frame). */
  maxPixels?: number;
}

export interface DecodedImage {
  /** RGB, 8 bits per channel, interleaved, row-major; EXIF orientation applied, alpha flattened onto white. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  format: ImageFormat;
}

/** What sharp's `metadata().format` says for each accepted format (AVIF is read by the HEIF loader). */
const SHARP_FORMAT: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'heif',
  tiff: 'tiff',
};

const WHITE = { r: 255, g: 255, b: 255 };
const ACCEPTED = ACCEPTED_FORMATS_TEXT;

/**
 * 'error' rather than sharp's default 'warning': truncated and corrupt pixel data fail, but the benign
 * warnings many real cameras' JPEGs raise (extraneous bytes, odd markers) do not refuse a good photo.
 */
const FAIL_ON = 'error' as const;

export function asBuffer(bytes: Uint8Array): Buffer {
  // A view, not a copy: uploads can be tens of megabytes.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkMaxPixels(maxPixels: number): void {
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  }
}

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 1e6 ? 3 : 1)} MP`;
}

/** An image that passed every check that needs only its header, with a pipeline ready to decode it. */
export interface OpenedImage {
  format: ImageFormat;
  /** Stored dimensions of the first frame, before EXIF orientation. */
  width: number;
  height: number;
  /** Decodes the first frame, oriented, flattened onto white, as 8-bit sRGB. Chain a resize or output. */
  pipeline: Sharp;
}

/**
 * Width and height from a JPEG's frame header or a PNG's IHDR, the same numbers libvips reads; undefined
 * when the header is not where it should be (libvips is asked then, and says what is wrong).
 * Not `image-size` (2.0.2): it reads through `new DataView(bytes.buffer, offset)` without the view's
 * length, so for a cut-short upload that sits in Node's shared buffer pool it reads the bytes after the
 * upload and reports a size the file does not have (decode.test.ts's cut-short PNG case caught it).
 */
export function headerDimensions(bytes: Buffer, format: ImageFormat): { width: number; height: number } | undefined {
  if (format === 'png') {
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
    if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (format !== 'jpeg') return undefined;
  for (const { marker, at, length } of jpegHeaderSegments(bytes)) {
    if (marker === 0xda) return undefined; // no frame header before the image data
    // Length (2), precision (1), height (2), width (2). A height of 0 (set later by DNL) is left to libvips.
    if (JPEG_SOF.has(marker)) return length < 7 ? undefined : { width: bytes.readUInt16BE(at + 7), height: bytes.readUInt16BE(at + 5) };
  }
  return undefined;
}

/**
 * Sniffs the format, then reads only the header to check dimensions against the pixel limit before
 * any pixel is decoded (a 20000×20000 PNG can be a few kilobytes). Throws ImageInputError.
 */
export async function openImage(bytes: Uint8Array, maxPixels: number = DEFAULT_MAX_PIXELS): Promise<OpenedImage> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('image bytes must be a Uint8Array or Buffer');
  checkMaxPixels(maxPixels);
  if (bytes.length === 0) throw new ImageInputError('EMPTY_INPUT', 'The upload is empty: no image data was received.');

  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    const refusal = formatRefusal(bytes);
    throw new ImageInputError(refusal.code, refusal.message);
  }
  const name = IMAGE_FORMAT_NAMES[format];
  const buffer = asBuffer(bytes);

  // JPEG and PNG state their size in a header read here in microseconds; everything else (and a header
  // this cannot read) asks libvips, a round trip through sharp's thread pool (~0.2 ms per photo).
  let { width, height } = headerDimensions(buffer, format) ?? { width: 0, height: 0 };
  if (!width || !height) {
    let meta: Metadata;
    try {
      meta = await sharp(buffer, { pages: 1, failOn: FAIL_ON, limitInputPixels: false }).metadata();
    } catch (cause) {
      throw new ImageInputError('CORRUPT_IMAGE', `The ${name} image is damaged and cannot be read.`, { cause });
    }
    if (meta.format !== SHARP_FORMAT[format] || (format === 'avif' && meta.compression !== 'av1')) {
      // The magic bytes promised one format but the file is another (e.g. an HEVC HEIF branded as AVIF).
      throw new ImageInputError(
        meta.format === 'heif' ? 'UNSUPPORTED_FORMAT' : 'CORRUPT_IMAGE',
        meta.format === 'heif'
          ? `HEIC/HEIF images are not supported. Please send a ${ACCEPTED} image.`
          : `The file starts like a ${name} image but is not a valid one.`,
      );
    }
    width = meta.width;
    height = meta.pageHeight ?? meta.height;
  }
  if (!width || !height) {
    throw new ImageInputError('CORRUPT_IMAGE', `The ${name} image has no valid dimensions.`);
  }
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new ImageInputError(
      'TOO_MANY_PIXELS',
      `The image is ${width}×${height} pixels (${megapixels(pixels)}); the limit is ${megapixels(maxPixels)}.`,
    );
  }

  const pipeline = sharp(buffer, {
    pages: 1,
    page: 0,
    failOn: FAIL_ON,
    // Second line of defence: libvips itself refuses to decode past the limit.
    limitInputPixels: maxPixels,
    autoOrient: true,
  })
    .flatten({ background: WHITE })
    .toColourspace('srgb');
  return { format, width, height, pipeline };
}

/** Runs a pipeline from {@link openImage} to raw 8-bit RGB, turning decoder failures into ImageInputError. */
export async function toRawRgb(
  opened: OpenedImage,
  pipeline: Sharp = opened.pipeline,
): Promise<{ data: Buffer; width: number; height: number }> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/exceeds pixel limit/i.test(message)) {
      throw new ImageInputError('TOO_MANY_PIXELS', 'The image has more pixels than allowed.', { cause });
    }
    throw new ImageInputError(
      'CORRUPT_IMAGE',
      `The ${IMAGE_FORMAT_NAMES[opened.format]} image is truncated or corrupt and cannot be decoded.`,
      { cause },
    );
  }
  const { width, height, channels } = out.info;
  if (channels !== 3 || out.data.length !== width * height * 3) {
    // Not the client's fault: the pipeline above must always produce 3-channel 8-bit output.
    throw new Error(`imaging pipeline produced ${channels} channels, ${out.data.length} bytes for ${width}×${height}`);
  }
  return { data: out.data, width, height };
}

/**
 * Decodes an upload to 8-bit RGB: first frame only, EXIF orientation applied, alpha flattened onto
 * white, grayscale / CMYK / 16-bit converted to sRGB. Throws ImageInputError for anything unreadable.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const opened = await openImage(bytes, options.maxPixels ?? DEFAULT_MAX_PIXELS);
  const { data, width, height } = await toRawRgb(opened);
  return { data, width, height, channels: 3, format: opened.format };
}

/**
 * Refuses a set of images whose first frames hold more than `maxTotalPixels` together, reading only their
 * headers (nothing is decoded). Returns the total. Images whose header cannot be read count as 0 here;
 * decoding them later says what is wrong with them.
 */
export async function checkTotalPixels(images: readonly Uint8Array[], maxTotalPixels: number = DEFAULT_MAX_REQUEST_PIXELS): Promise<number> {
  checkMaxPixels(maxTotalPixels);
  let total = 0;
  for (const bytes of images) {
    try {
      const meta = await sharp(asBuffer(bytes), { pages: 1, limitInputPixels: false }).metadata();
      total += (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
    } catch {
      // unreadable: the decoder reports it with the image's index
    }
  }
  if (total > maxTotalPixels) {
    throw new ImageInputError(
      'TOO_MANY_PIXELS',
      `The ${images.length} images hold ${megapixels(total)} together; one request may hold at most ${megapixels(maxTotalPixels)}. Send them in smaller batches.`,
    );
  }
  return total;
}
