/**
 * Imaging hot path: how long one upload takes to become the model's input tensor, and how batch
 * throughput depends on batch concurrency and on sharp's per-image thread count.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  DEFAULT_BATCH_CONCURRENCY,
  DEFAULT_PREPROCESS_SPEC,
  decodeImage,
  headerDimensions,
  preprocess,
  preprocessBatch,
  preprocessToRgb,
  sniffImageFormat,
  toUnitFloat,
} from '@petal/imaging';
import { DATA_DIR } from '@petal/stack';
import { quantile } from './stats.js';
import type { BenchSection } from './types.js';

const SPEC = DEFAULT_PREPROCESS_SPEC;
const BATCH = 64;

async function timeIt(fn: () => unknown, iterations: number, warmup = 50): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

/** Real flower photos when the data set is present (spread across classes), else generated ones. */
async function loadInputs(count: number): Promise<{ images: Buffer[]; source: string }> {
  if (existsSync(DATA_DIR)) {
    const classes = readdirSync(DATA_DIR).filter((c) => !c.startsWith('.')).sort();
    const perClass = Math.ceil(count / classes.length);
    const files = classes.flatMap((c) =>
      readdirSync(join(DATA_DIR, c))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, perClass)
        .map((f) => join(DATA_DIR, c, f)),
    );
    if (files.length >= count) {
      return { images: files.slice(0, count).map((f) => readFileSync(f)), source: `${count} flower photos from ${DATA_DIR}` };
    }
  }
  const images = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      sharp({
        create: {
          width: 256,
          height: 256,
          channels: 3,
          background: { r: 0, g: 0, b: 0 },
          noise: { type: 'gaussian', mean: 120 + i, sigma: 40 },
        },
      })
        .blur(1.2)
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  );
  return { images, source: `${count} generated 256×256 JPEGs (flower photos not found at ${DATA_DIR})` };
}

async function latency(image: Buffer): Promise<BenchSection> {
  const n = 500;
  const rgb = await preprocessToRgb(image, SPEC);
  const out = new Float32Array(rgb.length);
  const steps: Array<[string, () => unknown]> = [
    ['sniff magic bytes', () => sniffImageFormat(image)],
    ['header check (sharp metadata; PNG/JPEG no longer use it)', () => sharp(image).metadata()],
    ['header check (headerDimensions, what openImage reads for JPEG/PNG)', () => headerDimensions(image, 'jpeg')],
    ['decodeImage (full-size RGB)', () => decodeImage(image)],
    ['preprocessToRgb (decode + squash)', () => preprocessToRgb(image, SPEC)],
    ['toUnitFloat (224×224×3)', () => toUnitFloat(rgb, out)],
    ['preprocess (bytes → floats)', () => preprocess(image, SPEC)],
  ];
  const rows = [];
  for (const [step, fn] of steps) {
    const t = await timeIt(fn, n);
    rows.push({
      step,
      median_ms: quantile(t, 0.5),
      p99_ms: quantile(t, 0.99),
      mean_ms: t.reduce((a, b) => a + b, 0) / t.length,
    });
  }
  return {
    title: `imaging: one ${image.length}-byte 256×256 JPEG → ${SPEC.size}×${SPEC.size}×3 floats, sequential`,
    rows,
    notes: [`${n} iterations after 50 warm-up, one at a time; sharp.concurrency()=${sharp.concurrency()}`],
  };
}

async function throughput(images: Buffer[]): Promise<BenchSection> {
  const original = sharp.concurrency();
  const rows: Array<Record<string, string | number>> = [];
  let baseline = 0;
  try {
    for (const threads of [1, 2]) {
      sharp.concurrency(threads);
      for (const concurrency of [1, 2, 4, 8]) {
        await preprocessBatch(images, SPEC, { concurrency }); // warm-up
        const rates: number[] = [];
        for (let rep = 0; rep < 7; rep++) {
          const start = performance.now();
          await preprocessBatch(images, SPEC, { concurrency });
          rates.push(images.length / ((performance.now() - start) / 1000));
        }
        rates.sort((a, b) => a - b);
        const median = quantile(rates, 0.5);
        if (baseline === 0) baseline = median;
        rows.push({
          sharp_threads: threads,
          batch_concurrency: concurrency,
          images_per_s: median,
          worst_images_per_s: rates[0]!,
          vs_sequential: median / baseline,
        });
      }
    }
  } finally {
    sharp.concurrency(original);
  }
  return {
    title: `imaging: preprocessBatch throughput, ${images.length} images`,
    rows,
    notes: [
      `median and worst of 7 batches per setting; vs_sequential = images/s ÷ (1 sharp thread, concurrency 1)`,
      `${availableParallelism()} CPUs, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, ` +
        `default batch concurrency ${DEFAULT_BATCH_CONCURRENCY}, sharp default threads ${original}`,
    ],
  };
}

export async function run(): Promise<BenchSection[]> {
  const { images, source } = await loadInputs(BATCH);
  const single = await latency(images[0]!);
  single.notes = [...(single.notes ?? []), `input: ${source}`];
  return [single, await throughput(images)];
}
