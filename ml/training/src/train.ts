import { flowerByKey } from '@petal/catalog';
import type { PreprocessSpec } from '@petal/imaging';
import {
  DEFAULT_BACKBONE,
  METRICS_FILE,
  applyHead,
  REPORT_FILE,
  createFeatureExtractor,
  readArtifact,
  saveArtifact,
  type BackboneSpec,
  type HeadWeights,
  type Manifest,
} from '@petal/model';
import { drawAugmentParams } from './augment.js';
import { fingerprintSamples, readImageFolder, stratifiedSplit, type Sample } from './dataset.js';
import { evaluatePredictions, type Evaluation } from './evaluate.js';
import { concatFeatureSets, extractFeatures, selectRows, type View } from './features.js';
import { trainHead, type EpochMetrics } from './head-trainer.js';
import { UsageError, type Hyperparameters } from './hyperparameters.js';
import { startProgress } from './progress.js';
import { renderReport } from './report.js';
import { createRng } from './rng.js';

export interface TrainOptions {
  dataDir: string;
  /** Where the data came from, for the manifest (an s3:// URI when it was downloaded). */
  source?: string;
  /** A separate test set (SageMaker `test` channel); otherwise a stratified share of dataDir. */
  testDir?: string;
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
  manifest: Manifest;
  test: Evaluation;
  history: EpochMetrics[];
  skipped: number;
  timings: { readMs: number; featuresMs: number; trainMs: number; totalMs: number };
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const hp = options.hyperparameters;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const createdAt = new Date().toISOString();

  const data = await readImageFolder(options.dataDir);
  const testData = options.testDir ? await readImageFolder(options.testDir, data.classes) : undefined;
  const readMs = performance.now() - started;
  log(`dataset=${options.source ?? options.dataDir} classes=${data.classes.join(',')} images=${data.samples.length}`);

  const backbone = { ...(options.backbone ?? DEFAULT_BACKBONE), featureLayers: hp['feature-layers'] };
  const extractor = await createFeatureExtractor(backbone, { runtime: options.runtime ?? 'onnx' });
  const spec: PreprocessSpec = { size: extractor.inputSize, resize: 'squash', scale: [0, 1] };
  try {
    const featuresStarted = performance.now();
    // Features of every image as serving will see it; undecodable images drop out here and are counted.
    const all: Sample[] = [...data.samples, ...(testData?.samples ?? [])];
    const base = await extractFeatures(
      all.map((s) => ({ bytes: s.bytes, classIndex: s.classIndex })),
      extractor,
      spec,
      'features',
      options.quiet,
    );
    const unreadable = [...data.unreadable, ...(testData?.unreadable ?? []), ...base.failed.map((i) => all[i]!.id)];
    if (unreadable.length) {
      log(`skipped_images=${unreadable.length}`);
      process.stderr.write(`skipped ${unreadable.length} unreadable image(s): ${unreadable.slice(0, 10).join(', ')}${unreadable.length > 10 ? ', …' : ''}\n`);
    }
    type Row = { sample: Sample; row: number; classIndex: number };
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
    const testSet = selectRows(base, split.test.map((r) => r.row));
    const featuresMs = performance.now() - featuresStarted;
    log(`train_images=${split.train.length} train_views=${trainSet.count} validation_images=${validationSet.count} test_images=${testSet.count}`);

    let initial: HeadWeights | undefined;
    let continuedFrom: { name: string; version: string } | undefined;
    if (options.initialModel) {
      const previous = await readArtifact(options.initialModel);
      const keys = previous.manifest.labels.map((l) => l.key);
      if (keys.join() !== data.classes.join() || previous.manifest.backbone.fingerprint !== extractor.fingerprint) {
        throw new UsageError(
          `cannot continue from ${options.initialModel}: it was trained on classes [${keys}] with backbone ${previous.manifest.backbone.fingerprint}, ` +
            `this run has [${data.classes}] with ${extractor.fingerprint}`,
        );
      }
      initial = previous.head;
      continuedFrom = { name: previous.manifest.name, version: previous.manifest.version };
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
      ...(initial ? { initial } : {}),
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

    const evalSet = testSet.count > 0 ? testSet : validationSet;
    const evalIds = (testSet.count > 0 ? split.test : split.validation).map((r) => r.sample.id);
    const test = evaluatePredictions(data.classes, evalSet.labels, applyHead(evalSet.features, evalSet.count, trained.head), evalIds);
    const best = trained.history[trained.bestEpoch - 1]!;
    const totalMs = performance.now() - started;

    const version = hp['model-version'] ?? createdAt.replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
    const counts = Object.fromEntries(data.classes.map((c, i) => [c, data.samples.filter((s) => s.classIndex === i).length]));
    const { 'model-name': name, 'model-version': _v, 'feature-layers': layers, ...rest } = hp;
    const training = { ...rest, 'feature-layers': layers.join(',') };
    const draft = {
      name,
      version,
      createdAt,
      labels: data.classes.map((key, index) => {
        const no = flowerByKey(key)?.no;
        return no === undefined ? { index, key } : { index, key, no };
      }),
      input: { size: spec.size, resize: 'squash' as const, scale: [0, 1] as [0, 1], channels: 'RGB' as const, layout: 'HWC' as const },
      backbone: { id: extractor.backboneId, fingerprint: extractor.fingerprint, featureLayers: [...extractor.featureLayers], featureDim: extractor.featureDim },
      head: {
        architecture: {
          normalization: true,
          dropout: hp.dropout,
          layers: trained.head.layers.map((l) => ({ units: l.units, activation: l.activation })),
        },
      },
      training: {
        hyperparameters: training,
        seed: hp.seed,
        durationMs: Math.round(totalMs),
        ...(options.command ? { command: options.command } : {}),
        ...(continuedFrom ? { continuedFrom } : {}),
      },
      dataset: {
        fingerprint: fingerprintSamples(rows.map((r) => r.sample)),
        source: options.source ?? options.dataDir,
        classes: counts,
        skipped: unreadable.length,
        split: { train: split.train.length, validation: validationSet.count, test: testSet.count },
      },
      metrics: { testAccuracy: test.accuracy, testSize: test.size, validationAccuracy: best.validationAccuracy, macroF1: test.macroF1 },
    };
    const metrics = {
      model: { name, version },
      evaluatedOn: testSet.count > 0 ? 'test' : 'validation',
      accuracy: test.accuracy,
      macroF1: test.macroF1,
      testSize: test.size,
      perClass: test.perClass,
      confusionMatrix: { labels: data.classes, rows: 'actual', columns: 'predicted', matrix: test.confusion },
      mistakes: test.mistakes,
      validationAccuracy: best.validationAccuracy,
      bestEpoch: trained.bestEpoch,
      history: trained.history,
      skippedImages: unreadable,
      timings: {
        readMs: Math.round(readMs),
        featuresMs: Math.round(featuresMs),
        trainMs: Math.round(trainMs),
        totalMs: Math.round(totalMs),
        featureImagesPerSecond: Number(((base.count + (trainSet.count - split.train.length)) / (featuresMs / 1000)).toFixed(1)),
      },
    };
    const reportHtml = renderReport({
      name,
      version,
      createdAt,
      history: trained.history,
      bestEpoch: trained.bestEpoch,
      test,
      validationAccuracy: best.validationAccuracy,
      facts: [
        ['data', `${options.source ?? options.dataDir} (${data.samples.length} images, ${unreadable.length} skipped)`],
        ['split', `train ${split.train.length} (+${trainSet.count - split.train.length} augmented views), validation ${validationSet.count}, test ${testSet.count}`],
        ['backbone', `${extractor.backboneId} (${extractor.fingerprint}), layers ${extractor.featureLayers.join(', ')}, ${extractor.featureDim} features`],
        ['hyperparameters', Object.entries(training).map(([k, v]) => `${k}=${v}`).join(' ')],
        ['wall time', `${(totalMs / 1000).toFixed(1)} s (features ${(featuresMs / 1000).toFixed(1)} s, head ${(trainMs / 1000).toFixed(1)} s)`],
        ...(options.command ? ([['command', options.command]] as Array<[string, string]>) : []),
      ],
    });
    const saved = await saveArtifact(options.outDir, draft, trained.head, { metrics, reportHtml, archive: options.archive !== false });

    log(`test_accuracy=${test.accuracy.toFixed(6)} test_macro_f1=${test.macroF1.toFixed(6)} test_size=${test.size}`);
    for (const c of test.perClass) log(`class=${c.label} precision=${c.precision.toFixed(4)} recall=${c.recall.toFixed(4)} f1=${c.f1.toFixed(4)} support=${c.support}`);
    log(`wall_time_seconds=${(totalMs / 1000).toFixed(1)} feature_seconds=${(featuresMs / 1000).toFixed(1)} head_seconds=${(trainMs / 1000).toFixed(1)}`);
    log(`model=${saved.dir} report=${saved.dir}/${REPORT_FILE} metrics=${saved.dir}/${METRICS_FILE}${saved.archive ? ` archive=${saved.archive}` : ''}`);
    return {
      manifest: saved.manifest,
      test,
      history: trained.history,
      skipped: unreadable.length,
      timings: { readMs, featuresMs, trainMs, totalMs },
    };
  } finally {
    await extractor.dispose();
  }
}
