import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { locateBackbone, readArtifact, saveArtifact, type ManifestDraft } from '@petal/model';
import { REPO_ROOT, repoPath } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededHead } from './testing/fixtures.js';

const run = promisify(execFile);
const CLI = path.join(import.meta.dirname, 'prepare-cli.ts');
const SHIPPED = repoPath('models/flower-classifier');
const converterAbsent = async () => undefined;

/** `npm run model:prepare -- …args` as the root script runs it; never rejects, returns what happened. */
async function prepare(args: string[], cacheDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, '--cache-dir', cacheDir, ...args], {
      cwd: REPO_ROOT,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm run model:prepare -- --model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'petal-prepare-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("prepares exactly the backbone a model's manifest names (here two layers, from a model.tar.gz), for the runtime to find", async () => {
    const { manifest } = await readArtifact(SHIPPED);
    // A head of its own, without the shipped model's out-of-scope score (whose weights fit 7232 features).
    const { outOfScope: _calibration, ...plain } = manifest;
    const featureLayers = ['block_16_depthwise_relu', 'out_relu'];
    const draft: ManifestDraft = {
      ...plain,
      name: 'two-layer-test',
      backbone: { ...manifest.backbone, featureLayers, featureDim: 960 + 1280 },
      head: { architecture: { ...manifest.head.architecture, layers: [{ units: 3, activation: 'softmax' }] } },
    };
    const saved = await saveArtifact(path.join(dir, 'two-layer'), draft, seededHead(960 + 1280, 3, 1));
    const cacheDir = path.join(dir, 'cache-two-layer');

    const first = await prepare(['--model', saved.archive!], cacheDir);
    expect(first.code, first.stderr).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out).toMatchObject({ model: expect.stringMatching(/^two-layer-test@/), featureLayers, featureDim: 2240, fingerprint: manifest.backbone.fingerprint, generated: true });
    // What the endpoint does at start-up, with no converter to fall back on.
    const spec = { id: manifest.backbone.id, inputSize: manifest.input.size, featureLayers };
    expect(await locateBackbone(spec, { cacheDir, fingerprint: manifest.backbone.fingerprint, converter: converterAbsent })).toMatchObject({
      onnxPath: out.onnxPath,
      featureDim: 2240,
    });
    const again = JSON.parse((await prepare(['--model', saved.dir], cacheDir)).stdout);
    expect(again).toMatchObject({ onnxPath: out.onnxPath, generated: false });
  }, 120_000);

  it('refuses a model trained on other backbone weights, naming both', async () => {
    const copy = path.join(dir, 'other-weights');
    await cp(SHIPPED, copy, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8'));
    await writeFile(path.join(copy, 'manifest.json'), JSON.stringify({ ...manifest, backbone: { ...manifest.backbone, fingerprint: 'nsfwjs@0.0.1:deadbeef' } }));
    const result = await prepare(['--model', copy], path.join(dir, 'cache-other'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/model:prepare: model flower-classifier@\S+ needs backbone weights nsfwjs@0\.0\.1:deadbeef, but the installed backbone is nsfwjs@/);
  }, 60_000);

  it('says what is wrong with its arguments', async () => {
    const both = await prepare(['--model', SHIPPED, '--layers', 'out_relu'], path.join(dir, 'cache-usage'));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--model takes the backbone from the model/);
    const missing = await prepare(['--model', path.join(dir, 'nowhere')], path.join(dir, 'cache-usage'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/model location .*nowhere does not exist/);
  }, 60_000);
});
