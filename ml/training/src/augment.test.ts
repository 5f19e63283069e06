import { createRng } from '@petal/model/rng';
import { describe, expect, it } from 'vitest';
import { augmentRgb, drawFrameParams } from './augment.js';

describe('framed views', () => {
  it('shrink the whole photo onto a plain canvas: borders in the canvas colour, the photo in the middle', async () => {
    const width = 40;
    const height = 30;
    const data = new Uint8Array(width * height * 3).fill(200);
    for (let i = 1; i < data.length; i += 3) data[i] = 20; // a magenta-ish photo
    const rng = createRng(1);
    const colours = new Set<string>();
    for (let n = 0; n < 12; n++) {
      const params = drawFrameParams(rng);
      expect(params.frame!.scale).toBeGreaterThanOrEqual(0.5);
      expect(params.frame!.scale).toBeLessThanOrEqual(0.8);
      colours.add(params.frame!.colour.join());
      const out = await augmentRgb({ data, width, height }, params, 32);
      expect(out).toHaveLength(32 * 32 * 3);
      const px = (x: number, y: number) => Array.from(out.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
      expect(px(0, 0)).toEqual(params.frame!.colour);
      expect(px(31, 31)).toEqual(params.frame!.colour);
      expect(px(16, 16)).toEqual([200, 20, 200]);
    }
    expect(colours.size).toBeGreaterThan(1);
  });
});
