import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { IMAGE_FORMATS, IMAGE_MIME_TYPES, sniffImageFormat, sniffRefusedImageFormat } from './index.js';
import { animatedFrames, pngBomb, pseudoRandomBytes, solid } from './testing/images.js';

const ftyp = (major: string, compatible: string[]): Buffer => {
  const body = Buffer.from(`ftyp${major}\0\0\0\0${compatible.join('')}`, 'latin1');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length + 4);
  return Buffer.concat([size, body, Buffer.alloc(64)]);
};

describe('sniffImageFormat', () => {
  it('recognises every accepted format from bytes sharp wrote', async () => {
    const base = solid(8, 8, [10, 200, 30]);
    const written = {
      jpeg: await base.clone().jpeg().toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp().toBuffer(),
      gif: await (await animatedFrames(8, [[255, 0, 0], [0, 0, 255]])).gif().toBuffer(),
      avif: await base.clone().avif().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
    } as const;
    for (const format of IMAGE_FORMATS) expect(sniffImageFormat(written[format]), format).toBe(format);
  });

  it('knows both TIFF byte orders, both GIF versions and AVIF sequences', () => {
    expect(sniffImageFormat(Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]))).toBe('tiff');
    expect(sniffImageFormat(Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]))).toBe('tiff');
    expect(sniffImageFormat(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toBe('gif');
    expect(sniffImageFormat(ftyp('avis', ['avis', 'msf1']))).toBe('avif');
    // Major brand mif1 with avif among the compatible brands is how many encoders label AVIF.
    expect(sniffImageFormat(ftyp('mif1', ['mif1', 'avif', 'miaf']))).toBe('avif');
  });

  it('ignores what is not an accepted image', () => {
    expect(sniffImageFormat(new Uint8Array(0))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('hello, world'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffImageFormat(ftyp('heic', ['mif1', 'heic']))).toBeUndefined();
    expect(sniffImageFormat(ftyp('isom', ['isom', 'mp42']))).toBeUndefined();
    expect(sniffImageFormat(pseudoRandomBytes(1024, 7))).toBeUndefined();
  });

  it('never looks past the bytes it was given (a file name or type cannot change the answer)', async () => {
    const png = await solid(4, 4, [0, 0, 0]).png().toBuffer();
    const view = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
    expect(sniffImageFormat(view)).toBe('png');
    expect(sniffImageFormat(pngBomb(100, 100))).toBe('png');
  });
});

describe('sniffRefusedImageFormat', () => {
  it('names formats we refuse so the client can be told what to do', async () => {
    const bmpHeader = Buffer.alloc(54);
    bmpHeader.write('BM', 0, 'latin1');
    bmpHeader.writeUInt32LE(40, 14);
    expect(sniffRefusedImageFormat(bmpHeader)).toBe('BMP');
    expect(sniffRefusedImageFormat(ftyp('heic', ['mif1', 'heic']))).toBe('HEIC/HEIF');
    expect(sniffRefusedImageFormat(Buffer.from('%PDF-1.7\n', 'latin1'))).toBe('PDF');
    expect(sniffRefusedImageFormat(Buffer.from('8BPS\0\x01', 'latin1'))).toBe('Photoshop (PSD)');
    expect(sniffRefusedImageFormat(Buffer.from([0xff, 0x0a, 0x00]))).toBe('JPEG XL');
    const svg = Buffer.from(
      '\uFEFF<?xml version="1.0"?>\n<!-- a drawing -->\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
    );
    expect(sniffRefusedImageFormat(svg)).toBe('SVG');
    // Sharp can decode SVG, which is exactly why it must be refused before sharp sees it.
    expect((await sharp(svg).metadata()).format).toBe('svg');
  });

  it('does not mistake text for an image', () => {
    expect(sniffRefusedImageFormat(Buffer.from('BMW is a car brand, not a bitmap.'))).toBeUndefined();
    expect(sniffRefusedImageFormat(Buffer.from('<html><body>svg</body></html>'))).toBeUndefined();
    expect(sniffRefusedImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});

describe('IMAGE_MIME_TYPES', () => {
  it('has a mime type for every accepted format', () => {
    for (const format of IMAGE_FORMATS) expect(IMAGE_MIME_TYPES[format]).toMatch(/^image\/[a-z]+$/);
    expect(IMAGE_MIME_TYPES.jpeg).toBe('image/jpeg');
  });
});
