import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeUncalibratedCopy } from '@petal/model/testing/artifacts';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluationDocumentSchema } from './evaluation-file.js';
import { generateOutOfScopeSet, readOutOfScopeFolder } from './out-of-scope-set.js';
import { makeImageFolder, runJob, THREE_COLOURS } from './testing/index.js';

const TRAIN_CLI = 'ml/training/src/cli.ts';
const EVALUATE_CLI = 'ml/evaluation/src/cli.ts';
const tmp = () => mkdtemp(join(tmpdir(), 'petal-ood-eval-'));

describe('the generated out-of-scope set', () => {
  it('is made at run time, the same on every run, of every kind it promises', async () => {
    const a = await generateOutOfScopeSet();
    const b = await generateOutOfScopeSet();
    expect(a.map((i) => i.id)).toEqual(b.map((i) => i.id));
    a.forEach((image, i) => expect(Buffer.compare(Buffer.from(image.bytes), Buffer.from(b[i]!.bytes)), image.id).toBe(0));
    const kinds = new Set(a.map((i) => i.kind));
    for (const kind of ['noise', 'solid', 'gradient', 'render']) expect(kinds).toContain(kind);
    expect(a.map((i) => i.id)).toContain('generated/solid/red-1x1.png');
    // Every image decodes.
    for (const image of a) expect((await sharp(image.bytes).metadata()).width, image.id).toBeGreaterThan(0);
  });

  it('reads a folder recursively, images only, named by their path under it', async () => {
    const dir = await tmp();
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'a.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } }).png().toBuffer());
    await writeFile(join(dir, 'notes.txt'), 'not an image');
    expect((await readOutOfScopeFolder(dir)).map((i) => i.id)).toEqual(['sub/a.png']);
  });
});

describe('evaluation with --ood', () => {
  let data: string;
  let modelDir: string;
  let oodDir: string;
  beforeAll(async () => {
    data = await makeImageFolder(THREE_COLOURS, 8);
    modelDir = join(await tmp(), 'model');
    const trained = await runJob(TRAIN_CLI, [
      '--data', data, '--out', modelDir, '--train-only', '--quiet',
      '--max-iterations', '6', '--augment', '1', '--test-split', '0.25', '--validation-split', '0.25', '--seed', '5',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    oodDir = await tmp();
    const noise = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 2654435761) % 256));
    await writeFile(join(oodDir, 'noise.png'), await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer());
    await writeFile(join(oodDir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]));
  }, 120_000);

  it('reports the in-scope rate and each out-of-scope set’s rates in evaluation.json, the report and its log', async () => {
    const out = await tmp();
    const run = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet', '--ood', oodDir, '--ood', 'generated']);
    expect(run.code, run.stderr).toBe(0);
    const document = evaluationDocumentSchema.parse(JSON.parse(await readFile(join(out, 'evaluation.json'), 'utf8')));
    const section = document.out_of_scope!;
    expect(section.calibrated).toBe(true);
    expect(section.confidence_threshold).toBe(0.6);
    expect(section.in_scope.size).toBe(6);
    expect(section.in_scope.flower + section.in_scope.unsure + section.in_scope.unknown).toBe(6);
    expect(section.sets.map((s) => s.name)).toEqual([oodDir, 'generated']);
    const folder = section.sets[0]!;
    expect(folder).toMatchObject({ size: 1, skipped: ['broken.jpg'] });
    const generated = section.sets[1]!;
    expect(generated.size).toBe((await generateOutOfScopeSet()).length);
    expect(generated.detection_rate).toBeCloseTo((generated.unsure + generated.unknown) / generated.size, 10);
    expect(Object.keys(generated.by_kind)).toEqual(expect.arrayContaining(['noise', 'solid', 'gradient', 'render']));
    expect(generated.missed).toHaveLength(generated.flower);
    expect(run.stdout).toMatch(new RegExp(`^out_of_scope_set=generated size=${generated.size} detection_rate=[\\d.]+ unknown_rate=[\\d.]+ `, 'm'));
    expect(run.stdout).toMatch(/^in_scope_flower_correct_rate=[\d.]+ /m);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('out-of-scope: generated');
    expect(html).toContain('answered unknown or unsure');
  });

  it('judges a model without a calibration from its probabilities alone, and says so', async () => {
    const older = join(await tmp(), 'older');
    await writeUncalibratedCopy(modelDir, older);
    const out = await tmp();
    const run = await runJob(EVALUATE_CLI, ['--model', older, '--data', data, '--out', out, '--quiet', '--ood', 'generated', '--split', join(modelDir, 'test-split.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('out_of_scope_calibrated=false');
    const section = evaluationDocumentSchema.parse(JSON.parse(await readFile(join(out, 'evaluation.json'), 'utf8'))).out_of_scope!;
    expect(section.calibrated).toBe(false);
    expect(section.thresholds).toBeUndefined();
    expect(section.sets[0]!.unknown).toBe(0);
    expect(section.in_scope.unknown).toBe(0);
  });

  it('refuses an --ood folder with no images, and a confidence threshold outside 0–1', async () => {
    const empty = await tmp();
    const out = await tmp();
    const a = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet', '--ood', empty]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--ood .* holds no images/);
    const b = await runJob(EVALUATE_CLI, ['--model', modelDir, '--data', data, '--out', out, '--quiet', '--confidence-threshold', '2']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--confidence-threshold must be a number from 0 to 1');
  });
});
