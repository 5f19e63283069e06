import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * A small generated image-folder data set: each class is a colour family with random blobs, different
 * enough for a head on frozen features to separate. Deterministic for a given seed.
 */
export async function makeImageFolder(
  classes: Record<string, [number, number, number]>,
  perClass: number,
  options: { root?: string; size?: number } = {},
): Promise<string> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'petal-train-data-')));
  const size = options.size ?? 64;
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (const [name, [r, g, b]] of Object.entries(classes)) {
    await mkdir(join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        const noise = (rand() - 0.5) * 80;
        pixels[p * 3] = clamp(r + noise);
        pixels[p * 3 + 1] = clamp(g + noise);
        pixels[p * 3 + 2] = clamp(b + noise);
      }
      const jpeg = await sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
      await writeFile(join(root, name, `${name}-${i}.jpg`), jpeg);
    }
  }
  return root;
}

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

export const THREE_COLOURS = { blue: [40, 70, 200], green: [40, 180, 60], red: [210, 40, 50] } as Record<string, [number, number, number]>;
