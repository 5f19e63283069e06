import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyHead, createFeatureExtractor, createServingSession, createTfjsServingSession, DEFAULT_BACKBONE, type FeatureExtractor } from '@petal/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmaxRows, flowerPixels, generatedPixels, maxAbsDiff, NO_FLOWERS_MESSAGE, seededHead } from './testing/fixtures.js';

const PER_IMAGE = 224 * 224 * 3;
/** The default backbone's nine pooled layers. */
const FEATURE_DIM = 7232;
const TOTAL = 112;
const MAX_FLOWERS = 72;

/** Per-feature mean and standard deviation over n rows (1 where a feature never varies). */
function standardization(features: Float32Array, n: number, dim: number): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(dim);
  const std = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    let sum = 0;
    let squares = 0;
    for (let r = 0; r < n; r++) {
      const v = features[r * dim + j]!;
      sum += v;
      squares += v * v;
    }
    const m = sum / n;
    const sd = Math.sqrt(Math.max(0, squares / n - m * m));
    mean[j] = m;
    std[j] = sd > 1e-6 ? sd : 1;
  }
  return { mean, std };
}

describe('ONNX Runtime vs TF.js on the default backbone', () => {
  let cacheDir: string;
  let pixels: Float32Array;
  let n: number;
  let flowers = 0;
  let onnxFx: FeatureExtractor;
  let tfjsFx: FeatureExtractor;
  let onnxFeatures: Float32Array;
  let tfjsFeatures: Float32Array;

  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'petal-parity-'));
    const real = await flowerPixels(MAX_FLOWERS);
    if (!real) console.warn(`parity on generated images only — ${NO_FLOWERS_MESSAGE}`);
    flowers = real?.n ?? 0;
    const generated = await generatedPixels(TOTAL - flowers, 2024);
    n = TOTAL;
    pixels = new Float32Array(n * PER_IMAGE);
    if (real) pixels.set(real.pixels);
    pixels.set(generated, flowers * PER_IMAGE);
    [onnxFx, tfjsFx] = await Promise.all([
      createFeatureExtractor(DEFAULT_BACKBONE, { cacheDir }),
      createFeatureExtractor(DEFAULT_BACKBONE, { runtime: 'tfjs' }),
    ]);
    onnxFeatures = await onnxFx.extract(pixels, n);
    tfjsFeatures = await tfjsFx.extract(pixels, n);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([onnxFx?.dispose(), tfjsFx?.dispose()]);
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('describes the same backbone on both runtimes', () => {
    for (const fx of [onnxFx, tfjsFx]) {
      expect(fx).toMatchObject({ backboneId: 'nsfwjs/mobilenet_v2', inputSize: 224, featureDim: FEATURE_DIM });
      expect(fx.featureLayers).toEqual(DEFAULT_BACKBONE.featureLayers);
    }
    expect(onnxFx.runtime).toBe('onnx');
    expect(tfjsFx.runtime).toBe('tfjs');
    expect(onnxFx.fingerprint).toBe(tfjsFx.fingerprint);
  });

  it(`gives features within 1e-4 on ${TOTAL} images (flower photos first, then generated)`, () => {
    expect(onnxFeatures).toHaveLength(n * FEATURE_DIM);
    const diff = maxAbsDiff(onnxFeatures, tfjsFeatures);
    console.info(`max |onnx − tfjs| over ${n} images (${flowers} photos) × ${FEATURE_DIM} features: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    // Not a degenerate comparison: features vary between images and are mostly non-zero.
    expect(maxAbsDiff(onnxFeatures.subarray(0, FEATURE_DIM), onnxFeatures.subarray(FEATURE_DIM, 2 * FEATURE_DIM))).toBeGreaterThan(0.01);
  });

  for (const { name, seeded } of [
    { name: 'linear softmax, 3 classes', seeded: () => seededHead(FEATURE_DIM, 3, 42) },
    { name: 'hidden relu layer, 16 classes', seeded: () => seededHead(FEATURE_DIM, 16, 7, 64) },
  ]) {
    it(`the fused ONNX serving graph and TF.js + head in TypeScript agree on every top-1 (${name})`, async () => {
      // Standardized on these very features, as training does: with random statistics the constant
      // offset of 7232 sparse ReLU features swamps what differs between images, and every top-1 is the same.
      const head = { ...seeded(), normalization: standardization(tfjsFeatures, n, FEATURE_DIM) };
      const serving = await createServingSession(DEFAULT_BACKBONE, head, { cacheDir });
      try {
        expect(serving).toMatchObject({ inputSize: 224, numClasses: head.layers.at(-1)!.units, runtime: 'onnx' });
        const { probabilities } = await serving.run(pixels, n);
        const reference = applyHead(tfjsFeatures, n, head);
        expect(argmaxRows(probabilities, n)).toEqual(argmaxRows(reference, n));
        expect(maxAbsDiff(probabilities, reference)).toBeLessThan(1e-4);
        // The seeded head must actually discriminate, or equal top-1s would prove nothing.
        expect(new Set(argmaxRows(reference, n)).size).toBeGreaterThan(1);
      } finally {
        await serving.dispose();
      }
    });
  }

  it('the TF.js serving session is features + head in TypeScript', async () => {
    const head = seededHead(FEATURE_DIM, 5, 3);
    const serving = await createTfjsServingSession(DEFAULT_BACKBONE, head);
    try {
      const { probabilities } = await serving.run(pixels.subarray(0, 2 * PER_IMAGE), 2);
      expect(maxAbsDiff(probabilities, applyHead(tfjsFeatures.subarray(0, 2 * FEATURE_DIM), 2, head))).toBeLessThan(1e-6);
    } finally {
      await serving.dispose();
    }
  });

  it('refuses a head that does not fit the backbone', async () => {
    await expect(createServingSession(DEFAULT_BACKBONE, seededHead(1280, 3, 1), { cacheDir })).rejects.toThrow(/1280 features.*7232/);
  });
});
