import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EVALUATION_FILE,
  TEST_SPLIT_FILE,
  TRAINING_HISTORY_FILE,
  createTestSplit,
  fingerprintSamples,
  readImageFolder,
  startProgress,
  testSplitJson,
  trainingHistoryJson,
  type EpochMetrics,
  type Sample,
  type TestSplit,
} from '@petal/evaluation';
import type { PreprocessSpec } from '@petal/imaging';
import {
  ARCHIVE_FILE,
  DEFAULT_BACKBONE,
  METRICS_FILE,
  REPORT_FILE,
  createFeatureExtractor,
  saveArtifact,
  type BackboneSpec,
  type HeadWeights,
  type Manifest,
} from '@petal/model';
import { drawAugmentParams } from './augment.js';
import { loadInitialHead } from './continue-from.js';
import { concatFeatureSets, extractFeatures, selectRows, type View } from './features.js';
import { trainHead } from './head-trainer.js';
import { UsageError, type Hyperparameters } from './hyperparameters.js';
import { draftManifest } from './manifest-draft.js';
import { createRng } from './rng.js';
import { stratifiedSplit } from './stratified-split.js';

export interface TrainOptions {
  dataDir: string;
  /** Where the data came from, for the manifest (an s3:// URI when it was downloaded). */
  source?: string;
  /** A separate test set (SageMaker `test` channel); otherwise a stratified share of dataDir. */
  testDir?: string;
  /** Where the separate test set came from, for its split file. */
  testSource?: string;
  /** A previous model (dir or model.tar.gz) whose head to continue from. */
  initialModel?: string;
  outDir: string;
  hyperparameters: Hyperparameters;
  /** Write model.tar.gz next to the files (SageMaker packs /opt/ml/model itself, so it says no). */
  archive?: boolean;
  backbone?: BackboneSpec;
  runtime?: 'onnx' | 'tfjs';
  quiet?: boolean;
  command?: string;
  /** Where `name=value` metric lines go (stdout by default; SageMaker metric definitions read them). */
  log?: (line: string) => void;
}

export interface TrainResult {
  /** The model directory: manifest (without metrics), head.bin, test-split.json, training-history.json. */
  dir: string;
  manifest: Manifest;
  /** The files the model directory holds (what model.tar.gz holds). */
  files: string[];
  archive?: string;
  /** The photos held out for evaluation. */
  testSplit: TestSplit;
  history: EpochMetrics[];
  bestEpoch: number;
  /** Images that could not be read or decoded and took no part (`<class>/<file>`). */
  skipped: string[];
  timings: { readMs: number; featuresMs: number; trainMs: number; totalMs: number; featureImagesPerSecond: number };
}

/** A readable image and its row in the base feature set. */
type Row = { sample: Sample; row: number; classIndex: number };

/**
 * The training job: reads the data, extracts frozen-backbone features, splits, augments, fits the head
 * and writes the model artifact with the split it held out. It does not score the model on that split:
 * the evaluation step (@petal/evaluation) does, on the artifact as it will be served.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const hp = options.hyperparameters;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const createdAt = new Date().toISOString();

  const data = await readImageFolder(options.dataDir);
  const testData = options.testDir ? await readImageFolder(options.testDir, data.classes) : undefined;
  const readMs = performance.now() - started;
  const source = options.source ?? options.dataDir;
  log(`dataset=${source} classes=${data.classes.join(',')} images=${data.samples.length}`);

  const backbone = { ...(options.backbone ?? DEFAULT_BACKBONE), featureLayers: hp['feature-layers'] };
  const extractor = await createFeatureExtractor(backbone, { runtime: options.runtime ?? 'onnx' });
  const spec: PreprocessSpec = { size: extractor.inputSize, resize: 'squash', scale: [0, 1] };
  try {
    const featuresStarted = performance.now();
    // Features of every image as serving will see it, the held-out ones included: which images decode
    // decides who takes part in the split, and extracting in the same batches keeps a seed's model the same.
    const all: Sample[] = [...data.samples, ...(testData?.samples ?? [])];
    const base = await extractFeatures(
      all.map((s) => ({ bytes: s.bytes, classIndex: s.classIndex })),
      extractor,
      spec,
      'features',
      options.quiet,
    );
    const skipped = [...data.unreadable, ...(testData?.unreadable ?? []), ...base.failed.map((i) => all[i]!.id)];
    if (skipped.length) {
      log(`skipped_images=${skipped.length}`);
      process.stderr.write(`skipped ${skipped.length} unreadable image(s): ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', …' : ''}\n`);
    }
    const rows: Row[] = all
      .map((sample, i) => ({ sample, row: base.rowOfView[i]!, classIndex: sample.classIndex }))
      .filter((r) => r.row >= 0);
    const fromTrainDir = new Set(data.samples);
    for (const [c, name] of data.classes.entries()) {
      if (!rows.some((r) => r.classIndex === c && fromTrainDir.has(r.sample))) {
        throw new UsageError(`class folder ${name} has no readable images`);
      }
    }

    const rng = createRng(hp.seed);
    const trainPool = rows.filter((r) => fromTrainDir.has(r.sample));
    const split = stratifiedSplit(trainPool, data.classes.length, {
      validation: hp['validation-split'],
      test: testData ? 0 : hp['test-split'],
    }, rng);
    if (testData) split.test = rows.filter((r) => !fromTrainDir.has(r.sample));

    let trainSet = selectRows(base, split.train.map((r) => r.row));
    if (hp.augment > 0) {
      const views: View[] = [];
      for (const r of split.train) {
        for (let a = 0; a < hp.augment; a++) views.push({ bytes: r.sample.bytes, classIndex: r.classIndex, augment: drawAugmentParams(rng) });
      }
      const augmented = await extractFeatures(views, extractor, spec, 'augmented views', options.quiet);
      trainSet = concatFeatureSets(trainSet, augmented);
    }
    const validationSet = selectRows(base, split.validation.map((r) => r.row));
    const featuresMs = performance.now() - featuresStarted;
    log(`train_images=${split.train.length} train_views=${trainSet.count} validation_images=${validationSet.count} test_images=${split.test.length}`);

    let initial: { head: HeadWeights; from: { name: string; version: string } } | undefined;
    if (options.initialModel) {
      initial = await loadInitialHead(options.initialModel, { classes: data.classes, backboneFingerprint: extractor.fingerprint });
    }

    const trainStarted = performance.now();
    const progress = startProgress('epochs', hp.epochs, 'epoch', options.quiet);
    const trained = await trainHead(trainSet, validationSet, {
      numClasses: data.classes.length,
      epochs: hp.epochs,
      batchSize: hp['batch-size'],
      learningRate: hp['learning-rate'],
      dropout: hp.dropout,
      l2: hp.l2,
      hiddenUnits: hp['hidden-units'],
      seed: hp.seed,
      ...(initial ? { initial: initial.head } : {}),
      onEpoch: (m) => {
        progress.update(m.epoch, { val_acc: m.validationAccuracy.toFixed(4) });
        log(
          `epoch=${m.epoch} train_loss=${m.trainLoss.toFixed(6)} train_accuracy=${m.trainAccuracy.toFixed(6)} ` +
            `validation_loss=${m.validationLoss.toFixed(6)} validation_accuracy=${m.validationAccuracy.toFixed(6)}`,
        );
      },
    });
    progress.stop();
    const trainMs = performance.now() - trainStarted;
    const best = trained.history[trained.bestEpoch - 1]!;
    const totalMs = performance.now() - started;

    const datasetFingerprint = fingerprintSamples(rows.map((r) => r.sample));
    // Without a test share, the validation images are the only ones the head was not fitted on.
    const heldOut = split.test.length > 0 ? { subset: 'test' as const, rows: split.test } : { subset: 'validation' as const, rows: split.validation };
    const testSplit = createTestSplit(heldOut.rows.map((r) => r.sample), {
      classes: data.classes,
      subset: heldOut.subset,
      source: testData ? (options.testSource ?? options.testDir!) : source,
      datasetFingerprint,
    });
    const draft = draftManifest({
      createdAt,
      hyperparameters: hp,
      classes: data.classes,
      classCounts: Object.fromEntries(data.classes.map((c, i) => [c, data.samples.filter((s) => s.classIndex === i).length])),
      spec,
      extractor,
      head: trained.head,
      bestEpoch: trained.bestEpoch,
      validationAccuracy: best.validationAccuracy,
      durationMs: totalMs,
      ...(options.command ? { command: options.command } : {}),
      ...(initial ? { continuedFrom: initial.from } : {}),
      dataset: { fingerprint: datasetFingerprint, source, skipped: skipped.length, split: { train: split.train.length, validation: validationSet.count, test: split.test.length } },
    });
    await removeStaleOutputs(options.outDir, options.archive !== false);
    const saved = await saveArtifact(options.outDir, draft, trained.head, {
      files: {
        [TEST_SPLIT_FILE]: testSplitJson(testSplit),
        [TRAINING_HISTORY_FILE]: trainingHistoryJson({ bestEpoch: trained.bestEpoch, epochs: trained.history }),
      },
      archive: options.archive !== false,
    });

    log(`wall_time_seconds=${(totalMs / 1000).toFixed(1)} feature_seconds=${(featuresMs / 1000).toFixed(1)} head_seconds=${(trainMs / 1000).toFixed(1)}`);
    log(`model=${saved.dir} test_split=${join(saved.dir, TEST_SPLIT_FILE)} held_out=${testSplit.files.length}${saved.archive ? ` archive=${saved.archive}` : ''}`);
    return {
      dir: saved.dir,
      manifest: saved.manifest,
      files: saved.files,
      ...(saved.archive ? { archive: saved.archive } : {}),
      testSplit,
      history: trained.history,
      bestEpoch: trained.bestEpoch,
      skipped,
      timings: {
        readMs,
        featuresMs,
        trainMs,
        totalMs,
        featureImagesPerSecond: Number(((base.count + (trainSet.count - split.train.length)) / (featuresMs / 1000)).toFixed(1)),
      },
    };
  } finally {
    await extractor.dispose();
  }
}

/**
 * Evaluation results of an earlier model in the same folder would describe a model that no longer
 * exists; so would an old model.tar.gz when this run writes none.
 */
async function removeStaleOutputs(dir: string, archive: boolean): Promise<void> {
  const stale = [METRICS_FILE, REPORT_FILE, EVALUATION_FILE, ...(archive ? [] : [ARCHIVE_FILE])];
  await Promise.all(stale.map((name) => rm(join(dir, name), { force: true })));
}
