import { join } from 'node:path';
import {
  TEST_SPLIT_FILE,
  fileDigest,
  fingerprintFiles,
  fingerprintSamples,
  readImageFolder,
  readOutOfScopeFolder,
  startProgress,
  type EpochMetrics,
  type TestSplit,
} from '@petal/evaluation';
import type { PreprocessSpec } from '@petal/imaging';
import { DEFAULT_BACKBONE, createFeatureExtractor, type BackboneSpec, type FeatureExtractor, type HeadWeights, type Manifest } from '@petal/model';
import { loadInitialHead } from './continue-from.js';
import { concatFeatureSets, extractFeatures, selectRows, type FeatureSet } from './features.js';
import { trainHead, type TrainedHead } from './head-trainer.js';
import { trainLinearHead } from './linear-head.js';
import { calibrateOutOfScope, fitOutOfScope, fitOutlierTerm } from './out-of-scope-fit.js';
import type { Hyperparameters } from './hyperparameters.js';
import { draftManifest } from './manifest-draft.js';
import { writeModel } from './model-output.js';
import { createRng } from '@petal/model/rng';
import { extractReadable, framedViews, holdOut, trainingViews } from './training-set.js';

export interface TrainOptions {
  dataDir: string;
  /** Where the data came from, for the manifest (an s3:// URI when it was downloaded). */
  source?: string;
  /** A separate test set (SageMaker `test` channel); otherwise a stratified share of dataDir. */
  testDir?: string;
  /** Where the separate test set came from, for its split file. */
  testSource?: string;
  /**
   * Images of other things (none of the classes), searched recursively: the out-of-scope score learns
   * to tell the training photos from them (see fitOutlierTerm). Without it the score is the distance alone.
   */
  negativesDir?: string;
  /** Where the examples came from, for the manifest (an s3:// URI when they were downloaded). */
  negativesSource?: string;
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
  timings: { readMs: number; featuresMs: number; trainMs: number; outOfScopeMs: number; totalMs: number; featureImagesPerSecond: number };
}

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
    const images = await extractReadable(data, testData, extractor, spec, options.quiet);
    const { skipped } = images;
    if (skipped.length) {
      log(`skipped_images=${skipped.length}`);
      process.stderr.write(`skipped ${skipped.length} unreadable image(s): ${skipped.slice(0, 10).join(', ')}${skipped.length > 10 ? ', …' : ''}\n`);
    }
    // One seeded sequence, split first and augmentations after, so a seed always gives the same model.
    const rng = createRng(hp.seed);
    const split = holdOut(images, data.classes.length, hp, rng);
    const trainSet = await trainingViews(images, split.train, hp.augment, rng, extractor, spec, options.quiet);
    const validationSet = selectRows(images.base, split.validation.map((r) => r.row));
    const featuresMs = performance.now() - featuresStarted;
    log(`train_images=${split.train.length} train_views=${trainSet.count} validation_images=${validationSet.count} test_images=${split.test.length}`);

    const initial = options.initialModel
      ? await loadInitialHead(options.initialModel, { classes: data.classes, backboneFingerprint: extractor.fingerprint })
      : undefined;
    const trainStarted = performance.now();
    const trained = await fitHead(trainSet, validationSet, data.classes.length, hp, initial?.head, { quiet: options.quiet, log });
    const trainMs = performance.now() - trainStarted;
    const oodStarted = performance.now();
    // Fitted on the training photos as serving sees them, calibrated on the validation photos: the
    // test photos stay unseen until evaluation scores them.
    const trainPhotos = selectRows(images.base, split.train.map((r) => r.row));
    let oodWeights = fitOutOfScope(trainPhotos, data.classes.length, extractor.featureWidths);
    const examples = options.negativesDir ? await outlierExamples(options.negativesDir, extractor, spec, options.quiet) : undefined;
    if (examples) {
      // Drawn after the head's augmentations, from the same sequence: the head does not change.
      const framed = await framedViews(split.train, rng, extractor, spec, options.quiet);
      const inScope = concatFeatureSets(trainPhotos, framed);
      const outlier = await fitOutlierTerm(inScope, examples.features, validationSet, oodWeights, { l2: hp.l2, maxIterations: hp['max-iterations'] });
      oodWeights = { ...oodWeights, outlier };
      log(`out_of_scope_examples=${examples.features.count} skipped_examples=${examples.skipped} framed_views=${framed.count}`);
    }
    const calibrated = calibrateOutOfScope(oodWeights, validationSet, 'validation', {
      unsure: hp['out-of-scope-tpr'],
      unknown: hp['out-of-scope-unknown-tpr'],
    }).calibration;
    const outOfScope = examples
      ? {
          ...calibrated,
          outlierExamples: { source: options.negativesSource ?? options.negativesDir!, count: examples.features.count, fingerprint: examples.fingerprint },
        }
      : calibrated;
    const head = { ...trained.head, outOfScope: oodWeights };
    const oodMs = performance.now() - oodStarted;
    log(
      `out_of_scope_method=${outOfScope.method} out_of_scope_unsure_threshold=${outOfScope.thresholds.unsure.toFixed(6)} ` +
        `out_of_scope_unknown_threshold=${outOfScope.thresholds.unknown.toFixed(6)} ` +
        `validation_in_scope_rate=${outOfScope.calibration.truePositiveRate.unsure.toFixed(6)}`,
    );
    const totalMs = performance.now() - started;

    const draft = draftManifest({
      createdAt,
      hyperparameters: hp,
      classes: data.classes,
      classCounts: Object.fromEntries(data.classes.map((c, i) => [c, data.samples.filter((s) => s.classIndex === i).length])),
      spec,
      extractor,
      head,
      outOfScope,
      bestEpoch: trained.bestEpoch,
      validationAccuracy: trained.history[trained.bestEpoch - 1]!.validationAccuracy,
      durationMs: totalMs,
      ...(options.command ? { command: options.command } : {}),
      ...(initial ? { continuedFrom: initial.from } : {}),
      dataset: {
        fingerprint: fingerprintSamples(images.rows.map((r) => r.sample)),
        source,
        skipped: skipped.length,
        split: { train: split.train.length, validation: validationSet.count, test: split.test.length },
      },
    });
    // Without a test share, the validation images are the only ones the head was not fitted on.
    const heldOut = split.test.length > 0 ? { subset: 'test' as const, rows: split.test } : { subset: 'validation' as const, rows: split.validation };
    const saved = await writeModel({
      outDir: options.outDir,
      draft,
      head,
      history: { bestEpoch: trained.bestEpoch, epochs: trained.history },
      heldOut: {
        subset: heldOut.subset,
        samples: heldOut.rows.map((r) => r.sample),
        source: testData ? (options.testSource ?? options.testDir!) : source,
      },
      archive: options.archive !== false,
    });

    log(
      `wall_time_seconds=${(totalMs / 1000).toFixed(1)} feature_seconds=${(featuresMs / 1000).toFixed(1)} ` +
        `head_seconds=${(trainMs / 1000).toFixed(1)} out_of_scope_seconds=${(oodMs / 1000).toFixed(1)}`,
    );
    log(`model=${saved.dir} test_split=${join(saved.dir, TEST_SPLIT_FILE)} held_out=${saved.testSplit.files.length}${saved.archive ? ` archive=${saved.archive}` : ''}`);
    const extraViews = trainSet.count - split.train.length;
    return {
      dir: saved.dir,
      manifest: saved.manifest,
      files: saved.files,
      ...(saved.archive ? { archive: saved.archive } : {}),
      testSplit: saved.testSplit,
      history: trained.history,
      bestEpoch: trained.bestEpoch,
      skipped,
      timings: {
        readMs,
        featuresMs,
        trainMs,
        outOfScopeMs: oodMs,
        totalMs,
        featureImagesPerSecond: Number(((images.base.count + extraViews) / (featuresMs / 1000)).toFixed(1)),
      },
    };
  } finally {
    await extractor.dispose();
  }
}

/** Fits the head with a progress bar and one `epoch=… validation_accuracy=…` line per epoch. */
async function fitHead(
  trainSet: FeatureSet,
  validationSet: FeatureSet,
  numClasses: number,
  hp: Hyperparameters,
  initial: HeadWeights | undefined,
  output: { quiet?: boolean; log: (line: string) => void },
): Promise<TrainedHead> {
  const lbfgs = hp.optimizer === 'lbfgs';
  const progress = startProgress(lbfgs ? 'L-BFGS' : 'epochs', lbfgs ? hp['max-iterations'] : hp.epochs, lbfgs ? 'iteration' : 'epoch', output.quiet);
  const onEpoch = (m: EpochMetrics) => {
    progress.update(m.epoch, { val_acc: m.validationAccuracy.toFixed(4) });
    output.log(
      `epoch=${m.epoch} train_loss=${m.trainLoss.toFixed(6)} train_accuracy=${m.trainAccuracy.toFixed(6)} ` +
        `validation_loss=${m.validationLoss.toFixed(6)} validation_accuracy=${m.validationAccuracy.toFixed(6)}`,
    );
  };
  try {
    if (lbfgs) {
      return await trainLinearHead(trainSet, validationSet, {
        numClasses,
        maxIterations: hp['max-iterations'],
        l2: hp.l2,
        seed: hp.seed,
        ...(initial ? { initial } : {}),
        onEpoch,
      });
    }
    return await trainHead(trainSet, validationSet, {
      numClasses,
      epochs: hp.epochs,
      batchSize: hp['batch-size'],
      learningRate: hp['learning-rate'],
      dropout: hp.dropout,
      l2: hp.l2,
      hiddenUnits: hp['hidden-units'],
      seed: hp.seed,
      ...(initial ? { initial } : {}),
      onEpoch,
    });
  } finally {
    progress.stop();
  }
}

/** Features of the example images of other things, as serving sees them (no augmentation). */
async function outlierExamples(
  dir: string,
  extractor: FeatureExtractor,
  spec: PreprocessSpec,
  quiet?: boolean,
): Promise<{ features: FeatureSet; fingerprint: string; skipped: number }> {
  const images = await readOutOfScopeFolder(dir);
  if (images.length === 0) throw new Error(`no images under ${dir} (the examples of other things for the out-of-scope score)`);
  const { failed, rowOfView: _rows, ...features } = await extractFeatures(
    images.map((image) => ({ bytes: image.bytes, classIndex: 0 })),
    extractor,
    spec,
    'other things',
    quiet,
  );
  if (features.count === 0) throw new Error(`none of the ${images.length} images under ${dir} could be decoded`);
  const fingerprint = fingerprintFiles(images.map((image) => ({ id: image.id, sha256: fileDigest(image.bytes) })));
  return { features, fingerprint, skipped: failed.length };
}
