import { describe, expect, it } from 'vitest';
import sharp, { type Sharp } from 'sharp';
import { headerDimensions } from './decode.js';
import { decodeImage, formatRefusal, ImageInputError, type ImageInputErrorCode } from './index.js';
import {
  animatedFrames,
  idatRange,
  photoLike,
  pixelAt,
  pngBomb,
  pseudoRandomBytes,
  solid,
  splitRaw,
  type Rgb,
} from './testing/images.js';

const RED: Rgb = [220, 20, 30];
const BLUE: Rgb = [20, 40, 210];

function expectClose(actual: Rgb, expected: Rgb, tolerance: number): void {
  for (let c = 0; c < 3; c++) {
    expect(Math.abs(actual[c]! - expected[c]!), `channel ${c}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
  }
}

async function refusal(promise: Promise<unknown>): Promise<ImageInputError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageInputError);
  return err as ImageInputError;
}

async function expectRefused(bytes: Uint8Array, code: ImageInputErrorCode, options?: { maxPixels?: number }) {
  const err = await refusal(decodeImage(bytes, options));
  expect(err.code).toBe(code);
  // Messages go to end users: plain words, no decoder internals.
  expect(err.message.length).toBeGreaterThan(10);
  expect(err.message).not.toMatch(/vips|libpng|sharp/i);
  return err;
}

describe('decodeImage: accepted formats', () => {
  const encoders: Record<string, { encode: (s: Sharp) => Sharp; tolerance: number }> = {
    jpeg: { encode: (s) => s.jpeg({ quality: 95 }), tolerance: 6 },
    png: { encode: (s) => s.png(), tolerance: 0 },
    webp: { encode: (s) => s.webp({ lossless: true }), tolerance: 0 },
    gif: { encode: (s) => s.gif(), tolerance: 8 },
    avif: { encode: (s) => s.avif({ quality: 90 }), tolerance: 8 },
    tiff: { encode: (s) => s.tiff({ compression: 'lzw' }), tolerance: 0 },
  };

  for (const [format, { encode, tolerance }] of Object.entries(encoders)) {
    it(`decodes ${format} to 8-bit RGB with its size and colours`, async () => {
      const bytes = await encode(splitRaw(48, 32, RED, BLUE)).toBuffer();
      const img = await decodeImage(bytes);
      expect(img.format).toBe(format);
      expect([img.width, img.height, img.channels]).toEqual([48, 32, 3]);
      expect(img.data).toBeInstanceOf(Uint8Array);
      expect(img.data.length).toBe(48 * 32 * 3);
      expectClose(pixelAt(img.data, 48, 4, 16), RED, tolerance);
      expectClose(pixelAt(img.data, 48, 44, 16), BLUE, tolerance);
    });
  }

  it('takes the first frame of an animated GIF and an animated WebP', async () => {
    for (const encode of [(s: Sharp) => s.gif(), (s: Sharp) => s.webp({ lossless: true })]) {
      const anim = await encode(await animatedFrames(16, [RED, BLUE, [0, 200, 0]])).toBuffer();
      expect((await sharp(anim).metadata()).pages).toBe(3);
      const img = await decodeImage(anim);
      expect([img.width, img.height]).toEqual([16, 16]);
      expectClose(pixelAt(img.data, 16, 8, 8), RED, 8);
      expectClose(pixelAt(img.data, 16, 8, 15), RED, 8);
    }
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    // Stored 40×20, left half red and right half blue; displayed 20×40 with red on top.
    const bytes = await splitRaw(40, 20, RED, BLUE).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([40, 20, 6]);
    const img = await decodeImage(bytes);
    expect([img.width, img.height]).toEqual([20, 40]);
    expectClose(pixelAt(img.data, 20, 10, 5), RED, 8);
    expectClose(pixelAt(img.data, 20, 10, 34), BLUE, 8);
  });

  it('flattens transparency onto white', async () => {
    const clear = await decodeImage(await solid(10, 10, [0, 0, 0], 0).png().toBuffer());
    expectClose(pixelAt(clear.data, 10, 5, 5), [255, 255, 255], 0);
    const halfRed = await decodeImage(await solid(10, 10, [255, 0, 0], 0.5).png().toBuffer());
    expectClose(pixelAt(halfRed.data, 10, 5, 5), [255, 128, 128], 2);
    const webp = await decodeImage(await solid(10, 10, [0, 0, 255], 0).webp({ lossless: true }).toBuffer());
    expectClose(pixelAt(webp.data, 10, 5, 5), [255, 255, 255], 0);
  });

  it('expands grayscale (with and without alpha) to three equal channels', async () => {
    const gray = await solid(12, 6, [90, 90, 90]).toColourspace('b-w').png().toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    const img = await decodeImage(gray);
    expect(img.data.length).toBe(12 * 6 * 3);
    expectClose(pixelAt(img.data, 12, 3, 3), [90, 90, 90], 1);
    const grayAlpha = await solid(12, 6, [90, 90, 90], 0.5).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grayAlpha).metadata()).channels).toBe(2);
    expectClose(pixelAt((await decodeImage(grayAlpha)).data, 12, 3, 3), [173, 173, 173], 2);
  });

  it('reduces 16-bit PNG to 8 bits', async () => {
    const png16 = await solid(8, 8, [200, 10, 30]).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png16);
    expect(img.data.length).toBe(8 * 8 * 3);
    expectClose(pixelAt(img.data, 8, 4, 4), [200, 10, 30], 1);
  });

  it('converts CMYK JPEG to sRGB', async () => {
    const cmyk = await solid(8, 8, [200, 60, 40]).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(cmyk).metadata();
    expect([meta.space, meta.channels]).toEqual(['cmyk', 4]);
    const img = await decodeImage(cmyk);
    expect(img.data.length).toBe(8 * 8 * 3);
    // CMYK round trips through a generic profile are approximate; the hue must survive.
    expectClose(pixelAt(img.data, 8, 4, 4), [200, 60, 40], 40);
  });

  it('is deterministic', async () => {
    const bytes = await photoLike().jpeg().toBuffer();
    const [a, b] = await Promise.all([decodeImage(bytes), decodeImage(bytes)]);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
  });
});

describe('decodeImage: refusals', () => {
  it('refuses empty input', async () => {
    await expectRefused(new Uint8Array(0), 'EMPTY_INPUT');
  });

  it('refuses bytes that are not an image', async () => {
    await expectRefused(pseudoRandomBytes(4096, 42), 'NOT_AN_IMAGE');
    await expectRefused(Buffer.from('{"instances": [[0.1, 0.2]]}'), 'NOT_AN_IMAGE');
    await expectRefused(Buffer.from('<html><body>flower.jpg</body></html>'), 'NOT_AN_IMAGE');
    await expectRefused(Buffer.from([0xff]), 'NOT_AN_IMAGE');
  });

  it('refuses SVG, HEIC, BMP and PDF as unsupported formats', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>');
    const err = await expectRefused(svg, 'UNSUPPORTED_FORMAT');
    expect(err.message).toMatch(/SVG/);
    const heic = Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(100)]);
    expect((await expectRefused(heic, 'UNSUPPORTED_FORMAT')).message).toMatch(/HEIC/);
    const bmp = Buffer.alloc(70);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    await expectRefused(bmp, 'UNSUPPORTED_FORMAT');
    await expectRefused(Buffer.from('%PDF-1.4\n%âãÏÓ\n'), 'UNSUPPORTED_FORMAT');
  });

  it('refuses a JPEG cut in half', async () => {
    const jpeg = await photoLike().jpeg({ quality: 90 }).toBuffer();
    const err = await expectRefused(jpeg.subarray(0, jpeg.length >> 1), 'CORRUPT_IMAGE');
    expect(err.cause).toBeInstanceOf(Error);
    await expectRefused(jpeg.subarray(0, 24), 'CORRUPT_IMAGE');
  });

  it('refuses a PNG with a damaged IDAT chunk and one cut short', async () => {
    const png = await photoLike(64, 64).png().toBuffer();
    const broken = Buffer.from(png);
    const { start, end } = idatRange(broken);
    for (let i = start + 16; i < Math.min(end, start + 64); i++) broken[i] = broken[i]! ^ 0x5a;
    await expectRefused(broken, 'CORRUPT_IMAGE');
    await expectRefused(png.subarray(0, Math.floor(png.length * 0.6)), 'CORRUPT_IMAGE');
  });

  it('refuses headers that promise a format the bytes do not hold', async () => {
    await expectRefused(Buffer.concat([Buffer.from('GIF89a', 'latin1'), pseudoRandomBytes(200)]), 'CORRUPT_IMAGE');
    await expectRefused(Buffer.concat([Buffer.from('\0\0\0\x14ftypavif\0\0\0\0avif', 'latin1'), pseudoRandomBytes(200)]), 'CORRUPT_IMAGE');
    await expectRefused(Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00]), pseudoRandomBytes(64)]), 'CORRUPT_IMAGE');
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = pngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    const err = await expectRefused(bomb, 'TOO_MANY_PIXELS');
    expect(err.message).toContain('20000×20000');
    expect(performance.now() - started).toBeLessThan(1000);
    // Decoding would need about 1.2 GB; a header check needs almost nothing.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it('honours a lower maxPixels and rejects an invalid one', async () => {
    const png = await solid(100, 50, [1, 2, 3]).png().toBuffer();
    await expectRefused(png, 'TOO_MANY_PIXELS', { maxPixels: 4999 });
    expect((await decodeImage(png, { maxPixels: 5000 })).width).toBe(100);
    await expect(decodeImage(png, { maxPixels: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(decodeImage('not bytes' as unknown as Uint8Array)).rejects.toBeInstanceOf(TypeError);
  });

  it('refuses unknown bytes with the same code and words as the sharp-free formatRefusal', async () => {
    // HTTP statuses live in @petal/contracts' catalog per boundary; the refusal itself is decided here once.
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]);
    for (const bytes of [heic, Buffer.from('text')]) {
      const err = await refusal(decodeImage(bytes));
      expect({ code: err.code, message: err.message }).toEqual(formatRefusal(bytes));
    }
    expect(formatRefusal(heic)).toMatchObject({ code: 'UNSUPPORTED_FORMAT', message: expect.stringMatching(/^HEIC\/HEIF images are not supported/) });
    expect(formatRefusal(Buffer.from('text')).code).toBe('NOT_AN_IMAGE');
  });
});

describe('headerDimensions: the size libvips would read, without asking it', () => {
  it('agrees with sharp for JPEG (baseline, progressive, grayscale, CMYK, with EXIF) and PNG', async () => {
    const base = photoLike(123, 77);
    const samples: Array<[string, Buffer]> = [
      ['jpeg', await base.clone().jpeg().toBuffer()],
      ['jpeg', await base.clone().jpeg({ progressive: true }).toBuffer()],
      ['jpeg', await base.clone().grayscale().jpeg().toBuffer()],
      ['jpeg', await base.clone().toColourspace('cmyk').jpeg().toBuffer()],
      ['jpeg', await base.clone().withMetadata({ orientation: 6 }).jpeg().toBuffer()],
      ['jpeg', await base.clone().jpeg({ mozjpeg: true }).toBuffer()],
      ['png', await base.clone().png().toBuffer()],
      ['png', await base.clone().png({ palette: true }).toBuffer()],
    ];
    for (const [format, bytes] of samples) {
      const meta = await sharp(bytes).metadata();
      expect(headerDimensions(bytes, format as 'jpeg' | 'png')).toEqual({ width: meta.width, height: meta.height });
    }
  });

  it('gives up (libvips then decides) on cut-short headers and on other formats', async () => {
    const jpeg = await photoLike(64, 64).jpeg().toBuffer();
    expect(headerDimensions(jpeg.subarray(0, 24), 'jpeg')).toBeUndefined();
    expect(headerDimensions(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), 'jpeg')).toBeUndefined();
    expect(headerDimensions((await photoLike(64, 64).png().toBuffer()).subarray(0, 20), 'png')).toBeUndefined();
    expect(headerDimensions(await photoLike(64, 64).webp().toBuffer(), 'webp')).toBeUndefined();
  });
});
