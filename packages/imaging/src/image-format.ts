// Sharp-free on purpose: services that only need to know what bytes are (the WAS) import this module as
// `@petal/imaging/format` without loading a native image library.

/** The raster formats Petal accepts. Anything else is refused before a decoder ever sees it. */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const IMAGE_MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  tiff: 'image/tiff',
};

/** Human names, for error messages. */
export const IMAGE_FORMAT_NAMES: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  tiff: 'TIFF',
};

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[offset + i] !== signature[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** Major and compatible brands of an ISO-BMFF `ftyp` box at the start of the file (AVIF, HEIC, MP4…). */
function ftypBrands(bytes: Uint8Array): string[] | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (boxSize < 16) return undefined;
  const end = Math.min(boxSize, bytes.length, 4096);
  const brands = [ascii(bytes, 8, 12)];
  // Bytes 12..16 hold the minor version, then 4-byte compatible brands until the end of the box.
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/**
 * The accepted format these bytes are, judged from their magic bytes only (never a file name or a
 * Content-Type, which clients control). `undefined` means "not an image we accept".
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  const gif = ascii(bytes, 0, 6);
  if (gif === 'GIF87a' || gif === 'GIF89a') return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  const brands = ftypBrands(bytes);
  if (brands && (brands.includes('avif') || brands.includes('avis'))) return 'avif';
  return undefined;
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/**
 * Recognises image formats we deliberately refuse, so the client learns "convert your HEIC photo"
 * rather than "this is not an image". Returns a human name, or undefined when the bytes are no image
 * format we know of. SVG is refused because it is a document (scripts, external references, unbounded
 * rendering cost), not pixels.
 */
export function sniffRefusedImageFormat(bytes: Uint8Array): string | undefined {
  const brands = ftypBrands(bytes);
  if (brands?.some((b) => HEIF_BRANDS.has(b))) return 'HEIC/HEIF';
  if (
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a]) ||
    startsWith(bytes, [0xff, 0x0a])
  ) {
    return 'JPEG XL';
  }
  if (
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]) ||
    startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])
  ) {
    return 'JPEG 2000';
  }
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 18) {
    // "BM" alone is too common in text; also require a known DIB header size.
    const dibSize = bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24);
    if ([12, 40, 52, 56, 64, 108, 124].includes(dibSize)) return 'BMP';
  }
  if (ascii(bytes, 0, 4) === '8BPS') return 'Photoshop (PSD)';
  if (ascii(bytes, 0, 5) === '%PDF-') return 'PDF';
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'BigTIFF';
  if (looksLikeSvg(bytes)) return 'SVG';
  return undefined;
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096));
  const trimmed = head.replace(/^\uFEFF/, '').trimStart();
  return trimmed.startsWith('<') && /<svg[\s>/]/i.test(trimmed);
}

/** "JPEG, PNG, WebP, GIF, AVIF, TIFF": the accepted formats, for messages. */
export const ACCEPTED_FORMATS_TEXT = IMAGE_FORMATS.map((f) => IMAGE_FORMAT_NAMES[f]).join(', ');

export interface FormatRefusal {
  code: 'UNSUPPORTED_FORMAT' | 'NOT_AN_IMAGE';
  /** Written for the person who uploaded the file. */
  message: string;
}

/**
 * Why bytes that `sniffImageFormat` does not accept are refused, in words for the person who sent them:
 * an image in a format we refuse ("HEIC/HEIF images are not supported…") or no image at all. Every tier
 * that refuses an upload says the same.
 */
export function formatRefusal(bytes: Uint8Array): FormatRefusal {
  const refused = sniffRefusedImageFormat(bytes);
  return refused !== undefined
    ? { code: 'UNSUPPORTED_FORMAT', message: `${refused} images are not supported. Please send a ${ACCEPTED_FORMATS_TEXT} image.` }
    : { code: 'NOT_AN_IMAGE', message: `The upload is not an image. Please send a ${ACCEPTED_FORMATS_TEXT} image.` };
}
