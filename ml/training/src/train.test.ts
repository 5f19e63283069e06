import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluationDocumentSchema, readTestSplit, readTrainingHistory } from '@petal/evaluation';
import { makeImageFolder, runJob, THREE_COLOURS } from '@petal/evaluation/testing';
import { loadModel, outOfScopeScores, readArtifact } from '@petal/model';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { parseHyperparameters } from './hyperparameters.js';
import { train } from './train.js';

const TRAIN_CLI = 'ml/training/src/cli.ts';
const EVALUATE_CLI = 'ml/evaluation/src/cli.ts';
// A short run: few iterations on tiny generated images, so the suite stays fast while running the real job.
const quick = { 'max-iterations': '6', augment: '1', 'test-split': '0.25', 'validation-split': '0.25' };
const quickArgs = Object.entries(quick).flatMap(([k, v]) => [`--${k}`, v]);
const tmp = (prefix = 'petal-train-out-') => mkdtemp(join(tmpdir(), prefix));

describe('training job', () => {
  it('is deterministic for a seed, skips and counts unreadable images, and writes a model with its held-out split', async () => {
    const data = await makeImageFolder(THREE_COLOURS, 8);
    await writeFile(join(data, 'green', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const lines: string[] = [];
    const run = async (out: string, seed: string) =>
      train({
        dataDir: data,
        outDir: out,
        hyperparameters: parseHyperparameters({ ...quick, seed, 'model-version': 'test' }),
        quiet: true,
        log: (l) => lines.push(l),
      });
    const root = await tmp();
    const a = await run(join(root, 'a'), '3');
    const b = await run(join(root, 'b'), '3');
    expect(a.skipped).toEqual(['green/broken.jpg']);
    expect(lines).toContain('skipped_images=1');
    expect(a.history).toEqual(b.history);
    expect(a.testSplit).toEqual(b.testSplit);
    expect((await readArtifact(join(root, 'a'))).head).toEqual((await readArtifact(join(root, 'b'))).head);
    expect(a.manifest.dataset.fingerprint).toBe(b.manifest.dataset.fingerprint);
    // A different seed draws a different split and augmentations.
    const c = await run(join(root, 'c'), '4');
    expect(c.history).not.toEqual(a.history);
    expect(c.testSplit.files).not.toEqual(a.testSplit.files);

    // The artifact is complete and loads before anything evaluated it; it has no metrics yet.
    expect(a.manifest.metrics).toBeUndefined();
    expect(a.manifest.training).toMatchObject({ bestEpoch: a.bestEpoch, validationAccuracy: a.history[a.bestEpoch - 1]!.validationAccuracy });
    expect(a.manifest.labels.map((l) => l.key)).toEqual(['blue', 'green', 'red']);
    expect(a.manifest.dataset.split.test).toBe(6);
    expect(a.files.sort()).toEqual(['head.bin', 'manifest.json', 'test-split.json', 'training-history.json']);
    const archived: string[] = [];
    await tar.list({ file: join(root, 'a', 'model.tar.gz'), onReadEntry: (e) => archived.push(e.path) });
    expect(archived.sort()).toEqual(a.files);
    for (const file of ['metrics.json', 'report.html', 'evaluation.json']) expect(existsSync(join(root, 'a', file)), file).toBe(false);
    const model = await loadModel(join(root, 'a', 'model.tar.gz'));
    expect(model.labels).toEqual(['blue', 'green', 'red']);
    await model.dispose();

    // The split: the held-out photos by relative path, label and digest, tied to the data set.
    const split = await readTestSplit(join(root, 'a', 'test-split.json'));
    expect(split).toEqual(a.testSplit);
    expect(split).toMatchObject({ subset: 'test', datasetFingerprint: a.manifest.dataset.fingerprint, classes: ['blue', 'green', 'red'] });
    expect(split.files.map((f) => f.label).sort()).toEqual(['blue', 'blue', 'green', 'green', 'red', 'red']);
    expect(split.files.some((f) => f.path === 'green/broken.jpg')).toBe(false);
    const history = await readTrainingHistory(join(root, 'a', 'training-history.json'));
    expect(history.epochs).toEqual(a.history);
    expect(history.bestEpoch).toBe(a.bestEpoch);

    // SageMaker metric definitions read fixed name=value lines.
    expect(lines.some((l) => /^epoch=\d+ train_loss=[\d.]+ train_accuracy=[\d.]+ validation_loss=[\d.]+ validation_accuracy=[\d.]+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^test_accuracy=/.test(l))).toBe(false); // that is the evaluation step's line now
  }, 240_000);

  it('holds out the validation images when the run keeps no test share', async () => {
    const data = await makeImageFolder(THREE_COLOURS, 6);
    const out = await tmp();
    const result = await train({
      dataDir: data,
      outDir: out,
      hyperparameters: parseHyperparameters({ ...quick, 'test-split': '0', 'validation-split': '0.34' }),
      archive: false,
      quiet: true,
      log: () => undefined,
    });
    expect(result.manifest.dataset.split).toEqual({ train: 12, validation: 6, test: 0 });
    expect(result.testSplit.subset).toBe('validation');
    expect(result.testSplit.files).toHaveLength(6);
    expect(existsSync(join(out, 'model.tar.gz'))).toBe(false);
  }, 120_000);

  it('learns the out-of-scope score against --negatives examples, deterministically, and records them', async () => {
    const data = await makeImageFolder(THREE_COLOURS, 8);
    // "Other things": colours none of the classes has.
    const negatives = await makeImageFolder({ yellow: [230, 210, 40], grey: [128, 128, 128], purple: [120, 40, 160] }, 6);
    const root = await tmp();
    const args = (out: string) => ['--data', data, '--negatives', negatives, '--out', out, '--train-only', '--quiet', '--seed', '5', ...quickArgs];
    const first = await runJob(TRAIN_CLI, args(join(root, 'a')));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^out_of_scope_examples=18 skipped_examples=0 framed_views=\d+$/m);
    expect((await runJob(TRAIN_CLI, args(join(root, 'b')))).code).toBe(0);
    expect(await readFile(join(root, 'b', 'head.bin'))).toEqual(await readFile(join(root, 'a', 'head.bin')));

    const { manifest, head } = await readArtifact(join(root, 'a'));
    expect(manifest.outOfScope?.outlierExamples).toEqual({ source: negatives, count: 18, fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(manifest.head.weights.tensors.map((t) => t.name)).toEqual(expect.arrayContaining(['out_of_scope/outlier_weights', 'out_of_scope/outlier_bias']));
    expect(head.outOfScope?.outlier?.weights).toHaveLength(head.inputDim);
    // The served model returns the combined score; without --negatives there is no learned term.
    const model = await loadModel(join(root, 'a'));
    expect(model.outOfScope?.outlierExamples?.count).toBe(18);
    await model.dispose();
    const plain = await runJob(TRAIN_CLI, ['--data', data, '--out', join(root, 'plain'), '--train-only', '--quiet', '--seed', '5', ...quickArgs]);
    expect(plain.code).toBe(0);
    const withoutExamples = await readArtifact(join(root, 'plain'));
    expect(withoutExamples.head.outOfScope?.outlier).toBeUndefined();
    expect(withoutExamples.manifest.outOfScope?.outlierExamples).toBeUndefined();
    // The learned term is the larger one somewhere, or it would be dead weight: on a photo in scope the
    // score with it is at least the distance alone (same split and distance fit, same seed).
    const zero = new Float32Array(head.inputDim);
    const both = outOfScopeScores(zero, 1, head.inputDim, head.outOfScope!)[0]!;
    const distanceOnly = outOfScopeScores(zero, 1, head.inputDim, { centers: head.outOfScope!.centers, weights: head.outOfScope!.weights })[0]!;
    expect(both).toBeGreaterThanOrEqual(distanceOnly);

    const missing = await runJob(TRAIN_CLI, ['--data', data, '--negatives', join(root, 'nowhere'), '--out', join(root, 'x'), '--quiet', ...quickArgs]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nowhere/);
  }, 240_000);

  it('npm run train, for a person: trains, evaluates the held-out photos and leaves the evaluated model, as the single-step job did', async () => {
    const data = await makeImageFolder(THREE_COLOURS, 8);
    const root = await tmp();
    const both = await runJob(TRAIN_CLI, ['--data', data, '--out', join(root, 'both'), '--quiet', '--seed', '9', ...quickArgs]);
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    const dir = join(root, 'both');
    for (const file of ['manifest.json', 'head.bin', 'metrics.json', 'report.html', 'evaluation.json', 'test-split.json', 'training-history.json', 'model.tar.gz']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ evaluatedOn: 'test', testSize: 6, perClass: expect.any(Array), confusionMatrix: { labels: ['blue', 'green', 'red'] } });
    expect(metrics.perClass[0]).toEqual(expect.objectContaining({ precision: expect.any(Number), recall: expect.any(Number), f1: expect.any(Number) }));
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.8);
    // One entry per L-BFGS iteration: at most the 6 asked for (it may converge sooner on three colours).
    expect(metrics.history.length).toBeGreaterThanOrEqual(1);
    expect(metrics.history.length).toBeLessThanOrEqual(6);
    const { manifest } = await readArtifact(join(dir, 'model.tar.gz'));
    // The web status view reads metrics.testAccuracy from the manifest, through the endpoint.
    expect(manifest.metrics).toEqual({
      testAccuracy: metrics.accuracy,
      testSize: 6,
      validationAccuracy: metrics.validationAccuracy,
      macroF1: metrics.macroF1,
      inScopeFlowerRate: metrics.outOfScope.in_scope.flower_correct_rate,
      outOfScopeDetectionRate: metrics.outOfScope.sets[0].detection_rate,
    });
    // A person's run scores the built-in out-of-scope set and prints the targets.
    expect(manifest.outOfScope?.calibration.subset).toBe('validation');
    expect(both.stdout).toMatch(/^out_of_scope_set=generated size=\d+ detection_rate=[\d.]+ /m);
    expect(both.stdout).toMatch(/^target=test_accuracy value=[\d.]+ goal=>= 0.985 met=(true|false)$/m);
    expect(metrics.targets.map((t: { name: string }) => t.name)).toContain('in_scope_flower_correct_rate');
    const evaluation = evaluationDocumentSchema.parse(JSON.parse(await readFile(join(dir, 'evaluation.json'), 'utf8')));
    expect(evaluation.multiclass_classification_metrics.accuracy.value).toBe(metrics.accuracy);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<svg role="img" aria-label="Confusion matrix"');
    expect(html).toContain('aria-label="Loss per epoch"');
    expect(both.stdout).toMatch(/^test_accuracy=[\d.]+ test_macro_f1=[\d.]+ test_size=6$/m);
    expect(both.stdout).toMatch(/^class=blue precision=[\d.]+ recall=[\d.]+ f1=[\d.]+ support=2$/m);

    // The same run as two steps, as a pipeline runs it, gives the same model and the same numbers.
    const steps = join(root, 'steps');
    const trained = await runJob(TRAIN_CLI, ['--data', data, '--out', steps, '--train-only', '--quiet', '--seed', '9', ...quickArgs]);
    expect(trained.code).toBe(0);
    expect(await readFile(join(steps, 'head.bin'))).toEqual(await readFile(join(dir, 'head.bin')));
    const evaluated = await runJob(EVALUATE_CLI, ['--model', steps, '--data', data, '--out', join(root, 'evaluation'), '--quiet']);
    expect(evaluated.code).toBe(0);
    const separate = evaluationDocumentSchema.parse(JSON.parse(await readFile(join(root, 'evaluation', 'evaluation.json'), 'utf8')));
    expect(separate.multiclass_classification_metrics).toEqual(evaluation.multiclass_classification_metrics);
    expect(separate.per_class).toEqual(metrics.perClass);

    // Training again into the same folder removes the old evaluation, which described another model.
    const retrained = await runJob(TRAIN_CLI, ['--data', data, '--out', dir, '--train-only', '--quiet', '--seed', '10', ...quickArgs]);
    expect(retrained.code).toBe(0);
    for (const file of ['metrics.json', 'report.html', 'evaluation.json']) expect(existsSync(join(dir, file)), file).toBe(false);
    expect((await readArtifact(dir)).manifest.metrics).toBeUndefined();
  }, 240_000);

  it('honours the SageMaker training container contract: the training step alone', async () => {
    const root = await tmp('petal-opt-ml-');
    await makeImageFolder(THREE_COLOURS, 6, { root: join(root, 'input/data/train') });
    await makeImageFolder(THREE_COLOURS, 2, { root: join(root, 'input/data/test') });
    await mkdir(join(root, 'input/config'), { recursive: true });
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify({ ...quick, epochs: '"3"', seed: '11', 'model-version': 'sm' }));
    const first = await runJob(TRAIN_CLI, ['train', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const model = await readArtifact(join(root, 'model'));
    expect(model.manifest.training.hyperparameters.epochs).toBe(3);
    expect(model.manifest.dataset.split.test).toBe(6); // the test channel, not a share of train
    expect(model.manifest.metrics).toBeUndefined(); // evaluation is the pipeline's next step
    expect(existsSync(join(root, 'model/model.tar.gz'))).toBe(false); // SageMaker packs /opt/ml/model itself
    const split = await readTestSplit(join(root, 'model/test-split.json'));
    expect(split.files.map((f) => f.path).sort()).toEqual(['blue/blue-0.jpg', 'blue/blue-1.jpg', 'green/green-0.jpg', 'green/green-1.jpg', 'red/red-0.jpg', 'red/red-1.jpg']);
    expect(split.source).toBe(join(root, 'input/data/test'));
    expect(existsSync(join(root, 'model/training-history.json'))).toBe(true);
    expect(first.stdout).toMatch(/^epoch=3 /m);
    expect(first.stdout).not.toMatch(/^test_accuracy=/m);

    // The optional `model` channel continues from a previous model.tar.gz.
    const previous = await tmp('petal-prev-');
    await train({ dataDir: join(root, 'input/data/train'), outDir: previous, hyperparameters: parseHyperparameters({ ...quick, 'model-version': 'prev' }), quiet: true, log: () => undefined });
    await mkdir(join(root, 'input/data/model'));
    await copyFile(join(previous, 'model.tar.gz'), join(root, 'input/data/model/model.tar.gz'));
    const second = await runJob(TRAIN_CLI, ['train', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(second.code).toBe(0);
    expect((await readArtifact(join(root, 'model'))).manifest.training.continuedFrom).toEqual({ name: 'flower-classifier', version: 'prev' });

    // Examples of other things: the `negatives` channel (a pipeline passes an s3:// prefix as the
    // hyperparameter instead, which the job downloads; not reachable here).
    await makeImageFolder({ yellow: [230, 210, 40], grey: [128, 128, 128] }, 4, { root: join(root, 'input/data/negatives') });
    const third = await runJob(TRAIN_CLI, ['train', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(third.code).toBe(0);
    expect((await readArtifact(join(root, 'model'))).manifest.outOfScope?.outlierExamples).toMatchObject({ count: 8, source: join(root, 'input/data/negatives') });

    // A bad hyperparameter fails the job with the reason in /opt/ml/output/failure.
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify({ epochs: 'lots' }));
    const failed = await runJob(TRAIN_CLI, ['train'], { PETAL_SAGEMAKER_ROOT: root });
    expect(failed.code).not.toBe(0);
    expect(await readFile(join(root, 'output/failure'), 'utf8')).toMatch(/epochs/);
  }, 240_000);

  it('fails with a clear message and usage on bad input', async () => {
    const one = await makeImageFolder({ only: [10, 20, 30] }, 2);
    const result = await runJob(TRAIN_CLI, ['--data', one, '--out', join(tmpdir(), 'petal-never')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/training needs at least 2/);
    expect(result.stderr).toMatch(/usage: npm run train/);
    const missing = await runJob(TRAIN_CLI, ['--out', 'x']);
    expect(missing.stderr).toMatch(/--data and --out are required/);
  }, 60_000);
});
