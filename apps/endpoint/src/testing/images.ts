import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

/**
 * The reference WAS's request: the photo squashed to size×size with a bilinear kernel as Keras' image loading did (EXIF-oriented, no crop), RGB scaled to
 * [0,1], as a TensorFlow-Serving JSON body. Written independently of @petal/imaging on purpose, so the
 * test checks the endpoint against the documented contract rather than against its own code.
 */
export async function referenceTensorBody(path: string, size: number): Promise<Buffer> {
  const { data } = await sharp(await readFile(path))
    .rotate()
    .resize(size, size, { fit: 'fill', kernel: 'linear' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rows: number[][][] = [];
  for (let y = 0; y < size; y++) {
    const row: number[][] = [];
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      row.push([data[i]! / 255, data[i + 1]! / 255, data[i + 2]! / 255]);
    }
    rows.push(row);
  }
  return Buffer.from(JSON.stringify({ instances: [rows] }));
}

export const argmax = (values: number[]) => values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);
