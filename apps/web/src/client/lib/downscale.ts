/**
 * Phone photos are 12 MP and several MB; the model looks at 224×224. Shrinking in the browser to a long
 * side of 1024 px (over 4× the model's input, so nothing the model could use is lost) cuts uploads to
 * ~150–300 KB. Small images go as they are: re-encoding them would only lose quality.
 */
export const DOWNSCALE = {
  maxLongSide: 1024,
  /** Never shrink below this, whatever the bytes. */
  minLongSide: 512,
  /** Files smaller than this and within maxLongSide are sent untouched. */
  passThroughBytes: 1.5 * 1024 * 1024,
  quality: 0.9,
  /** What the WAS accepts; checked before uploading so people get the answer at once. */
  maxUploadBytes: 6 * 1024 * 1024,
} as const;

/** Formats every browser can hand over untouched and the WAS can decode. */
const PASS_THROUGH_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export interface Size {
  width: number;
  height: number;
}

/** The size that fits the long side into `maxLongSide`, keeping the aspect ratio; never enlarges. */
export function targetSize(width: number, height: number, maxLongSide: number = DOWNSCALE.maxLongSide): Size {
  if (!(width > 0 && height > 0)) throw new RangeError(`invalid image size ${width}×${height}`);
  const longSide = Math.max(width, height);
  if (longSide <= maxLongSide) return { width, height };
  const scale = maxLongSide / longSide;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export interface UploadCandidate extends Size {
  bytes: number;
  type: string;
}

/**
 * Re-encode when the image is larger than needed in pixels, heavy in bytes (but then never below
 * `minLongSide`), or in a format the server may not read (HEIC from iPhones, when the browser decodes it).
 */
export function shouldDownscale(c: UploadCandidate): boolean {
  const longSide = Math.max(c.width, c.height);
  if (longSide > DOWNSCALE.maxLongSide) return true;
  if (!PASS_THROUGH_TYPES.has(c.type)) return true;
  return c.bytes > DOWNSCALE.passThroughBytes && longSide >= DOWNSCALE.minLongSide;
}

export interface PreparedUpload {
  blob: Blob;
  fileName: string;
  /** Decoded dimensions, when the browser could decode the file. */
  original?: Size;
  sent?: Size;
  downscaled: boolean;
}

function jpegName(name: string): string {
  const base = name.replace(/\.[^.]*$/, '') || 'photo';
  return `${base}.jpg`;
}

async function encodeJpeg(bitmap: ImageBitmap, size: Size, quality: number): Promise<Blob> {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(size.width, size.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d context');
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, size.width, size.height);
    return canvas.convertToBlob({ type: 'image/jpeg', quality });
  }
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, size.width, size.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), 'image/jpeg', quality));
}

/**
 * Makes the bytes to upload. Anything the browser cannot decode goes as it is: the server is the judge
 * of what is an image, and it answers with an error the UI explains.
 */
export async function prepareUpload(file: Blob, fileName: string): Promise<PreparedUpload> {
  if (typeof createImageBitmap !== 'function') return { blob: file, fileName, downscaled: false };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { blob: file, fileName, downscaled: false };
  }
  try {
    const original = { width: bitmap.width, height: bitmap.height };
    if (!shouldDownscale({ ...original, bytes: file.size, type: file.type })) {
      return { blob: file, fileName, original, sent: original, downscaled: false };
    }
    const sent = targetSize(original.width, original.height);
    const blob = await encodeJpeg(bitmap, sent, DOWNSCALE.quality);
    // Re-encoding an already tight JPEG at the same size can grow it; keep whichever is smaller.
    if (blob.size >= file.size && sent.width === original.width && PASS_THROUGH_TYPES.has(file.type)) {
      return { blob: file, fileName, original, sent: original, downscaled: false };
    }
    return { blob, fileName: jpegName(fileName), original, sent, downscaled: true };
  } catch {
    return { blob: file, fileName, downscaled: false };
  } finally {
    bitmap.close();
  }
}

/** A small JPEG data: URL for the session history (a few KB, so a dozen fit in sessionStorage). */
export async function makeThumbnail(file: Blob, longSide = 128): Promise<string | undefined> {
  if (typeof createImageBitmap !== 'function' || typeof document === 'undefined') return undefined;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    try {
      const size = targetSize(bitmap.width, bitmap.height, longSide);
      const canvas = document.createElement('canvas');
      canvas.width = size.width;
      canvas.height = size.height;
      const ctx = canvas.getContext('2d');
      if (!ctx) return undefined;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bitmap, 0, 0, size.width, size.height);
      const url = canvas.toDataURL('image/jpeg', 0.72);
      return url.startsWith('data:image/jpeg') ? url : undefined;
    } finally {
      bitmap.close();
    }
  } catch {
    return undefined;
  }
}
