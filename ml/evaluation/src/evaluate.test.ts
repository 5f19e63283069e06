import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preprocessBatch } from '@petal/imaging';
import { applyHead, backboneFor, createFeatureExtractor, loadModel, readArtifact, type Manifest } from '@petal/model';
import { writeUncalibratedCopy } from '@petal/model/testing/artifacts';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVALUATION_JSON_PATHS, evaluationDocumentSchema, type EvaluationDocument } from './evaluation-file.js';
import { evaluatePredictions } from './metrics.js';
import { readSplitSamples, readTestSplit, testSplitJson } from './test-split.js';
import { makeImageFolder, runJob, THREE_COLOURS } from './testing/index.js';

const TRAIN_CLI = 'ml/training/src/cli.ts';
const EVALUATE_CLI = 'ml/evaluation/src/cli.ts';
// A short run on tiny generated images, so the suite stays fast while running the real jobs.
const quick = ['--epochs', '6', '--augment', '1', '--test-split', '0.25', '--validation-split', '0.25', '--seed', '5', '--model-version', 'eval-test'];

/** Reads a dotted JSON path the way a pipeline condition (SageMaker JsonGet) does. */
const jsonPath = (document: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);

async function readEvaluation(dir: string): Promise<EvaluationDocument> {
  return evaluationDocumentSchema.parse(JSON.parse(await readFile(join(dir, 'evaluation.json'), 'utf8')));
}

describe('evaluation job', () => {
  let data: string;
  let modelDir: string;
  let manifest: Manifest;
  const tmp = () => mkdtemp(join(tmpdir(), 'petal-eval-'));

  beforeAll(async () => {
    data = await makeImageFolder(THREE_COLOURS, 8);
    modelDir = join(await tmp(), 'model');
    // The training step alone, as a pipeline runs it.
    const trained = await runJob(TRAIN_CLI, ['--data', data, '--out', modelDir, '--train-only', '--quiet', ...quick]);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    manifest = (await readArtifact(modelDir)).manifest;
  }, 120_000);

  it('starts from a training artifact that loads, serves and carries its held-out split, before any evaluation', async () => {
    expect(manifest.metrics).toBeUndefined();
    for (const file of ['evaluation.json', 'metrics.json', 'report.html']) expect(existsSync(join(modelDir, file)), file).toBe(false);
    for (const location of [modelDir, join(modelDir, 'model.tar.gz')]) {
      const model = await loadModel(location);
      try {
        const answer = await model.classify(await readFile(join(data, 'red', 'red-0.jpg')));
        expect(answer.labels).toEqual(['blue', 'green', 'red']);
        expect(answer.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      } finally {
        await model.dispose();
      }
    }
    const split = await readTestSplit(join(modelDir, 'test-split.json'));
    expect(split.subset).toBe('test');
    expect(split.files).toHaveLength(manifest.dataset.split.test);
    expect(split.files).toHaveLength(6); // a quarter of 8 per class, 3 classes
    expect(split.datasetFingerprint).toBe(manifest.dataset.fingerprint);
    expect(split.files.every((f) => f.path.startsWith(`${f.label}/`))).toBe(true);
  });

  it('scores exactly the held-out photos through its CLI, from the model directory or its model.tar.gz', async () => {
    const out = await tmp();
    const run = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^test_accuracy=[\d.]+ test_macro_f1=[\d.]+ test_size=6$/m);
    const doc = await readEvaluation(out);
    const split = await readTestSplit(join(modelDir, 'test-split.json'));
    expect(doc.model).toMatchObject({ name: 'flower-classifier', version: 'eval-test', backbone_fingerprint: manifest.backbone.fingerprint });
    expect(doc.dataset).toMatchObject({ item_count: 6, selection: 'test-split', fingerprint: split.fingerprint, source: data, skipped: [] });
    expect(doc.dataset.split).toEqual({ subset: 'test', dataset_fingerprint: manifest.dataset.fingerprint });
    const accuracy = jsonPath(doc, EVALUATION_JSON_PATHS.accuracy);
    expect(accuracy).toBe(doc.multiclass_classification_metrics.accuracy.value);
    expect(accuracy).toBeGreaterThanOrEqual(0.8); // colour families this different are easy
    expect(jsonPath(doc, EVALUATION_JSON_PATHS.itemCount)).toBe(6);
    expect(doc.multiclass_classification_metrics.accuracy.standard_deviation).toBe('NaN'); // under 200 images, as SageMaker writes it
    expect(doc.labels).toEqual(['blue', 'green', 'red']);
    expect(doc.per_class.map((c) => c.support)).toEqual([2, 2, 2]);
    const cells = Object.values(doc.multiclass_classification_metrics.confusion_matrix).flatMap((row) => Object.values(row));
    expect(cells.reduce((a, b) => a + b, 0)).toBe(6);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg role="img" aria-label="Confusion matrix"');
    expect(html).toContain('aria-label="Loss per epoch"'); // the curves, from the model's training-history.json
    expect(html).not.toMatch(/<script|(?:src|href)="?https?:|@import|url\(/);

    const fromArchive = await tmp();
    const archived = await runJob(EVALUATE_CLI, ['--model', join(modelDir, 'model.tar.gz'), '--data', data, '--out', fromArchive, '--quiet']);
    expect(archived.code).toBe(0);
    const again = await readEvaluation(fromArchive);
    expect(again.multiclass_classification_metrics).toEqual(doc.multiclass_classification_metrics);
    expect(again.per_class).toEqual(doc.per_class);
    // Evaluation never changes the model it scores.
    expect((await readArtifact(modelDir)).manifest).toEqual(manifest);
  }, 120_000);

  it('gives the numbers the single-step job gave: the head applied to backbone features of the held-out rows', async () => {
    const out = await tmp();
    expect((await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet'])).code).toBe(0);
    const doc = await readEvaluation(out);
    // What train() computed before the split: extractor features, then applyHead, on the test rows.
    const { head } = await readArtifact(modelDir);
    const samples = await readSplitSamples(data, await readTestSplit(join(modelDir, 'test-split.json')));
    const extractor = await createFeatureExtractor(backboneFor(manifest), { runtime: 'onnx' });
    try {
      const pixels = await preprocessBatch(samples.map((s) => s.bytes), { size: manifest.input.size, resize: 'squash', scale: [0, 1] });
      const features = await extractor.extract(pixels, samples.length);
      const old = evaluatePredictions(doc.labels, samples.map((s) => s.classIndex), applyHead(features, samples.length, head), samples.map((s) => s.id));
      expect(doc.multiclass_classification_metrics.accuracy.value).toBe(old.accuracy);
      expect(doc.multiclass_classification_metrics.macro_f1.value).toBe(old.macroF1);
      expect(doc.labels.map((actual) => doc.labels.map((predicted) => doc.multiclass_classification_metrics.confusion_matrix[actual]![predicted]))).toEqual(old.confusion);
      expect(doc.per_class).toEqual(old.perClass);
      expect(doc.mistakes.map((m) => m.path)).toEqual(old.mistakes.map((m) => m.id));
    } finally {
      await extractor.dispose();
    }
  }, 120_000);

  it('scores every image with --all, and refuses a split held out from other data', async () => {
    const out = await tmp();
    const all = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--all', '--quiet']);
    expect(all.code).toBe(0);
    const doc = await readEvaluation(out);
    expect(doc.dataset).toMatchObject({ item_count: 24, selection: 'all' });
    expect(doc.dataset.split).toBeUndefined();

    const split = await readTestSplit(join(modelDir, 'test-split.json'));
    const foreign = join(await tmp(), 'foreign-split.json');
    await writeFile(foreign, testSplitJson({ ...split, datasetFingerprint: 'sha256:another-data-set' }));
    const refused = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--split', foreign]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/was held out from data set sha256:another-data-set, but flower-classifier@eval-test was trained on sha256:/);
  }, 120_000);

  it('honours the SageMaker Processing container contract', async () => {
    const root = await tmp();
    await mkdir(join(root, 'config'), { recursive: true });
    await writeFile(join(root, 'config/processingjobconfig.json'), JSON.stringify({ ProcessingJobName: 'evaluate-test' }));
    await mkdir(join(root, 'processing/input/model'), { recursive: true });
    await copyFile(join(modelDir, 'model.tar.gz'), join(root, 'processing/input/model/model.tar.gz'));
    await cp(data, join(root, 'processing/input/data'), { recursive: true });
    // No arguments: the job finds its layout from /opt/ml/config/processingjobconfig.json.
    const run = await runJob(EVALUATE_CLI, [], { PETAL_SAGEMAKER_ROOT: root });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = join(root, 'processing/output/evaluation');
    const doc = await readEvaluation(output);
    expect(doc.dataset).toMatchObject({ item_count: 6, selection: 'test-split' });
    expect(existsSync(join(output, 'report.html'))).toBe(true);
    // The pipeline's Evaluate step records the generated out-of-scope set's rates with every version.
    expect(doc.out_of_scope?.sets.map((s) => s.name)).toEqual(['generated']);
    expect(jsonPath(doc, EVALUATION_JSON_PATHS.outOfScopeDetectionRate)).toBe(doc.out_of_scope!.sets[0]!.detection_rate);

    // An explicit `split` input is used instead of the model's own.
    const split = await readTestSplit(join(modelDir, 'test-split.json'));
    await mkdir(join(root, 'processing/input/split'));
    await writeFile(join(root, 'processing/input/split/held-out.json'), testSplitJson({ ...split, files: split.files.slice(0, 3) }));
    const withSplit = await runJob(EVALUATE_CLI, ['processing', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(withSplit.code).toBe(0);
    expect((await readEvaluation(output)).dataset.item_count).toBe(3);

    // A missing input fails the job with the reason as its ExitMessage.
    await rm(join(root, 'processing/input/data'), { recursive: true });
    const failed = await runJob(EVALUATE_CLI, ['processing'], { PETAL_SAGEMAKER_ROOT: root });
    expect(failed.code).not.toBe(0);
    expect(await readFile(join(root, 'output/message'), 'utf8')).toMatch(/no "data" input under .*processing\/input/);
  }, 120_000);

  it('always writes the two numbers the pipeline gates on, also for a model without an out-of-scope calibration', async () => {
    const older = join(await tmp(), 'older');
    await writeUncalibratedCopy(modelDir, older);
    for (const model of [modelDir, older]) {
      const out = await tmp();
      // No --ood: the generated set is scored all the same.
      const run = await runJob(EVALUATE_CLI, ['--model', model, '--data', data, '--out', out, '--quiet', '--split', join(modelDir, 'test-split.json')]);
      expect(run.code, run.stderr).toBe(0);
      const doc = await readEvaluation(out);
      const section = doc.out_of_scope!;
      expect(section.calibrated).toBe(model === modelDir);
      const inScope = jsonPath(doc, EVALUATION_JSON_PATHS.inScopeFlowerRate);
      const detection = jsonPath(doc, EVALUATION_JSON_PATHS.outOfScopeDetectionRate);
      expect(inScope).toBe(section.in_scope.flower_correct / section.in_scope.size);
      expect(section.all_sets).toMatchObject({ names: ['generated'], size: section.sets[0]!.size });
      expect(detection).toBe((section.all_sets!.unsure + section.all_sets!.unknown) / section.all_sets!.size);
      for (const rate of [inScope, detection]) {
        expect(rate).toBeGreaterThanOrEqual(0);
        expect(rate).toBeLessThanOrEqual(1);
      }
      expect(run.stdout).toMatch(new RegExp(`^out_of_scope_detection_rate=${(detection as number).toFixed(6)} out_of_scope_size=${section.all_sets!.size} out_of_scope_sets=1$`, 'm'));
      // Without a score, verdicts come from probabilities alone: nothing is ever unknown.
      if (model === older) expect(section.all_sets!.unknown).toBe(0);
    }
  }, 120_000);

  it('counts every out-of-scope set together for the gate: images over images, not a mean of rates', async () => {
    const folder = await tmp();
    for (const [i, shade] of [0, 255].entries()) {
      await writeFile(join(folder, `flat-${i}.png`), await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: shade, g: shade, b: shade } } }).png().toBuffer());
    }
    const out = await tmp();
    const run = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet', '--ood', folder, '--ood', 'generated']);
    expect(run.code, run.stderr).toBe(0);
    const doc = await readEvaluation(out);
    const { sets, all_sets: all } = doc.out_of_scope!;
    expect(sets.map((s) => s.name)).toEqual([folder, 'generated']);
    expect(sets[0]!.size).toBe(2);
    const sum = (key: 'size' | 'flower' | 'unsure' | 'unknown') => sets.reduce((n, s) => n + s[key], 0);
    expect(all).toEqual({
      names: [folder, 'generated'],
      size: sum('size'),
      flower: sum('flower'),
      unsure: sum('unsure'),
      unknown: sum('unknown'),
      detection_rate: (sum('unsure') + sum('unknown')) / sum('size'),
      unknown_rate: sum('unknown') / sum('size'),
    });
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('out-of-scope: all sets');
  }, 120_000);

  it('fails with a clear message and usage on bad input', async () => {
    const missing = await runJob(EVALUATE_CLI, ['--model', modelDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--model, --data and --out are required/);
    expect(missing.stderr).toMatch(/usage: npm run evaluate/);
    const both = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', 'x', '--all', '--split', 'y.json']);
    expect(both.stderr).toMatch(/--all and --split contradict each other/);
    const otherPhotos = await makeImageFolder(THREE_COLOURS, 1);
    const wrongData = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', otherPhotos, '--out', await tmp()]);
    expect(wrongData.code).toBe(2);
    expect(wrongData.stderr).toMatch(/listed in the test split, is missing from .*pass --all/);
    const noModel = await runJob(EVALUATE_CLI, ['--model', join(data, 'nope'), '--data', data, '--out', await tmp()]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/model location .*nope does not exist/);
  }, 120_000);
});
