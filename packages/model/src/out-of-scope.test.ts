import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_DIR as modelDir } from '@petal/stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelArtifactError } from './artifact/manifest.js';
import { readArtifact, saveArtifact } from './artifact/store.js';
import { loadModel, scopeOf } from './classifier.js';
import { writeUncalibratedCopy } from './testing/artifacts.js';
import type { LoadedModel } from './types.js';

const shippedIsCalibrated = () => Boolean(JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')).outOfScope);

describe('scopeOf', () => {
  const thresholds = { unsure: 2, unknown: 3 };
  it('puts a score at a threshold on the in-scope side, above it on the other, and NaN out of scope', () => {
    expect(scopeOf(2, thresholds).level).toBe('in-scope');
    expect(scopeOf(2.0001, thresholds).level).toBe('unsure');
    expect(scopeOf(3, thresholds).level).toBe('unsure');
    expect(scopeOf(3.0001, thresholds).level).toBe('unknown');
    expect(scopeOf(Number.NaN, thresholds).level).toBe('unknown');
  });
});

describe.skipIf(!existsSync(join(modelDir, 'manifest.json')))('models with and without an out-of-scope calibration', () => {
  let shipped: LoadedModel;
  let older: LoadedModel;
  let olderDir: string;
  beforeAll(async () => {
    olderDir = await mkdtemp(join(tmpdir(), 'petal-uncalibrated-'));
    await writeUncalibratedCopy(modelDir, olderDir);
    shipped = await loadModel(modelDir);
    older = await loadModel(olderDir);
  }, 120_000);
  afterAll(async () => {
    await shipped?.dispose();
    await older?.dispose();
  });

  it('loads a model trained before the score existed, says it has none, and answers probabilities alone', async () => {
    const manifest = JSON.parse(await readFile(join(olderDir, 'manifest.json'), 'utf8'));
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.outOfScope).toBeUndefined();
    expect(manifest.head.weights.tensors.map((t: { name: string }) => t.name)).not.toContain('out_of_scope/centers');
    expect(older.outOfScope).toBeUndefined();
    const noise = await sharp(Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 256)), { raw: { width: 96, height: 96, channels: 3 } })
      .png()
      .toBuffer();
    const a = await older.classify(noise);
    expect(a.outOfScope).toBeUndefined();
    // The same head: the same probabilities as the calibrated model it was derived from.
    const b = await shipped.classify(noise);
    a.probabilities.forEach((p, i) => expect(p).toBeCloseTo(b.probabilities[i]!, 6));
  });

  it.skipIf(!shippedIsCalibrated())(
    'the shipped model carries a calibration and scores every answer',
    async () => {
      expect(shipped.outOfScope?.calibration.subset).toBe('validation');
      const red = await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 255, g: 0, b: 0 } } }).png().toBuffer();
      const answer = await shipped.classify(red);
      expect(answer.outOfScope).toMatchObject({ level: 'unknown', method: shipped.outOfScope!.method });
      expect(answer.outOfScope!.score).toBeGreaterThan(shipped.outOfScope!.thresholds.unknown);
    },
  );

  it('refuses a calibration whose weights are missing from head.bin, and weights without a calibration', async () => {
    const manifest = JSON.parse(await readFile(join(olderDir, 'manifest.json'), 'utf8'));
    const broken = await mkdtemp(join(tmpdir(), 'petal-half-calibrated-'));
    await writeFile(join(broken, 'head.bin'), await readFile(join(olderDir, 'head.bin')));
    await writeFile(
      join(broken, 'manifest.json'),
      JSON.stringify({
        ...manifest,
        outOfScope: {
          method: 'class-mahalanobis-diagonal-sqrt',
          thresholds: { unsure: 2, unknown: 3 },
          calibration: { subset: 'validation', size: 10, truePositiveRate: { unsure: 0.9, unknown: 1 } },
        },
      }),
    );
    await expect(loadModel(broken)).rejects.toBeInstanceOf(ModelArtifactError);
    await expect(loadModel(broken)).rejects.toThrow(/out_of_scope\/centers is missing/);
    // Saving one half without the other is refused before anything is written.
    const { manifest: m, head } = await readArtifact(olderDir);
    const { formatVersion: _f, head: section, ...rest } = m;
    const weights = { centers: new Float32Array(3 * head.inputDim), weights: new Float32Array(head.inputDim).fill(1) };
    await expect(saveArtifact(join(broken, 'x'), { ...rest, head: { architecture: section.architecture } }, { ...head, outOfScope: weights })).rejects.toThrow(
      /needs its weights in the head, and weights need a calibration/,
    );
  });
});
