import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateOutOfScopeSet } from '@petal/evaluation';
import { preprocess, type PreprocessSpec } from '@petal/imaging';
import {
  DEFAULT_BACKBONE,
  createFeatureExtractor,
  loadModel,
  outOfScopeScores,
  readArtifact,
  saveArtifact,
  type FeatureExtractor,
  type ManifestDraft,
} from '@petal/model';
import { MODEL_DIR } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureSet } from './features.js';
import { calibrateOutOfScope, fitOutOfScope, fitOutlierTerm } from './out-of-scope-fit.js';

const SPEC: PreprocessSpec = { size: 224, resize: 'squash', scale: [0, 1] };

describe('the out-of-scope score', () => {
  let extractor: FeatureExtractor;
  let images: Array<{ id: string; pixels: Float32Array }>;
  let features: Float32Array;
  beforeAll(async () => {
    extractor = await createFeatureExtractor(DEFAULT_BACKBONE, { runtime: 'onnx' });
    // Generated images stand in for three "classes": what matters here is that both sides compute the
    // same numbers from the same pixels, not what the classes are.
    const set = (await generateOutOfScopeSet()).filter((i) => i.kind !== 'package-photo').slice(0, 18);
    images = await Promise.all(set.map(async (i) => ({ id: i.id, pixels: await preprocess(i.bytes, SPEC) })));
    const pixels = new Float32Array(images.length * 224 * 224 * 3);
    images.forEach((image, i) => pixels.set(image.pixels, i * 224 * 224 * 3));
    features = await extractor.extract(pixels, images.length);
  }, 120_000);
  afterAll(() => extractor?.dispose());

  const rowsOf = (rows: number[]): FeatureSet => {
    const dim = extractor.featureDim;
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => out.set(features.subarray(r * dim, (r + 1) * dim), i * dim));
    return { features: out, labels: Int32Array.from(rows, (r) => r % 3), dim, count: rows.length };
  };

  it('is computed identically by training (TypeScript, from extracted features) and serving (the fused ONNX graph)', async () => {
    const fitRows = Array.from({ length: 12 }, (_, i) => i);
    const distance = fitOutOfScope(rowsOf(fitRows), 3, extractor.featureWidths);
    // With the learned term too (the rest of the images as the "other things"), so both terms and their
    // Max are held to the same numbers on both sides.
    const outlier = await fitOutlierTerm(rowsOf(fitRows), rowsOf([12, 13, 14, 15, 16, 17]), rowsOf(fitRows), distance, { l2: 1e-3, maxIterations: 20 });
    const weights = { ...distance, outlier };
    const { calibration } = calibrateOutOfScope(weights, rowsOf(fitRows), 'validation', { unsure: 0.75, unknown: 0.9 });
    // The shipped head with this score and calibration, saved and loaded as the endpoint loads a model.
    const shipped = await readArtifact(MODEL_DIR);
    const { formatVersion: _f, head: headSection, outOfScope: _o, ...rest } = shipped.manifest;
    const draft: ManifestDraft = { ...rest, head: { architecture: headSection.architecture }, outOfScope: calibration };
    const dir = await mkdtemp(join(tmpdir(), 'petal-ood-parity-'));
    await saveArtifact(dir, draft, { ...shipped.head, outOfScope: weights }, { archive: false });
    const model = await loadModel(dir);
    try {
      expect(model.outOfScope).toEqual(calibration);
      const n = images.length;
      const pixels = new Float32Array(n * 224 * 224 * 3);
      images.forEach((image, i) => pixels.set(image.pixels, i * 224 * 224 * 3));
      const served = await model.classifyPixels(pixels, n);
      const trained = outOfScopeScores(features, n, extractor.featureDim, (await readArtifact(dir)).head.outOfScope!);
      // Both terms are in play: the learned one decides for some images, the distance for others.
      const distanceOnly = outOfScopeScores(features, n, extractor.featureDim, distance);
      expect(trained.some((t, i) => t > distanceOnly[i]!)).toBe(true);
      expect(trained.some((t, i) => t === distanceOnly[i]!)).toBe(true);
      served.forEach((answer, i) => {
        const score = answer.outOfScope!.score;
        // float32 sums in ONNX Runtime against float64 in TypeScript: equal to about six digits.
        expect(Math.abs(score - trained[i]!) / trained[i]!, images[i]!.id).toBeLessThan(1e-4);
        const expected = trained[i]! > calibration.thresholds.unknown ? 'unknown' : trained[i]! > calibration.thresholds.unsure ? 'unsure' : 'in-scope';
        // Away from the thresholds the level follows the score exactly.
        if (Math.abs(trained[i]! - calibration.thresholds.unsure) > 1e-3 && Math.abs(trained[i]! - calibration.thresholds.unknown) > 1e-3) {
          expect(answer.outOfScope!.level, images[i]!.id).toBe(expected);
        }
      });
      // The images the score was not fitted on are further from the fitted ones than those were.
      const fittedMax = Math.max(...trained.slice(0, 12));
      expect(trained.slice(0, 12).every((s) => s <= fittedMax)).toBe(true);
    } finally {
      await model.dispose();
    }
  }, 120_000);

  it('knows the width of each feature layer of the prepared backbone', () => {
    // The nine layers of DEFAULT_BACKBONE: block 10's expand, blocks 11–13's, 14–16's, block 16's depthwise, out_relu.
    expect(extractor.featureWidths).toEqual([384, 576, 576, 576, 960, 960, 960, 960, 1280]);
  });

  it('gives every feature layer the same share of a fitted photo\'s score, whatever its width', () => {
    const rows = Array.from({ length: 12 }, (_, i) => i);
    const set = rowsOf(rows);
    const widths = extractor.featureWidths!;
    const layerShares = (w: Float32Array) => {
      const shares = widths.map(() => 0);
      for (let r = 0; r < set.count; r++) {
        let start = 0;
        widths.forEach((width, l) => {
          for (let d = start; d < start + width; d++) {
            const x = Math.sqrt(Math.max(0, set.features[r * set.dim + d]!));
            const c = set.labels[r]!;
            // Deviation from the photo's own class centre, as the fit measured it.
            shares[l]! += w[d]! * (x - balanced.centers[c * set.dim + d]!) ** 2;
          }
          start += width;
        });
      }
      const total = shares.reduce((a, b) => a + b, 0);
      return shares.map((v) => v / total);
    };
    const balanced = fitOutOfScope(set, 3, widths);
    // Each layer's mean squared deviation is about its variance, so with per-layer weights each layer
    // contributes about 1/9 (the variance floor takes a little); with one group the widest layers dominate.
    for (const share of layerShares(balanced.weights)) expect(share).toBeGreaterThan(0.8 / widths.length);
    const oneGroup = fitOutOfScope(set, 3);
    expect(Math.max(...layerShares(oneGroup.weights))).toBeGreaterThan(Math.max(...layerShares(balanced.weights)));
    expect(fitOutOfScope(set, 3, [set.dim]).weights).toEqual(oneGroup.weights);
    expect(() => fitOutOfScope(set, 3, [1, 2, 3])).toThrow(/do not add up/);
  });

  it('calibrates each threshold so the stated share of held-out photos scores at or below it', () => {
    const rows = Array.from({ length: images.length }, (_, i) => i);
    const weights = fitOutOfScope(rowsOf(rows.slice(0, 9)), 3);
    const heldOut = rowsOf(rows);
    const { calibration, scores } = calibrateOutOfScope(weights, heldOut, 'validation', { unsure: 0.5, unknown: 0.8 });
    const share = (t: number) => scores.filter((s) => s <= t).length / scores.length;
    expect(share(calibration.thresholds.unsure)).toBeGreaterThanOrEqual(0.5);
    expect(share(calibration.thresholds.unknown)).toBeGreaterThanOrEqual(0.8);
    // The smallest such threshold: one step lower and the share would fall short.
    const below = Math.max(...scores.filter((s) => s < calibration.thresholds.unsure));
    expect(share(below)).toBeLessThan(0.5);
    expect(calibration.calibration).toEqual({
      subset: 'validation',
      size: images.length,
      truePositiveRate: { unsure: share(calibration.thresholds.unsure), unknown: share(calibration.thresholds.unknown) },
    });
    expect(calibration.thresholds.unsure).toBeLessThanOrEqual(calibration.thresholds.unknown);
  });
});
