import type { Dataset, Sample } from '@petal/evaluation';
import type { PreprocessSpec } from '@petal/imaging';
import type { FeatureExtractor } from '@petal/model';
import { drawAugmentParams, drawFrameParams } from './augment.js';
import { concatFeatureSets, extractFeatures, selectRows, type FeatureSet, type View } from './features.js';
import { UsageError, type Hyperparameters } from './hyperparameters.js';
import type { Rng } from '@petal/model/rng';
import { stratifiedSplit, type Split } from './stratified-split.js';

/** A readable image and its row in the base feature set. */
export interface Row {
  sample: Sample;
  row: number;
  classIndex: number;
}

export interface ReadableImages {
  /** Features of every image that decoded, in reading order. */
  base: FeatureSet;
  rows: Row[];
  /** Rows from the training folder (the rest come from a separate test folder). */
  trainPool: Row[];
  /** Test-folder rows, when there is a separate test folder. */
  testRows?: Row[];
  /** `<class>/<file>` of images that could not be read or decoded. */
  skipped: string[];
}

/**
 * Features of every image as serving will see it, the held-out ones included: which images decode
 * decides who takes part in the split, and extracting in the same batches keeps a seed's model the same.
 */
export async function extractReadable(
  data: Dataset,
  testData: Dataset | undefined,
  extractor: FeatureExtractor,
  spec: PreprocessSpec,
  quiet?: boolean,
): Promise<ReadableImages> {
  const all: Sample[] = [...data.samples, ...(testData?.samples ?? [])];
  const base = await extractFeatures(
    all.map((s) => ({ bytes: s.bytes, classIndex: s.classIndex })),
    extractor,
    spec,
    'features',
    quiet,
  );
  const skipped = [...data.unreadable, ...(testData?.unreadable ?? []), ...base.failed.map((i) => all[i]!.id)];
  const rows = all.map((sample, i) => ({ sample, row: base.rowOfView[i]!, classIndex: sample.classIndex })).filter((r) => r.row >= 0);
  const fromTrainDir = new Set(data.samples);
  const trainPool = rows.filter((r) => fromTrainDir.has(r.sample));
  for (const [c, name] of data.classes.entries()) {
    if (!trainPool.some((r) => r.classIndex === c)) throw new UsageError(`class folder ${name} has no readable images`);
  }
  return { base, rows, trainPool, ...(testData ? { testRows: rows.filter((r) => !fromTrainDir.has(r.sample)) } : {}), skipped };
}

/** Train/validation/test rows: a stratified split of the training folder, or its test folder as the test set. */
export function holdOut(images: ReadableImages, numClasses: number, hp: Hyperparameters, rng: Rng): Split<Row> {
  const split = stratifiedSplit(images.trainPool, numClasses, {
    validation: hp['validation-split'],
    test: images.testRows ? 0 : hp['test-split'],
  }, rng);
  if (images.testRows) split.test = images.testRows;
  return split;
}

/** The training rows' features plus `augment` random views of each (drawn from rng in row order). */
export async function trainingViews(
  images: ReadableImages,
  trainRows: readonly Row[],
  augment: number,
  rng: Rng,
  extractor: FeatureExtractor,
  spec: PreprocessSpec,
  quiet?: boolean,
): Promise<FeatureSet> {
  const plain = selectRows(images.base, trainRows.map((r) => r.row));
  if (augment === 0) return plain;
  const views: View[] = [];
  for (const r of trainRows) {
    for (let a = 0; a < augment; a++) views.push({ bytes: r.sample.bytes, classIndex: r.classIndex, augment: drawAugmentParams(rng) });
  }
  return concatFeatureSets(plain, await extractFeatures(views, extractor, spec, 'augmented views', quiet));
}

/**
 * Every other training photo once more, shrunk onto a plain canvas (drawFrameParams): in-scope examples
 * for the out-of-scope score's learned term, which must not learn "plain background = something else"
 * from its cut-out examples of other things. Half the photos keep the cost to a few seconds.
 */
export async function framedViews(
  trainRows: readonly Row[],
  rng: Rng,
  extractor: FeatureExtractor,
  spec: PreprocessSpec,
  quiet?: boolean,
): Promise<FeatureSet> {
  const views: View[] = trainRows
    .filter((_, i) => i % 2 === 0)
    .map((r) => ({ bytes: r.sample.bytes, classIndex: r.classIndex, augment: drawFrameParams(rng) }));
  const { failed: _failed, rowOfView: _rows, ...set } = await extractFeatures(views, extractor, spec, 'framed views', quiet);
  return set;
}
