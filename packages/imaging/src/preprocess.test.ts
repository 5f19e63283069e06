import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DATA_DIR as dataDir } from '@petal/stack';
import {
  DEFAULT_PREPROCESS_SPEC,
  ImageInputError,
  preprocess,
  preprocessBatch,
  preprocessSpecSchema,
  preprocessToRgb,
  toUnitFloat,
  type PreprocessSpec,
} from './index.js';
import { photoLike, pixelAt, pixelDifference, solid, splitRaw } from './testing/images.js';

const SPEC = DEFAULT_PREPROCESS_SPEC;
const S = SPEC.size;

/**
 * tf.image.resize(method='bilinear', antialias=False) as Keras' image_dataset_from_directory calls it:
 * half-pixel centres, edge clamped. An independent reference for what the model was trained on.
 */
function tfBilinear(src: Uint8Array, w: number, h: number, outW: number, outH: number): Float64Array {
  const out = new Float64Array(outW * outH * 3);
  const sx = w / outW;
  const sy = h / outH;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (xx: number, yy: number) => src[(yy * w + xx) * 3 + c]!;
        const top = p(x0, y0) * (1 - dx) + p(x1, y0) * dx;
        const bottom = p(x0, y1) * (1 - dx) + p(x1, y1) * dx;
        out[(y * outW + x) * 3 + c] = top * (1 - dy) + bottom * dy;
      }
    }
  }
  return out;
}

describe('preprocess', () => {
  it('makes a size×size×3 float tensor in [0, 1] from any aspect ratio', async () => {
    for (const [w, h] of [[256, 256], [640, 160], [90, 300]] as const) {
      const t = await preprocess(await photoLike(w, h).jpeg().toBuffer(), SPEC);
      expect(t).toBeInstanceOf(Float32Array);
      expect(t.length).toBe(S * S * 3);
      let min = Infinity;
      let max = -Infinity;
      for (const v of t) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThanOrEqual(1);
      expect(max - min).toBeGreaterThan(0.5); // the picture survived, it is not a flat fill
    }
  });

  it('squashes (no crop, no letterbox): both halves of a wide image fill their half of the square', async () => {
    const wide = await splitRaw(400, 100, [255, 0, 0], [0, 0, 255]).png().toBuffer();
    const rgb = await preprocessToRgb(wide, SPEC);
    for (const y of [0, S / 2, S - 1]) {
      expect(pixelAt(rgb, S, 0, y)).toEqual([255, 0, 0]);
      expect(pixelAt(rgb, S, S / 2 - 4, y)).toEqual([255, 0, 0]);
      expect(pixelAt(rgb, S, S / 2 + 4, y)).toEqual([0, 0, 255]);
      expect(pixelAt(rgb, S, S - 1, y)).toEqual([0, 0, 255]);
    }
  });

  it('is exactly sharp resize fit=fill with the linear kernel, scaled by 1/255', async () => {
    const png = await photoLike(300, 200).png().toBuffer();
    const expected = await sharp(png).resize(S, S, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    const rgb = await preprocessToRgb(png, SPEC);
    expect(Buffer.compare(Buffer.from(rgb), expected)).toBe(0);
    const floats = await preprocess(png, SPEC);
    for (let i = 0; i < floats.length; i += 997) expect(floats[i]).toBe(Math.fround(expected[i]! / 255));
  });

  it('stays close to the bilinear resize the reference model was trained with', async () => {
    const raw = await photoLike(256, 256).raw().toBuffer();
    const png = await sharp(raw, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    const ours = await preprocessToRgb(png, SPEC);
    const { mean, max } = pixelDifference(ours, tfBilinear(raw, 256, 256, S, S));
    // In 8-bit steps. Measured: linear 0.34 / 1.4, nearest 0.86 / 7.
    expect(mean).toBeLessThan(0.5);
    expect(max).toBeLessThan(3);
  });

  it('applies EXIF orientation before squashing', async () => {
    const bytes = await splitRaw(64, 32, [255, 0, 0], [0, 0, 255]).png().withMetadata({ orientation: 6 }).toBuffer();
    const rgb = await preprocessToRgb(bytes, { ...SPEC, size: 32 });
    expect(pixelAt(rgb, 32, 16, 2)).toEqual([255, 0, 0]);
    expect(pixelAt(rgb, 32, 16, 29)).toEqual([0, 0, 255]);
  });

  it('is deterministic: same bytes, identical floats', async () => {
    const jpeg = await photoLike().jpeg().toBuffer();
    const runs = await Promise.all([preprocess(jpeg, SPEC), preprocess(jpeg, SPEC), preprocess(jpeg, SPEC)]);
    expect(Buffer.compare(Buffer.from(runs[0]!.buffer), Buffer.from(runs[1]!.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(runs[0]!.buffer), Buffer.from(runs[2]!.buffer))).toBe(0);
  });

  it('refuses bad input with ImageInputError and bad specs with RangeError', async () => {
    await expect(preprocess(Buffer.from('nope'), SPEC)).rejects.toMatchObject({ code: 'NOT_AN_IMAGE' });
    const png = await solid(20, 20, [0, 0, 0]).png().toBuffer();
    await expect(preprocess(png, SPEC, { maxPixels: 100 })).rejects.toMatchObject({ code: 'TOO_MANY_PIXELS' });
    await expect(preprocess(png, { ...SPEC, size: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(preprocess(png, { ...SPEC, resize: 'crop' } as unknown as PreprocessSpec)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('preprocessBatch', () => {
  it('stacks images in order, equal to preprocessing each one, at any concurrency', async () => {
    const images = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => photoLike(200 + 20 * i, 256 - 10 * i).jpeg({ quality: 80 + i }).toBuffer()),
    );
    const singles = await Promise.all(images.map((b) => preprocess(b, SPEC)));
    for (const concurrency of [1, 3, 8]) {
      const batch = await preprocessBatch(images, SPEC, { concurrency });
      expect(batch.length).toBe(5 * S * S * 3);
      singles.forEach((single, i) => {
        const slice = batch.subarray(i * single.length, (i + 1) * single.length);
        expect(Buffer.compare(Buffer.from(slice.slice().buffer), Buffer.from(single.buffer)), `image ${i}`).toBe(0);
      });
    }
    expect((await preprocessBatch([], SPEC)).length).toBe(0);
  });

  it('says which image of a batch was refused', async () => {
    const good = await photoLike(64, 64).jpeg().toBuffer();
    const cut = good.subarray(0, good.length >> 1);
    const err = await preprocessBatch([good, good, cut, good], SPEC, { concurrency: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).code).toBe('CORRUPT_IMAGE');
    expect((err as ImageInputError).index).toBe(2);
    expect((err as ImageInputError).message).toMatch(/^Image 3 of 4: /);
    await expect(preprocessBatch([good], SPEC, { concurrency: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('toUnitFloat', () => {
  it('divides by 255, optionally into a larger tensor at an offset', () => {
    const rgb = Uint8Array.from([0, 1, 128, 254, 255]);
    expect([...toUnitFloat(rgb)]).toEqual([0, 1 / 255, 128 / 255, 254 / 255, 1].map(Math.fround));
    const out = new Float32Array(8).fill(-1);
    expect(toUnitFloat(rgb, out, 2)).toBe(out);
    expect(out[1]).toBe(-1);
    expect(out[2]).toBe(0);
    expect(out[6]).toBe(1);
    expect(out[7]).toBe(-1);
    expect(() => toUnitFloat(rgb, out, 4)).toThrow(RangeError);
  });

  it('gives every byte value its float32 v/255 at any length (the unrolled loop and its tail)', () => {
    for (const length of [0, 1, 3, 4, 7, 256, 259]) {
      const rgb = Uint8Array.from({ length }, (_, i) => (i * 97 + 13) % 256);
      const floats = toUnitFloat(rgb);
      expect(floats).toHaveLength(length);
      rgb.forEach((v, i) => expect(floats[i]).toBe(Math.fround(v / 255)));
    }
    const all = Uint8Array.from({ length: 256 }, (_, v) => v);
    expect([...toUnitFloat(all)]).toEqual([...all].map((v) => Math.fround(v / 255)));
  });
});

describe('preprocessSpecSchema', () => {
  it('accepts the reference spec and refuses anything the code cannot honour', () => {
    expect(preprocessSpecSchema.parse({ size: 224, resize: 'squash', scale: [0, 1] })).toEqual(SPEC);
    for (const bad of [
      { size: 0, resize: 'squash', scale: [0, 1] },
      { size: 224.5, resize: 'squash', scale: [0, 1] },
      { size: 224, resize: 'center-crop', scale: [0, 1] },
      { size: 224, resize: 'squash', scale: [-1, 1] },
      { size: 224, resize: 'squash', scale: [0, 1], mean: [0.5, 0.5, 0.5] },
      { size: 224 },
    ]) {
      expect(preprocessSpecSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

const haveData = existsSync(dataDir);
if (!haveData) {
  console.warn(
    `[imaging] flower photos not found at ${dataDir}: skipping the real-photo test. ` +
      'Put the data set at ../shared/datasets/flowers/<class>/*.jpg (or set PETAL_DATA_DIR) to run it.',
  );
}

describe.skipIf(!haveData)('real flower photos', () => {
  it('decodes a sample of every class without refusals, deterministically', async () => {
    const classes = readdirSync(dataDir).filter((c) => !c.startsWith('.')).sort();
    expect(classes.length).toBeGreaterThanOrEqual(3);
    const files = classes.flatMap((c) =>
      readdirSync(join(dataDir, c))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, 20)
        .map((f) => join(dataDir, c, f)),
    );
    const bytes = files.map((f) => readFileSync(f));
    const batch = await preprocessBatch(bytes, SPEC);
    expect(batch.length).toBe(files.length * S * S * 3);
    const again = await preprocess(bytes[7]!, SPEC);
    expect(Buffer.compare(Buffer.from(batch.slice(7 * S * S * 3, 8 * S * S * 3).buffer), Buffer.from(again.buffer))).toBe(0);
  });

  it('differs from Keras-style bilinear resizing by under one 8-bit level on average', async () => {
    // Measured on 20 bellflowers: linear 0.71, mitchell 0.66, cubic 0.80, lanczos3 (sharp's default) 1.20,
    // nearest 2.75. Photos have fine texture, so this is the check that matters for train/serve parity.
    const dir = join(dataDir, 'bellflower');
    const files = readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 20);
    let total = 0;
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const reference = tfBilinear(data, info.width, info.height, S, S);
      const ours = await preprocessToRgb(bytes, SPEC);
      let sum = 0;
      for (let i = 0; i < ours.length; i++) sum += Math.abs(ours[i]! - reference[i]!);
      total += sum / ours.length;
    }
    expect(total / files.length).toBeLessThan(1);
  });
});
