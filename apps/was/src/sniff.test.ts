import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from '@petal/imaging/format';

const base = () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#3a7' } });

describe('sniffImageFormat', () => {
  it('recognizes images by their bytes', async () => {
    expect(sniffImageFormat(await base().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageFormat(await base().png().toBuffer())).toBe('png');
    expect(sniffImageFormat(await base().webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(await base().gif().toBuffer())).toBe('gif');
    expect(sniffImageFormat(await base().tiff().toBuffer())).toBe('tiff');
    expect(sniffImageFormat(await base().avif().toBuffer())).toBe('avif');
  });

  it('rejects everything else, including truncated signatures', () => {
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
    expect(sniffImageFormat(new TextEncoder().encode('%PDF-1.7 not an image'))).toBeUndefined();
    expect(sniffImageFormat(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageFormat(new TextEncoder().encode('RIFF....WAVE'))).toBeUndefined();
  });
});
