import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EVALUATION_FILE, evaluateModel, type EvaluateResult } from '@petal/evaluation';
import { METRICS_FILE, REPORT_FILE, attachMetrics, packModelArchive, type Manifest } from '@petal/model';
import { train, type TrainOptions, type TrainResult } from './train.js';

export interface TrainAndEvaluateResult {
  training: TrainResult;
  evaluation: EvaluateResult;
  /** The manifest with the evaluation's `metrics` attached. */
  manifest: Manifest;
  archive?: string;
}

/**
 * What `npm run train` does for a person: the training job, then the evaluation job on the photos it
 * held out, then the results recorded with the model (manifest `metrics`, metrics.json, report.html,
 * evaluation.json) and everything packed into model.tar.gz, as the single-step job used to leave it.
 * A pipeline runs the two steps as separate jobs instead.
 */
export async function trainAndEvaluate(options: TrainOptions): Promise<TrainAndEvaluateResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  const training = await train({ ...options, archive: false, log });
  const evaluation = await evaluateModel({
    model: training.dir,
    dataDir: options.testDir ?? options.dataDir,
    source: options.testDir ? (options.testSource ?? options.testDir) : (options.source ?? options.dataDir),
    outDir: training.dir,
    // The built-in out-of-scope set, so every model a person trains states how it treats non-flowers.
    outOfScope: ['generated'],
    ...(options.quiet !== undefined ? { quiet: options.quiet } : {}),
    log,
  });
  const manifest = await attachMetrics(training.dir, evaluation.manifestMetrics);
  const totalMs = performance.now() - started;
  await writeJson(join(training.dir, METRICS_FILE), personMetrics(training, evaluation, totalMs));

  const archive =
    options.archive !== false
      ? await packModelArchive(training.dir, [...training.files, EVALUATION_FILE, REPORT_FILE, METRICS_FILE])
      : undefined;
  log(`total_wall_time_seconds=${(totalMs / 1000).toFixed(1)} evaluation_seconds=${(evaluation.timings.totalMs / 1000).toFixed(1)}`);
  for (const t of targets(training, evaluation)) log(`target=${t.name} value=${t.value.toFixed(4)} goal=${t.goal} met=${t.met}`);
  log(`model=${training.dir} report=${evaluation.files.report} metrics=${join(training.dir, METRICS_FILE)}${archive ? ` archive=${archive}` : ''}`);
  return { training, evaluation, manifest, ...(archive ? { archive } : {}) };
}

/**
 * metrics.json as the single-step job wrote it (people and notebooks read it): the held-out numbers
 * with the training curve and the run's timings in one file.
 */
function personMetrics(training: TrainResult, evaluation: EvaluateResult, totalMs: number) {
  const { evaluation: test, document } = evaluation;
  const best = training.history[training.bestEpoch - 1]!;
  return {
    model: { name: training.manifest.name, version: training.manifest.version },
    evaluatedOn: training.testSplit.subset,
    accuracy: test.accuracy,
    macroF1: test.macroF1,
    testSize: test.size,
    perClass: test.perClass,
    confusionMatrix: { labels: document.labels, rows: 'actual', columns: 'predicted', matrix: test.confusion },
    mistakes: test.mistakes,
    validationAccuracy: best.validationAccuracy,
    bestEpoch: training.bestEpoch,
    history: training.history,
    skippedImages: [...new Set([...training.skipped, ...document.dataset.skipped])],
    outOfScope: document.out_of_scope,
    targets: targets(training, evaluation),
    timings: {
      readMs: Math.round(training.timings.readMs),
      featuresMs: Math.round(training.timings.featuresMs),
      trainMs: Math.round(training.timings.trainMs),
      outOfScopeMs: Math.round(training.timings.outOfScopeMs),
      evaluationMs: Math.round(evaluation.timings.totalMs),
      totalMs: Math.round(totalMs),
      featureImagesPerSecond: training.timings.featureImagesPerSecond,
    },
  };
}

/** The issue's targets (#14), measured on this run: printed by `npm run train` and kept in metrics.json. */
function targets(training: TrainResult, evaluation: EvaluateResult) {
  const ood = evaluation.document.out_of_scope;
  const rows = [
    { name: 'test_accuracy', value: evaluation.evaluation.accuracy, goal: '>= 0.985', met: evaluation.evaluation.accuracy >= 0.985 },
    { name: 'training_wall_seconds', value: training.timings.totalMs / 1000, goal: '< 60', met: training.timings.totalMs < 60_000 },
  ];
  if (ood) {
    const rate = ood.in_scope.flower_correct_rate;
    rows.push({ name: 'in_scope_flower_correct_rate', value: rate, goal: '>= 0.95', met: rate >= 0.95 });
    for (const set of ood.sets) rows.push({ name: `out_of_scope_detection_rate[${set.name}]`, value: set.detection_rate, goal: '>= 0.90', met: set.detection_rate >= 0.9 });
  }
  return rows;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
