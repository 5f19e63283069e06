import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFeatureExtractor, DEFAULT_BACKBONE } from '@petal/model';
import { rssAfterGc } from '@petal/model/testing';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPixels } from './testing/fixtures.js';

const PER_IMAGE = 224 * 224 * 3;
let cacheDir: string;
let images: Float32Array;

beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(tmpdir(), 'petal-memory-'));
  images = await generatedPixels(4, 99);
});
afterAll(() => rm(cacheDir, { recursive: true, force: true }));

describe('extract() stays memory-flat', () => {
  it('TF.js: the tensor count is the same after every call, failed calls included', async () => {
    const fx = await createFeatureExtractor(DEFAULT_BACKBONE, { runtime: 'tfjs', batchSize: 2 });
    try {
      await fx.extract(images.subarray(0, PER_IMAGE), 1);
      const baseline = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) {
        await fx.extract(images.subarray(0, (1 + (i % 3)) * PER_IMAGE), 1 + (i % 3)); // 1, 2 (one batch), 3 (two batches)
        expect(tf.memory().numTensors).toBe(baseline);
      }
      await expect(fx.extract(new Float32Array(10), 1)).rejects.toThrow(RangeError);
      expect(tf.memory().numTensors).toBe(baseline);
    } finally {
      await fx.dispose();
    }
  });

  it('ONNX Runtime: RSS stays flat over 1000 calls', async () => {
    const fx = await createFeatureExtractor(DEFAULT_BACKBONE, { cacheDir });
    try {
      const one = images.subarray(0, PER_IMAGE);
      for (let i = 0; i < 100; i++) await fx.extract(one, 1); // warm the arena and the JIT first
      const before = rssAfterGc();
      const started = performance.now();
      for (let i = 0; i < 1000; i++) await fx.extract(images.subarray((i % 4) * PER_IMAGE, ((i % 4) + 1) * PER_IMAGE), 1);
      const grownMb = (rssAfterGc() - before) / 2 ** 20;
      console.info(`ORT: 1000 single-image calls in ${((performance.now() - started) / 1000).toFixed(1)} s, RSS ${grownMb >= 0 ? '+' : ''}${grownMb.toFixed(1)} MB`);
      // A leaked input tensor (600 kB a call) would add ~600 MB here; 25 MB leaves room for allocator noise.
      expect(grownMb).toBeLessThan(25);
    } finally {
      await fx.dispose();
    }
  }, 60_000);

  it('checks its input and survives misuse', async () => {
    const fx = await createFeatureExtractor(DEFAULT_BACKBONE, { cacheDir });
    try {
      expect(await fx.extract(new Float32Array(0), 0)).toHaveLength(0);
      await expect(fx.extract(new Float32Array(PER_IMAGE), 2)).rejects.toThrow(/expected 2×224×224×3/);
      await expect(fx.extract(new Float32Array(PER_IMAGE), -1)).rejects.toThrow(RangeError);
      // Concurrent callers share one session safely and each get their own rows.
      const [a, b] = await Promise.all([fx.extract(images.subarray(0, PER_IMAGE), 1), fx.extract(images.subarray(PER_IMAGE, 2 * PER_IMAGE), 1)]);
      const both = await fx.extract(images.subarray(0, 2 * PER_IMAGE), 2);
      expect(Math.max(...a!.map((v, i) => Math.abs(v - both[i]!)))).toBeLessThan(1e-5);
      expect(Math.max(...b!.map((v, i) => Math.abs(v - both[fx.featureDim + i]!)))).toBeLessThan(1e-5);
    } finally {
      await fx.dispose();
    }
    await expect(fx.extract(images.subarray(0, PER_IMAGE), 1)).rejects.toThrow(/disposed/);
  });
});
