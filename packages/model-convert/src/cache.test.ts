import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureExtractor, DEFAULT_BACKBONE, type BackboneSpec } from '@petal/model';
import { convertLayersModel } from './converter.js';
import { loadNsfwjsArtifacts } from './layers-model.js';
import { prepareBackbone } from './prepare.js';
import { artifactsOf, buildTinyModel, maxAbsDiff, REPO_ROOT, seededRandom } from './testing/fixtures.js';
import { ensureTfjsWasmBackend } from './tfjs-extractor.js';

const run = promisify(execFile);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'petal-backbone-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectIntact(onnxPath: string): Promise<void> {
  const meta = JSON.parse(await readFile(`${onnxPath}.json`, 'utf8')) as { sha256: string; bytes: number };
  const bytes = await readFile(onnxPath);
  expect(bytes.length).toBe(meta.bytes);
  expect(sha256(bytes)).toBe(meta.sha256);
  const session = await ort.InferenceSession.create(onnxPath);
  expect(session.outputNames).toEqual(['features']);
  await session.release();
}

describe('prepareBackbone cache', () => {
  it('generates once, then reuses the cached file', async () => {
    const cacheDir = path.join(dir, 'reuse');
    const first = await prepareBackbone(DEFAULT_BACKBONE, { cacheDir });
    expect(first).toMatchObject({ generated: true, featureDim: 7232, inputSize: 224 });
    expect(first.fingerprint).toMatch(/^nsfwjs@\d+\.\d+\.\d+:[0-9a-f]{16}$/);
    expect(first.onnxPath.startsWith(cacheDir)).toBe(true);
    const second = await prepareBackbone(DEFAULT_BACKBONE, { cacheDir });
    expect(second).toEqual({ ...first, generated: false });
    await expectIntact(first.onnxPath);
  });

  it('regenerates when the key changes (feature layers) or the cached file is damaged', async () => {
    const cacheDir = path.join(dir, 'key');
    const base = await prepareBackbone(DEFAULT_BACKBONE, { cacheDir });
    const other = await prepareBackbone({ ...DEFAULT_BACKBONE, featureLayers: ['out_relu'] }, { cacheDir });
    expect(other.generated).toBe(true);
    expect(other.featureDim).toBe(1280);
    expect(other.onnxPath).not.toBe(base.onnxPath);

    const bytes = await readFile(base.onnxPath);
    await writeFile(base.onnxPath, bytes.subarray(0, bytes.length >> 1)); // a torn file from some crash
    const repaired = await prepareBackbone(DEFAULT_BACKBONE, { cacheDir });
    expect(repaired).toMatchObject({ generated: true, onnxPath: base.onnxPath });
    await expectIntact(base.onnxPath);
  });

  it('survives concurrent first uses, in one process and across processes', async () => {
    const cacheDir = path.join(dir, 'concurrent');
    const inProcess = await Promise.all([1, 2, 3, 4].map(() => prepareBackbone(DEFAULT_BACKBONE, { cacheDir })));
    expect(new Set(inProcess.map((p) => p.onnxPath)).size).toBe(1);

    // Three processes all forcing a rewrite of the same file at the same time.
    const prepareUrl = pathToFileURL(fileURLToPath(new URL('./prepare.ts', import.meta.url))).href;
    const script = `const m = await import(${JSON.stringify(prepareUrl)}); const r = await m.prepareBackbone(undefined, { cacheDir: ${JSON.stringify(cacheDir)}, force: true }); console.log(JSON.stringify(r));`;
    const outputs = await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', script], { cwd: REPO_ROOT, timeout: 60_000 })),
    );
    const paths = outputs.map((o) => (JSON.parse(o.stdout.trim().split('\n').pop()!) as { onnxPath: string }).onnxPath);
    expect(new Set(paths)).toEqual(new Set([inProcess[0]!.onnxPath]));
    await expectIntact(inProcess[0]!.onnxPath);
    const leftovers = (await readdir(path.dirname(inProcess[0]!.onnxPath))).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  }, 90_000);

  it('names an unknown feature layer', async () => {
    await expect(prepareBackbone({ ...DEFAULT_BACKBONE, featureLayers: ['block_99_add'] }, { cacheDir: path.join(dir, 'bad') })).rejects.toThrow(
      /feature layer "block_99_add"/,
    );
  });
});

describe('user-supplied backbones', () => {
  let modelDir: string;
  let spec: BackboneSpec;

  async function saveTinyModel(seed: number): Promise<void> {
    const model = buildTinyModel(seed);
    const artifacts = await artifactsOf(model, 'tiny');
    model.dispose();
    await writeFile(path.join(modelDir, 'weights.bin'), artifacts.weightData);
    await writeFile(
      path.join(modelDir, 'model.json'),
      JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }),
    );
  }

  beforeAll(async () => {
    await ensureTfjsWasmBackend();
    modelDir = path.join(dir, 'tiny-tfjs');
    await mkdir(modelDir, { recursive: true });
    await saveTinyModel(1);
    spec = { id: 'test/tiny', inputSize: 21, featureLayers: ['add1', 'gap'], source: { kind: 'tfjs', modelJson: path.join(modelDir, 'model.json') } };
  });

  it('converts a TF.js model.json from disk; both runtimes agree; new weights mean a new cache entry', async () => {
    const cacheDir = path.join(dir, 'tfjs');
    const first = await prepareBackbone(spec, { cacheDir });
    expect(first).toMatchObject({ generated: true, featureDim: 16 + 12, inputSize: 21 });

    const rand = seededRandom(5);
    const pixels = Float32Array.from({ length: 4 * 21 * 21 * 3 }, () => rand());
    const onnxFx = await createFeatureExtractor(spec, { cacheDir });
    const tfjsFx = await createFeatureExtractor(spec, { runtime: 'tfjs' });
    expect(onnxFx.fingerprint).toBe(tfjsFx.fingerprint);
    expect(maxAbsDiff(await onnxFx.extract(pixels, 4), await tfjsFx.extract(pixels, 4))).toBeLessThan(1e-5);
    await Promise.all([onnxFx.dispose(), tfjsFx.dispose()]);

    await saveTinyModel(2); // retrained weights, same topology
    const second = await prepareBackbone(spec, { cacheDir });
    expect(second.generated).toBe(true);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(second.onnxPath).not.toBe(first.onnxPath);
  });

  describe('ONNX backbones, by path and by URL', () => {
    let onnxPath: string;
    let noFeatures: string;
    let server: Server;
    let baseUrl: string;
    let hits = 0;

    beforeAll(async () => {
      onnxPath = (await prepareBackbone(DEFAULT_BACKBONE, { cacheDir: path.join(dir, 'onnx-src') })).onnxPath;
      noFeatures = path.join(dir, 'no-features.onnx');
      const artifacts = await loadNsfwjsArtifacts();
      await writeFile(noFeatures, convertLayersModel(artifacts, { modelOutputs: true }).onnx);
      const body = await readFile(onnxPath);
      server = createServer((req, res) => {
        hits++;
        if (req.url === '/models/backbone.onnx') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
        else res.writeHead(404).end('not found');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('uses a local ONNX file as is and gives the same features as the built-in path', async () => {
      const user: BackboneSpec = { id: 'user/onnx', inputSize: 224, featureLayers: [], source: { kind: 'onnx', path: onnxPath } };
      const fx = await createFeatureExtractor(user);
      expect(fx.featureDim).toBe(7232);
      expect(fx.fingerprint).toMatch(/\.onnx:[0-9a-f]{16}$/);
      await fx.dispose();
      await expect(createFeatureExtractor(user, { runtime: 'tfjs' })).rejects.toThrow(/ONNX model.*TF\.js/);
    });

    it('downloads an http(s) backbone once into the cache', async () => {
      const cacheDir = path.join(dir, 'downloads');
      const user: BackboneSpec = { id: 'user/url', inputSize: 224, featureLayers: [], source: { kind: 'onnx', path: `${baseUrl}/models/backbone.onnx` } };
      const first = await prepareBackbone(user, { cacheDir });
      expect(first).toMatchObject({ generated: true, featureDim: 7232 });
      expect(first.onnxPath.startsWith(cacheDir)).toBe(true);
      const hitsAfterFirst = hits;
      expect((await prepareBackbone(user, { cacheDir })).generated).toBe(false);
      expect(hits).toBe(hitsAfterFirst);
      const missing = { ...user, source: { kind: 'onnx' as const, path: `${baseUrl}/nope.onnx` } };
      await expect(prepareBackbone(missing, { cacheDir })).rejects.toThrow(/HTTP 404/);
    });

    it('refuses an ONNX backbone without a "features" output, saying which name it needs', async () => {
      const user: BackboneSpec = { id: 'user/bad', inputSize: 224, featureLayers: [], source: { kind: 'onnx', path: noFeatures } };
      await expect(prepareBackbone(user)).rejects.toThrow(/no output named "features".*dense_3/);
    });
  });
});
