import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { preprocess } from '@petal/imaging';
import {
  REPORT_FILE,
  loadModel,
  openModelLocation,
  preprocessSpecOf,
  type Classification,
  type LoadedModel,
  type Manifest,
  type ManifestMetrics,
} from '@petal/model';
import { DEFAULT_CONFIDENCE_THRESHOLD } from '@petal/contracts';
import { UsageError } from './errors.js';
import { generateOutOfScopeSet, readOutOfScopeFolder, type OutOfScopeImage } from './out-of-scope-set.js';
import { inScopeCounts, outOfScopeSetCounts, type OutOfScopeSection } from './out-of-scope-rates.js';
import { EVALUATION_FILE, countAllSets, toEvaluationDocument, type EvaluationDocument } from './evaluation-file.js';
import { fingerprintSamples, readImageFolder, type Sample } from './image-folder.js';
import { evaluatePredictions, type Evaluation } from './metrics.js';
import { startProgress } from './progress.js';
import { renderReport } from './report.js';
import { TEST_SPLIT_FILE, readSplitSamples, readTestSplit, type TestSplit } from './test-split.js';
import { TRAINING_HISTORY_FILE, readTrainingHistory, type TrainingHistory } from './training-history.js';

export interface EvaluateOptions {
  /** The model: a directory or a model.tar.gz, as the training job wrote it. */
  model: string;
  /** Local data root, one sub-folder per class. */
  dataDir: string;
  /** Where the data came from, for the files (an s3:// URI when it was downloaded). */
  source?: string;
  /**
   * Which images to score: a test-split.json path; by default the split the model carries, and every
   * image under dataDir when it carries none. `all` scores every image even when a split is at hand.
   */
  split?: string | 'all';
  /** Where evaluation.json and report.html go (may be the model directory itself). */
  outDir: string;
  quiet?: boolean;
  /** Where `name=value` metric lines go (stdout by default). */
  log?: (line: string) => void;
  /**
   * Out-of-scope sets to score: folders of images that are none of the model's classes, or `generated`
   * for the built-in set made at run time (noise, flat colours, gradients, renders, licensed package images).
   * Default `['generated']`, so every evaluation.json carries the out-of-scope detection rate a pipeline
   * gates on; `[]` scores none.
   */
  outOfScope?: readonly string[];
  /** The top probability under which the service answers `unsure` (the WAS's default). */
  confidenceThreshold?: number;
}

export interface EvaluateResult {
  document: EvaluationDocument;
  evaluation: Evaluation;
  manifest: Manifest;
  history?: TrainingHistory;
  /** The numbers to record in the model's manifest (`metrics`), for the person-facing flow. */
  manifestMetrics: ManifestMetrics;
  files: { evaluation: string; report: string };
  timings: { loadMs: number; readMs: number; classifyMs: number; totalMs: number };
}

const BATCH = 32;
const DEFAULT_OUT_OF_SCOPE_SETS = ['generated'] as const;

/**
 * The evaluation job: loads the model exactly as serving does (manifest checks, backbone fingerprint,
 * the fused backbone + head ONNX session), scores the held-out photos (or a whole folder) through it,
 * and writes evaluation.json and the HTML report.
 */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluateResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const evaluatedAt = new Date().toISOString();
  const location = await openModelLocation(options.model);
  try {
    const model = await loadModel(location.dir);
    try {
      const loadMs = performance.now() - started;
      const { manifest } = model;
      const classes = [...model.labels];
      const split = await chooseSplit(options, location.dir, manifest);
      const history = existsSync(join(location.dir, TRAINING_HISTORY_FILE))
        ? await readTrainingHistory(join(location.dir, TRAINING_HISTORY_FILE))
        : undefined;

      const readStarted = performance.now();
      const samples = split ? await readSplitSamples(options.dataDir, split) : (await readImageFolder(options.dataDir, classes)).samples;
      const readMs = performance.now() - readStarted;
      const source = options.source ?? options.dataDir;
      log(`evaluating=${manifest.name}@${manifest.version} data=${source} selection=${split ? `test-split(${split.subset})` : 'all'} images=${samples.length}`);

      const classifyStarted = performance.now();
      const scored = await classifyAll(model, samples, options.quiet);
      const classifyMs = performance.now() - classifyStarted;
      if (scored.skipped.length) {
        log(`skipped_images=${scored.skipped.length}`);
        process.stderr.write(`skipped ${scored.skipped.length} unreadable image(s): ${scored.skipped.slice(0, 10).join(', ')}${scored.skipped.length > 10 ? ', …' : ''}\n`);
      }
      if (scored.samples.length === 0) throw new UsageError(`no readable images to evaluate in ${source}`);
      const outOfScope = await scoreOutOfScope(model, scored, options, log);

      const evaluation = evaluatePredictions(
        classes,
        scored.samples.map((s) => s.classIndex),
        scored.probabilities,
        scored.samples.map((s) => s.id),
      );
      const document = toEvaluationDocument(evaluation, classes, {
        model: { name: manifest.name, version: manifest.version, createdAt: manifest.createdAt, backboneFingerprint: manifest.backbone.fingerprint },
        evaluatedAt,
        source,
        fingerprint: fingerprintSamples(scored.samples),
        ...(split ? { split: { subset: split.subset, datasetFingerprint: split.datasetFingerprint } } : {}),
        skipped: scored.skipped,
        outOfScope,
      });
      const evaluatedOn = split ? split.subset : 'all';
      const reportHtml = renderReport({
        name: manifest.name,
        version: manifest.version,
        createdAt: evaluatedAt,
        ...(history ? { history } : {}),
        test: evaluation,
        evaluatedOn,
        facts: [...reportFacts(manifest, document, history), ...outOfScopeFacts(outOfScope)],
      });

      await mkdir(options.outDir, { recursive: true });
      const files = { evaluation: join(options.outDir, EVALUATION_FILE), report: join(options.outDir, REPORT_FILE) };
      await writeAtomically(files.evaluation, `${JSON.stringify(document, null, 2)}\n`);
      await writeAtomically(files.report, reportHtml);

      // The same lines the single-step job printed, for SageMaker metric definitions and people alike.
      log(`test_accuracy=${evaluation.accuracy.toFixed(6)} test_macro_f1=${evaluation.macroF1.toFixed(6)} test_size=${evaluation.size}`);
      for (const c of evaluation.perClass) log(`class=${c.label} precision=${c.precision.toFixed(4)} recall=${c.recall.toFixed(4)} f1=${c.f1.toFixed(4)} support=${c.support}`);
      const totalMs = performance.now() - started;
      log(`evaluation=${files.evaluation} report=${files.report} evaluation_seconds=${(totalMs / 1000).toFixed(1)}`);

      const validationAccuracy = history?.validationAccuracy ?? manifest.training.validationAccuracy;
      return {
        document,
        evaluation,
        manifest,
        ...(history ? { history } : {}),
        manifestMetrics: {
          testAccuracy: evaluation.accuracy,
          testSize: evaluation.size,
          ...(validationAccuracy !== undefined && Number.isFinite(validationAccuracy) ? { validationAccuracy } : {}),
          macroF1: evaluation.macroF1,
          inScopeFlowerRate: outOfScope.in_scope.flower_correct_rate,
          ...(document.out_of_scope?.all_sets ? { outOfScopeDetectionRate: document.out_of_scope.all_sets.detection_rate } : {}),
        },
        files,
        timings: { loadMs, readMs, classifyMs, totalMs },
      };
    } finally {
      await model.dispose();
    }
  } finally {
    await location.cleanup();
  }
}

/** The split to score: the one asked for, else the model's own, else none (every image). */
async function chooseSplit(options: EvaluateOptions, modelDir: string, manifest: Manifest): Promise<TestSplit | undefined> {
  if (options.split === 'all') return undefined;
  const path = options.split ?? (existsSync(join(modelDir, TEST_SPLIT_FILE)) ? join(modelDir, TEST_SPLIT_FILE) : undefined);
  if (!path) return undefined;
  const split = await readTestSplit(path);
  const labels = manifest.labels.map((l) => l.key);
  if (split.classes.join() !== labels.join()) {
    throw new UsageError(`the test split ${path} has classes [${split.classes}], the model ${manifest.name}@${manifest.version} has [${labels}]`);
  }
  // A split from another training run may list photos this model was trained on.
  if (split.datasetFingerprint !== manifest.dataset.fingerprint) {
    throw new UsageError(
      `the test split ${path} was held out from data set ${split.datasetFingerprint}, but ${manifest.name}@${manifest.version} was trained on ${manifest.dataset.fingerprint}: ` +
        'use the split written with this model, or pass --all to score every image in the data folder',
    );
  }
  return split;
}

/** Preprocesses and classifies in batches through the serving session; undecodable images are left out. */
async function classifyAll(
  model: LoadedModel,
  samples: readonly Sample[],
  quiet = false,
): Promise<{ samples: Sample[]; probabilities: Float32Array; classifications: Classification[]; skipped: string[] }> {
  const spec = preprocessSpecOf(model.manifest);
  const k = model.labels.length;
  const pixelsPerImage = spec.size * spec.size * 3;
  const kept: Sample[] = [];
  const classifications: Classification[] = [];
  const skipped: string[] = [];
  const probabilities = new Float32Array(samples.length * k);
  const pixels = new Float32Array(BATCH * pixelsPerImage);
  const progress = startProgress('evaluating', samples.length, 'img', quiet);
  for (let start = 0; start < samples.length; start += BATCH) {
    const batch = samples.slice(start, start + BATCH);
    const decoded = await Promise.allSettled(batch.map((s) => preprocess(s.bytes, spec)));
    const ready: Sample[] = [];
    decoded.forEach((result, i) => {
      if (result.status === 'rejected') {
        skipped.push(batch[i]!.id);
        return;
      }
      pixels.set(result.value, ready.length * pixelsPerImage);
      ready.push(batch[i]!);
    });
    if (ready.length) {
      const answers = await model.classifyPixels(pixels.subarray(0, ready.length * pixelsPerImage), ready.length);
      answers.forEach((answer, i) => probabilities.set(answer.probabilities, (kept.length + i) * k));
      classifications.push(...answers);
      kept.push(...ready);
    }
    progress.update(Math.min(start + BATCH, samples.length));
  }
  progress.stop();
  return { samples: kept, probabilities: probabilities.subarray(0, kept.length * k), classifications, skipped };
}

/**
 * The verdicts the service would give: on the in-scope photos just scored, and on every out-of-scope set
 * asked for, with a `name=value` line per rate.
 */
async function scoreOutOfScope(
  model: LoadedModel,
  scored: { samples: Sample[]; classifications: Classification[] },
  options: EvaluateOptions,
  log: (line: string) => void,
): Promise<OutOfScopeSection> {
  const confidence = options.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
  const calibration = model.outOfScope;
  const inScope = inScopeCounts(scored.classifications, scored.samples.map((s) => s.classIndex), confidence);
  if (!calibration) log('out_of_scope_calibrated=false (a model without an out-of-scope score: verdicts from probabilities alone)');
  log(
    `in_scope_flower_correct_rate=${inScope.flower_correct_rate.toFixed(6)} in_scope_unsure=${inScope.unsure} in_scope_unknown=${inScope.unknown} in_scope_size=${inScope.size}`,
  );
  const sets: OutOfScopeSection['sets'] = [];
  for (const source of options.outOfScope ?? DEFAULT_OUT_OF_SCOPE_SETS) {
    const images: OutOfScopeImage[] = source === 'generated' ? await generateOutOfScopeSet() : await readOutOfScopeFolder(source);
    if (images.length === 0) throw new UsageError(`--ood ${source} holds no images`);
    const answers = await classifyImages(model, images, options.quiet);
    const counts = outOfScopeSetCounts(source, images, answers, confidence);
    sets.push(counts);
    log(
      `out_of_scope_set=${source} size=${counts.size} detection_rate=${counts.detection_rate.toFixed(6)} unknown_rate=${counts.unknown_rate.toFixed(6)} ` +
        `flower=${counts.flower} unsure=${counts.unsure} unknown=${counts.unknown}`,
    );
  }
  const section: OutOfScopeSection = {
    calibrated: calibration !== undefined,
    ...(calibration ? { method: calibration.method, thresholds: calibration.thresholds } : {}),
    confidence_threshold: confidence,
    in_scope: inScope,
    sets,
  };
  const all = countAllSets(section);
  if (all) log(`out_of_scope_detection_rate=${all.detection_rate.toFixed(6)} out_of_scope_size=${all.size} out_of_scope_sets=${all.names.length}`);
  return section;
}

/** One at a time, as a person would send them; an image that does not decode is left out (undefined). */
async function classifyImages(model: LoadedModel, images: readonly OutOfScopeImage[], quiet = false): Promise<Array<Classification | undefined>> {
  const progress = startProgress('out-of-scope', images.length, 'img', quiet);
  const out: Array<Classification | undefined> = [];
  for (const [i, image] of images.entries()) {
    out.push(await model.classify(image.bytes).catch(() => undefined));
    progress.update(i + 1);
  }
  progress.stop();
  return out;
}


function outOfScopeFacts(section: OutOfScopeSection): Array<[string, string]> {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const facts: Array<[string, string]> = [
    [
      'out-of-scope score',
      section.calibrated
        ? `${section.method}; unsure above ${section.thresholds!.unsure.toFixed(4)}, unknown above ${section.thresholds!.unknown.toFixed(4)}`
        : 'none: a model without a calibration (verdicts from probabilities alone, never unknown)',
    ],
    [
      'in-scope test photos',
      `${pct(section.in_scope.flower_correct_rate)} answered flower and correctly (${section.in_scope.flower_correct}/${section.in_scope.size}); ` +
        `${section.in_scope.unsure} unsure, ${section.in_scope.unknown} unknown (confidence threshold ${section.confidence_threshold})`,
    ],
  ];
  const all = countAllSets(section);
  // With one set the line above it says the same.
  if (all && section.sets.length > 1) {
    facts.push([
      'out-of-scope: all sets',
      `${pct(all.detection_rate)} answered unknown or unsure (${all.unknown} unknown, ${all.unsure} unsure, ${all.flower} flower of ${all.size})`,
    ]);
  }
  for (const set of section.sets) {
    facts.push([
      `out-of-scope: ${set.name}`,
      `${pct(set.detection_rate)} answered unknown or unsure (${set.unknown} unknown, ${set.unsure} unsure, ${set.flower} flower of ${set.size})` +
        (set.missed.length ? `; taken for flowers: ${set.missed.map((m) => `${m.id} → ${m.label}`).join(', ')}` : ''),
    ]);
  }
  return facts;
}

function reportFacts(manifest: Manifest, document: EvaluationDocument, history?: TrainingHistory): Array<[string, string]> {
  const { dataset, training, backbone } = manifest;
  const facts: Array<[string, string]> = [
    ['evaluated on', `${document.dataset.item_count} images from ${document.dataset.source} (${document.dataset.selection === 'test-split' ? `the ${document.dataset.split!.subset} images held out in training` : 'every image'}, ${document.dataset.skipped.length} skipped), ${document.dataset.fingerprint}`],
    ['training data', `${dataset.source} (${Object.values(dataset.classes).reduce((a, b) => a + b, 0)} images, ${dataset.skipped} skipped), ${dataset.fingerprint}`],
    ['split', `train ${dataset.split.train}, validation ${dataset.split.validation}, test ${dataset.split.test}`],
    ['backbone', `${backbone.id} (${backbone.fingerprint}), layers ${backbone.featureLayers.join(', ')}, ${backbone.featureDim} features`],
    ['hyperparameters', Object.entries(training.hyperparameters).map(([k, v]) => `${k}=${v}`).join(' ')],
    ['training wall time', `${(training.durationMs / 1000).toFixed(1)} s${history ? `, ${history.epochs.length} epochs, kept epoch ${history.bestEpoch}` : ''}`],
  ];
  if (training.command) facts.push(['command', training.command]);
  if (training.continuedFrom) facts.push(['continued from', `${training.continuedFrom.name}@${training.continuedFrom.version}`]);
  return facts;
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}
