import { describe, expect, it } from 'vitest';
import { openImage, toRawRgb } from './decode.js';
import { jpegHeaderSegments } from './jpeg-segments.js';
import { DEFAULT_PREPROCESS_SPEC, ImageInputError, preprocess, preprocessBatch, preprocessToRgb, toUnitFloat } from './index.js';
import { SMALL_JPEG_MAX_PIXELS, decodeSmallJpeg, isSmallPlainJpeg, rgbFromRgba } from './small-jpeg.js';
import { photoLike, pixelDifference } from './testing/images.js';

const S = DEFAULT_PREPROCESS_SPEC.size;

/** What sharp makes of the same bytes: the reference the fast path must agree with. */
async function viaSharp(bytes: Buffer): Promise<Uint8Array> {
  const opened = await openImage(bytes);
  return (await toRawRgb(opened, opened.pipeline.resize(S, S, { fit: 'fill', kernel: 'linear' }))).data;
}

/** The bytes without their segments of one marker (e.g. the ICC profile sharp writes with orientation). */
function withoutSegments(jpeg: Buffer, marker: number): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  for (const segment of jpegHeaderSegments(jpeg)) {
    if (segment.marker === 0xda) {
      parts.push(jpeg.subarray(segment.at)); // the scan and everything after it, as they are
      break;
    }
    if (segment.marker !== marker) parts.push(jpeg.subarray(segment.at, segment.at + 2 + segment.length));
  }
  return Buffer.concat(parts);
}

const photo = (width = 256, height = 256) => photoLike(width, height).jpeg({ quality: 90 }).toBuffer();

describe('small plain JPEGs: decoded without sharp, the same pixels within rounding', () => {
  it('agrees with sharp on baseline and progressive photos, from 224 px up to the size limit', async () => {
    for (const [width, height, progressive] of [
      [256, 256, false],
      [256, 256, true],
      [224, 224, false],
      [400, 300, false],
      [448, 448, false],
    ] as const) {
      const bytes = await photoLike(width, height).jpeg({ quality: 90, progressive }).toBuffer();
      expect(isSmallPlainJpeg(bytes, S), `${width}×${height}`).toBe(true);
      const { mean, max } = pixelDifference(rgbFromRgba((await decodeSmallJpeg(bytes, S))!), await viaSharp(bytes));
      expect(mean, `${width}×${height}`).toBeLessThan(0.6);
      expect(max, `${width}×${height}`).toBeLessThanOrEqual(8);
      // And preprocessToRgb takes this path: the bytes are identical to the fast decoder's.
      expect(Buffer.from(await preprocessToRgb(bytes, DEFAULT_PREPROCESS_SPEC)).equals(Buffer.from(rgbFromRgba((await decodeSmallJpeg(bytes, S))!)))).toBe(true);
    }
  });

  it('gives the same floats whether scaled from its RGB bytes or straight from the decoder (serving and training alike)', async () => {
    const a = await photo();
    const b = await photo(300, 260);
    const expected = [toUnitFloat(await preprocessToRgb(a, DEFAULT_PREPROCESS_SPEC)), toUnitFloat(await preprocessToRgb(b, DEFAULT_PREPROCESS_SPEC))];
    expect(await preprocess(a, DEFAULT_PREPROCESS_SPEC)).toEqual(expected[0]);
    const batch = await preprocessBatch([a, b], DEFAULT_PREPROCESS_SPEC);
    expect(batch.subarray(0, S * S * 3)).toEqual(expected[0]);
    expect(batch.subarray(S * S * 3)).toEqual(expected[1]);
  });

  it('decodes inline (on the calling thread) to the very pixels the thread pool gives, and refuses alike', async () => {
    for (const bytes of [await photo(), await photoLike(400, 300).jpeg({ quality: 90, progressive: true }).toBuffer()]) {
      const pooled = (await decodeSmallJpeg(bytes, S))!;
      expect(Buffer.from((await decodeSmallJpeg(bytes, S, { inline: true }))!).equals(Buffer.from(pooled))).toBe(true);
      expect(await preprocess(bytes, DEFAULT_PREPROCESS_SPEC, { inline: true })).toEqual(await preprocess(bytes, DEFAULT_PREPROCESS_SPEC));
    }
    expect(await decodeSmallJpeg(Buffer.from('not a jpeg'), S, { inline: true })).toBeUndefined();
    const plain = await photo();
    const err = await preprocess(plain.subarray(0, Math.floor(plain.length * 0.7)), DEFAULT_PREPROCESS_SPEC, { inline: true }).catch((e: unknown) => e);
    expect((err as ImageInputError).code).toBe('CORRUPT_IMAGE');
  });

  it('applies the EXIF orientation as sharp does', async () => {
    for (const orientation of [3, 6, 8]) {
      // sharp writes an sRGB profile beside the orientation; removed, so the fast path applies.
      const bytes = withoutSegments(await photoLike(300, 240).jpeg({ quality: 90 }).withMetadata({ orientation }).toBuffer(), 0xe2);
      expect(isSmallPlainJpeg(bytes, S)).toBe(true);
      const { mean, max } = pixelDifference(rgbFromRgba((await decodeSmallJpeg(bytes, S))!), await viaSharp(bytes));
      expect(mean, `orientation ${orientation}`).toBeLessThan(0.6);
      expect(max, `orientation ${orientation}`).toBeLessThanOrEqual(8);
    }
  });

  it('leaves to sharp what it would decode differently or what is not whole', async () => {
    const plain = await photo();
    expect(isSmallPlainJpeg(plain, S)).toBe(true);
    const cases: Record<string, Buffer> = {
      'an ICC profile': await photoLike().jpeg().withMetadata({ icc: 'srgb' }).toBuffer(),
      'one component (grey)': await photoLike().toColourspace('b-w').jpeg().toBuffer(),
      'four components (CMYK)': await photoLike().toColourspace('cmyk').jpeg().toBuffer(),
      'a cut-short file': plain.subarray(0, Math.floor(plain.length * 0.7)),
      'smaller than the model input on one side': await photo(256, 200),
      'more pixels than the limit': await photo(449, 448),
      'a PNG': await photoLike().png().toBuffer(),
    };
    for (const [what, bytes] of Object.entries(cases)) expect(isSmallPlainJpeg(bytes, S), what).toBe(false);
    expect(isSmallPlainJpeg(plain, S, 256 * 255)).toBe(false); // the caller's pixel limit holds too
    expect(SMALL_JPEG_MAX_PIXELS).toBe(448 * 448);
  });

  it('a cut-short photo is still refused as damaged (sharp decodes it and says so)', async () => {
    const plain = await photo();
    const cut = plain.subarray(0, Math.floor(plain.length * 0.7));
    const err = await preprocessToRgb(cut, DEFAULT_PREPROCESS_SPEC).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).code).toBe('CORRUPT_IMAGE');
  });

  it('a file the decoder refuses falls back to sharp instead of failing', async () => {
    const plain = await photo();
    // Scan data replaced by noise that still ends in EOI: whatever each decoder makes of it, the answer
    // is sharp's (pixels or its CORRUPT_IMAGE), never an exception from the fast path.
    const sos = plain.indexOf(Buffer.from([0xff, 0xda]));
    const garbled = Buffer.concat([plain.subarray(0, sos + 20), Buffer.alloc(plain.length - sos - 22, 0xff), Buffer.from([0xff, 0xd9])]);
    const outcome = await preprocessToRgb(garbled, DEFAULT_PREPROCESS_SPEC).then(
      (rgb) => rgb.length,
      (e: unknown) => (e instanceof ImageInputError ? e.code : e),
    );
    expect([S * S * 3, 'CORRUPT_IMAGE']).toContain(outcome);
    expect(await decodeSmallJpeg(Buffer.from('not a jpeg'), S)).toBeUndefined();
  });

  it('keeps working on a Buffer view into a larger pooled buffer', async () => {
    const plain = await photo();
    const pool = Buffer.concat([Buffer.alloc(100, 7), plain, Buffer.alloc(100, 9)]);
    const view = pool.subarray(100, 100 + plain.length);
    expect(isSmallPlainJpeg(view, S)).toBe(true);
    expect(Buffer.from(rgbFromRgba((await decodeSmallJpeg(view, S))!)).equals(Buffer.from(rgbFromRgba((await decodeSmallJpeg(plain, S))!)))).toBe(true);
  });
});
