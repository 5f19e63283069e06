import { describe, expect, it } from 'vitest';
import { DOWNSCALE, prepareUpload, shouldDownscale, targetSize } from './downscale.js';

describe('downscale sizing', () => {
  it('fits a 12 MP phone photo into a 1024 px long side, keeping the aspect ratio', () => {
    expect(targetSize(4032, 3024)).toEqual({ width: 1024, height: 768 });
    expect(targetSize(3024, 4032)).toEqual({ width: 768, height: 1024 });
    expect(targetSize(8000, 1000)).toEqual({ width: 1024, height: 128 });
  });

  it('never enlarges and keeps sizes already within bounds', () => {
    expect(targetSize(256, 256)).toEqual({ width: 256, height: 256 });
    expect(targetSize(1024, 700)).toEqual({ width: 1024, height: 700 });
  });

  it('keeps at least one pixel on extreme panoramas and refuses nonsense', () => {
    expect(targetSize(100_000, 10)).toEqual({ width: 1024, height: 1 });
    expect(() => targetSize(0, 10)).toThrow(RangeError);
    expect(() => targetSize(Number.NaN, 10)).toThrow(RangeError);
  });

  it('keeps the long side well above the model input (224) after shrinking', () => {
    for (const [w, h] of [[4032, 3024], [6000, 4000], [2000, 1500], [1300, 1300]] as const) {
      const t = targetSize(w, h);
      expect(Math.max(t.width, t.height)).toBeGreaterThanOrEqual(DOWNSCALE.minLongSide);
    }
  });

  it('skips small images and re-encodes large, heavy or exotic ones', () => {
    expect(shouldDownscale({ width: 256, height: 256, bytes: 12_000, type: 'image/jpeg' })).toBe(false);
    expect(shouldDownscale({ width: 1024, height: 768, bytes: 400_000, type: 'image/png' })).toBe(false);
    expect(shouldDownscale({ width: 4032, height: 3024, bytes: 3_500_000, type: 'image/jpeg' })).toBe(true);
    expect(shouldDownscale({ width: 900, height: 900, bytes: 3_000_000, type: 'image/png' })).toBe(true);
    expect(shouldDownscale({ width: 300, height: 300, bytes: 3_000_000, type: 'image/png' })).toBe(false);
    expect(shouldDownscale({ width: 800, height: 600, bytes: 200_000, type: 'image/heic' })).toBe(true);
  });

  it('hands over the file untouched when the runtime cannot decode images (no createImageBitmap)', async () => {
    const blob = new Blob(['not really a photo'], { type: 'text/plain' });
    const prepared = await prepareUpload(blob, 'notes.txt');
    expect(prepared.blob).toBe(blob);
    expect(prepared.fileName).toBe('notes.txt');
    expect(prepared.downscaled).toBe(false);
  });
});
