import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR, repoPath } from '@petal/stack';
import { describe, expect, it } from 'vitest';
import { evaluateModel } from './evaluate.js';

const shipped = repoPath('models/flower-classifier');
const haveData = existsSync(DATA_DIR);
if (!haveData) {
  console.warn(
    `[evaluation] flower photos not found at ${DATA_DIR}: skipping the shipped model's evaluation. ` +
      'Put the data set at ../shared/datasets/flowers/<class>/*.jpg (or set PETAL_DATA_DIR) to run it.',
  );
}

describe.skipIf(!haveData)('the shipped model on the flower photos', () => {
  it('scores the 351 photos it held out exactly as the single-step training job did', async () => {
    const out = await mkdtemp(join(tmpdir(), 'petal-shipped-eval-'));
    const result = await evaluateModel({ model: shipped, dataDir: DATA_DIR, outDir: out, quiet: true, log: () => undefined });
    // The numbers the single-step job wrote into models/flower-classifier/metrics.json (commit 858b0d7):
    // 343 of 351 right, the same eight photos wrong.
    expect(result.evaluation.confusion).toEqual([
      [96, 3, 0],
      [5, 113, 0],
      [0, 0, 134],
    ]);
    expect(result.evaluation.accuracy).toBe(343 / 351);
    expect(result.evaluation.macroF1).toBeCloseTo(0.9752706552706553, 12);
    expect(result.evaluation.mistakes.map((m) => m.id)).toEqual([
      'astilbe/8314415403_63ef5fd3dd_c.jpg',
      'astilbe/3413081636_9777c8a6e4_c.jpg',
      'astilbe/35345405784_73f8257e99_c.jpg',
      'bellflower/15019472535_2489ba52ce_c.jpg',
      'bellflower/2633031914_078a691bc6_c.jpg',
      'bellflower/20168357522_74086388b9_c.jpg',
      'bellflower/4974868380_d3869979a0_c.jpg',
      'bellflower/48194448137_56f0926ecc_c.jpg',
    ]);
    expect(result.document.dataset).toMatchObject({ item_count: 351, selection: 'test-split', skipped: [] });
    // From 200 images up the file carries the subsample spread, as SageMaker's reports do.
    expect(result.document.multiclass_classification_metrics.accuracy.standard_deviation).toEqual(expect.any(Number));
    // What the shipped files say agrees with what evaluation finds now.
    const manifest = JSON.parse(await readFile(join(shipped, 'manifest.json'), 'utf8'));
    expect(manifest.metrics).toMatchObject({ testAccuracy: result.evaluation.accuracy, testSize: 351, macroF1: result.evaluation.macroF1 });
    const shippedEvaluation = JSON.parse(await readFile(join(shipped, 'evaluation.json'), 'utf8'));
    expect(shippedEvaluation.multiclass_classification_metrics.confusion_matrix).toEqual(result.document.multiclass_classification_metrics.confusion_matrix);
  }, 120_000);
});
