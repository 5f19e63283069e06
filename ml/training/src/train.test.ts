import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readArtifact } from '@petal/model';
import { describe, expect, it } from 'vitest';
import { parseHyperparameters } from './hyperparameters.js';
import { makeImageFolder, THREE_COLOURS } from './test/fixtures.js';
import { train } from './train.js';

const repo = resolve(import.meta.dirname, '../../..');
// A short run: few epochs on tiny generated images, so the suite stays fast while running the real job.
const quick = { epochs: '6', augment: '1', 'test-split': '0.25', 'validation-split': '0.25' };

async function runCli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', join(repo, 'ml/training/src/cli.ts'), ...args], {
      cwd: repo,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('training job', () => {
  it('is deterministic for a seed, skips and counts unreadable images, and writes a complete artifact', async () => {
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
    const tmp = await mkdtemp(join(tmpdir(), 'petal-train-out-'));
    const a = await run(join(tmp, 'a'), '3');
    const b = await run(join(tmp, 'b'), '3');
    expect(a.skipped).toBe(1);
    expect(lines).toContain('skipped_images=1');
    expect(a.history).toEqual(b.history);
    expect(a.test).toEqual(b.test);
    const metricsA = JSON.parse(await readFile(join(tmp, 'a', 'metrics.json'), 'utf8'));
    const metricsB = JSON.parse(await readFile(join(tmp, 'b', 'metrics.json'), 'utf8'));
    expect(metricsA.accuracy).toBe(metricsB.accuracy);
    expect(metricsA.confusionMatrix).toEqual(metricsB.confusionMatrix);
    expect((await readArtifact(join(tmp, 'a'))).head).toEqual((await readArtifact(join(tmp, 'b'))).head);
    expect(a.manifest.dataset.fingerprint).toBe(b.manifest.dataset.fingerprint);
    // A different seed draws a different split and augmentations.
    const c = await run(join(tmp, 'c'), '4');
    expect(c.history).not.toEqual(a.history);

    // Colour families this different are easy: the run must actually learn.
    expect(a.test.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(a.manifest.labels.map((l) => l.key)).toEqual(['blue', 'green', 'red']);
    expect(a.manifest.dataset.split.test).toBe(6);
    for (const file of ['manifest.json', 'head.bin', 'metrics.json', 'report.html', 'model.tar.gz']) {
      expect(existsSync(join(tmp, 'a', file)), file).toBe(true);
    }
    expect(metricsA).toMatchObject({ testSize: 6, perClass: expect.any(Array), confusionMatrix: { labels: ['blue', 'green', 'red'] } });
    expect(metricsA.perClass[0]).toEqual(expect.objectContaining({ precision: expect.any(Number), recall: expect.any(Number), f1: expect.any(Number) }));
    const html = await readFile(join(tmp, 'a', 'report.html'), 'utf8');
    expect(html).toContain('<svg role="img" aria-label="Confusion matrix"');
    expect(html).toContain('aria-label="Loss per epoch"');
    expect(html).not.toMatch(/<script|(?:src|href)="?https?:|@import|url\(/); // self-contained: nothing loaded from anywhere
    // SageMaker metric definitions read fixed name=value lines.
    expect(lines.some((l) => /^epoch=\d+ train_loss=[\d.]+ train_accuracy=[\d.]+ validation_loss=[\d.]+ validation_accuracy=[\d.]+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^test_accuracy=[\d.]+ /.test(l))).toBe(true);
  }, 240_000);

  it('honours the SageMaker training container contract', async () => {
    const root = await mkdtemp(join(tmpdir(), 'petal-opt-ml-'));
    await makeImageFolder(THREE_COLOURS, 6, { root: join(root, 'input/data/train') });
    await makeImageFolder(THREE_COLOURS, 2, { root: join(root, 'input/data/test') });
    await mkdir(join(root, 'input/config'), { recursive: true });
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify({ ...quick, epochs: '"3"', seed: '11', 'model-version': 'sm' }));
    const first = await runCli(['train', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const model = await readArtifact(join(root, 'model'));
    expect(model.manifest.training.hyperparameters.epochs).toBe(3);
    expect(model.manifest.dataset.split.test).toBe(6); // the test channel, not a share of train
    expect(existsSync(join(root, 'model/model.tar.gz'))).toBe(false); // SageMaker packs /opt/ml/model itself
    expect(first.stdout).toMatch(/^test_accuracy=/m);

    // The optional `model` channel continues from a previous model.tar.gz.
    const previous = await mkdtemp(join(tmpdir(), 'petal-prev-'));
    await train({ dataDir: join(root, 'input/data/train'), outDir: previous, hyperparameters: parseHyperparameters({ ...quick, 'model-version': 'prev' }), quiet: true, log: () => undefined });
    await mkdir(join(root, 'input/data/model'));
    await copyFile(join(previous, 'model.tar.gz'), join(root, 'input/data/model/model.tar.gz'));
    const second = await runCli(['train', '--quiet'], { PETAL_SAGEMAKER_ROOT: root });
    expect(second.code).toBe(0);
    expect((await readArtifact(join(root, 'model'))).manifest.training.continuedFrom).toEqual({ name: 'flower-classifier', version: 'prev' });

    // A bad hyperparameter fails the job with the reason in /opt/ml/output/failure.
    await writeFile(join(root, 'input/config/hyperparameters.json'), JSON.stringify({ epochs: 'lots' }));
    const failed = await runCli(['train'], { PETAL_SAGEMAKER_ROOT: root });
    expect(failed.code).not.toBe(0);
    expect(await readFile(join(root, 'output/failure'), 'utf8')).toMatch(/epochs/);
  }, 240_000);

  it('fails with a clear message and usage on bad input', async () => {
    const one = await makeImageFolder({ only: [10, 20, 30] }, 2);
    const result = await runCli(['--data', one, '--out', join(tmpdir(), 'petal-never')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/training needs at least 2/);
    expect(result.stderr).toMatch(/usage: npm run train/);
    const missing = await runCli(['--out', 'x']);
    expect(missing.stderr).toMatch(/--data and --out are required/);
  }, 60_000);
});
