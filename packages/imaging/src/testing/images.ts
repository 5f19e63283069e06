// Test helpers: every image the unit tests use is generated here, none is checked in.
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

export type Rgb = readonly [number, number, number];

export function solid(width: number, height: number, [r, g, b]: Rgb, alpha?: number): Sharp {
  return sharp({
    create: { width, height, channels: alpha === undefined ? 3 : 4, background: { r, g, b, alpha: alpha ?? 1 } },
  });
}

/** Raw RGB of a left/right split: columns < width/2 get `left`, the rest `right`. */
export function splitRaw(width: number, height: number, left: Rgb, right: Rgb): Sharp {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < width / 2 ? left : right, (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** A photo-like 256×256 picture (smooth gradients plus texture), deterministic. */
export function photoLike(width = 256, height = 256): Sharp {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = 128 + 100 * Math.sin(x / 17) * Math.cos(y / 23);
      data[i + 1] = (x * 255) / width;
      data[i + 2] = 128 + 60 * Math.sin((x + y) / 9);
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Animated image whose frames are solid colours, one per entry. */
export async function animatedFrames(size: number, colours: readonly Rgb[]): Promise<Sharp> {
  const frames = await Promise.all(colours.map((c) => solid(size, size, c).png().toBuffer()));
  return sharp(frames, { join: { animated: true } });
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid 1-bit grayscale PNG of width×height whose pixels are all black: a decompression bomb
 * (20000×20000 is 400 MP, about 1.2 GB as RGB, in a file of some tens of kilobytes).
 */
export function pngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8))); // filter byte 0 + zero bits
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Where the first IDAT chunk's data lies in a PNG. */
export function idatRange(png: Buffer): { start: number; end: number } {
  let at = 8;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') return { start: at + 8, end: at + 8 + length };
    at += 12 + length;
  }
  throw new Error('no IDAT chunk');
}

/** Deterministic pseudo-random bytes (xorshift), so a failing test can be replayed. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

export function pixelAt(data: Uint8Array, width: number, x: number, y: number): Rgb {
  const i = (y * width + x) * 3;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

/** Mean and largest absolute difference between two images of the same shape, in 8-bit steps. */
export function pixelDifference(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number; max: number } {
  if (a.length !== b.length) throw new RangeError(`images differ in size: ${a.length} against ${b.length} values`);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}
