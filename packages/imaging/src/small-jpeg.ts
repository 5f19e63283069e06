import { FastResizeFilter, ResizeFit, Transformer } from '@napi-rs/image';
import { JPEG_SOF, jpegHeaderSegments } from './jpeg-segments.js';

/**
 * The largest image, in pixels, that is decoded here rather than by sharp: 448×448. sharp's cost per call
 * is mostly fixed (a hop to libuv's thread pool and libvips' pipeline set-up: 3.2 ms for a 256×256 JPEG
 * inside the endpoint, against 1.0 ms for Pillow), while this decoder's grows with the pixels: 0.9–1.0 ms
 * at 256×256, 2.8 against sharp's 3.3 ms at 448×448, even at 512×512, 9.3 against 4.3 ms at 1024×768,
 * where libvips decodes at a reduced scale (shrink-on-load).
 */
export const SMALL_JPEG_MAX_PIXELS = 448 * 448;

/**
 * Start-of-frame markers this decoder is used for: baseline, extended and progressive Huffman. Every other
 * kind of frame (lossless, arithmetic coding, hierarchical) is left to libvips.
 */
const HUFFMAN_SOF = new Set([0xc0, 0xc1, 0xc2]);

/**
 * Whether a JPEG is plain enough that this decoder gives the pixels libvips would (within rounding): 8-bit
 * Huffman-coded, three components (YCbCr), no ICC profile (libvips would convert through it) and no Adobe
 * segment (which can mark RGB or CMYK data), complete up to its end-of-image marker (this decoder fills in
 * a cut-short file without complaint, where libvips refuses it), and at least `size` pixels on each side
 * (the two resizers differ when enlarging), and within `maxPixels` too. EXIF orientation is applied by
 * both.
 */
export function isSmallPlainJpeg(bytes: Uint8Array, size: number, maxPixels: number = SMALL_JPEG_MAX_PIXELS): boolean {
  if (!(bytes instanceof Uint8Array)) return false;
  const n = bytes.length;
  if (n < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[n - 2] !== 0xff || bytes[n - 1] !== 0xd9) return false;
  let frame: { width: number; height: number } | undefined;
  let scan = false;
  for (const { marker, at, length } of jpegHeaderSegments(bytes)) {
    if (marker === 0xda) scan = true;
    if (JPEG_SOF.has(marker)) {
      if (!HUFFMAN_SOF.has(marker)) return false;
      // Length (2), precision (1), height (2), width (2), components (1).
      if (length < 8 || bytes[at + 4] !== 8 || bytes[at + 9] !== 3) return false;
      frame = { height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]! };
    }
    if (marker === 0xe2 && startsWith(bytes, at + 4, 'ICC_PROFILE\0')) return false;
    if (marker === 0xee && startsWith(bytes, at + 4, 'Adobe')) return false;
  }
  if (!frame || !scan) return false;
  const { width, height } = frame;
  return width >= size && height >= size && width * height <= Math.min(maxPixels, SMALL_JPEG_MAX_PIXELS);
}

function startsWith(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Decodes a JPEG that passed {@link isSmallPlainJpeg}, applies its EXIF orientation and squashes it to
 * size×size 8-bit RGBA (bilinear, like sharp's 'linear' kernel; alpha is always opaque), on libuv's thread
 * pool as sharp does: the event loop stays free to read the next uploads, and a batch decodes on every
 * core. RGBA because that is what the resizer writes; the caller drops alpha in the pass it makes anyway
 * (to RGB bytes or to floats). Undefined when the decoder refuses the file, so that sharp decodes it and
 * gives the error a client sees. `inline` decodes on the calling thread instead (same pixels), in the event
 * loop's check phase.
 */
export async function decodeSmallJpeg(bytes: Uint8Array, size: number, { inline = false }: { inline?: boolean | undefined } = {}): Promise<Uint8Array | undefined> {
  let rgba: Buffer;
  try {
    const squash = new Transformer(bytes).rotate().fastResize({ width: size, height: size, filter: FastResizeFilter.Bilinear, fit: ResizeFit.Fill });
    if (inline) {
      // In the event loop's check phase, after the I/O already waiting is read, as ONNX Runtime's own run is.
      // Decoding straight away inside the request's handler finished each lone upload before the next ones
      // were read, so uploads arriving together were never seen queued (process.test.ts's graceful-shutdown
      // test then failed 1 run in 3).
      await new Promise((resolve) => setImmediate(resolve));
      rgba = squash.rawPixelsSync();
    } else {
      rgba = await squash.rawPixels();
    }
  } catch {
    return undefined;
  }
  return rgba.length === size * size * 4 ? rgba : undefined;
}

/** RGB bytes from RGBA ones, alpha dropped. */
export function rgbFromRgba(rgba: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return rgb;
}
