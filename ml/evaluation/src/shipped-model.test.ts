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
    // The numbers the single-step training job wrote into models/flower-classifier/metrics.json when it
    // shipped this model: the same matrix, the same accuracy, the very same photos wrong.
    const metrics = JSON.parse(await readFile(join(shipped, 'metrics.json'), 'utf8')) as {
      accuracy: number;
      macroF1: number;
      confusionMatrix: { matrix: number[][] };
      mistakes: { id: string }[];
    };
    expect(result.evaluation.confusion).toEqual(metrics.confusionMatrix.matrix);
    expect(result.evaluation.accuracy).toBe(metrics.accuracy);
    expect(result.evaluation.macroF1).toBeCloseTo(metrics.macroF1, 12);
    expect(result.evaluation.mistakes.map((m) => m.id)).toEqual(metrics.mistakes.map((m) => m.id));
    expect(result.evaluation.mistakes.length).toBeGreaterThan(0); // a vacuous match would prove nothing
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
