import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR as dataDir, MODEL_DIR as modelDir } from '@petal/stack';
import sharp from 'sharp';
import { rssAfterGc } from './testing/memory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelArtifactError } from './artifact/manifest.js';
import { loadModel } from './classifier.js';
import type { LoadedModel } from './types.js';

const hasModel = existsSync(join(modelDir, 'manifest.json'));

describe.skipIf(!hasModel)('loadModel with the shipped model', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(modelDir);
  }, 120_000);
  afterAll(() => model?.dispose());

  it('classifies encoded images, batches and preprocessed tensors consistently', async () => {
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 60, b: 120 } } }).jpeg().toBuffer();
    const one = await model.classify(jpeg);
    expect(one.labels).toEqual(['astilbe', 'bellflower', 'black_eyed_susan']);
    expect(one.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(one.topK[0]!.probability).toBe(Math.max(...one.probabilities));
    const [a, b] = await model.classifyBatch([jpeg, jpeg]);
    for (const r of [a!, b!]) r.probabilities.forEach((p, i) => expect(p).toBeCloseTo(one.probabilities[i]!, 5));
    await expect(model.classifyPixels(new Float32Array(10), 1)).rejects.toThrow(RangeError);
  });

  it('gives the same answers with spin-waiting runtime threads (the endpoint default)', async () => {
    const spinning = await loadModel(modelDir, { spinning: true });
    try {
      const photos = (await readdir(join(dataDir, 'astilbe'))).filter((f) => f.endsWith('.jpg')).slice(0, 3);
      const images = await Promise.all(photos.map((f) => readFile(join(dataDir, 'astilbe', f))));
      const [plain, spun] = [await model.classifyBatch(images), await spinning.classifyBatch(images)];
      spun.forEach((r, i) => {
        expect(r.probabilities).toEqual(plain[i]!.probabilities);
        expect(r.outOfScope?.score).toBe(plain[i]!.outOfScope?.score);
      });
    } finally {
      await spinning.dispose();
    }
  }, 60_000);

  it.skipIf(!existsSync(dataDir))('names photos of each class', async () => {
    for (const key of model.labels) {
      const files = (await readdir(join(dataDir, key))).sort().slice(-8);
      const results = await model.classifyBatch(await Promise.all(files.map((f) => readFile(join(dataDir, key, f)))));
      const right = results.filter((r) => r.topK[0]!.label === key).length;
      expect(right, key).toBeGreaterThanOrEqual(7);
    }
  });

  it('keeps memory flat over a thousand calls', async () => {
    const jpeg = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
    for (let i = 0; i < 100; i++) await model.classify(jpeg);
    const before = rssAfterGc();
    for (let i = 0; i < 1000; i++) await model.classify(jpeg);
    const grown = rssAfterGc() - before;
    console.log(`rss grew ${(grown / 1048576).toFixed(1)} MiB over 1000 calls`);
    expect(grown).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);

  it('refuses a model trained on other backbone weights, or another backbone', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'petal-mismatch-'));
    await cp(modelDir, copy, { recursive: true });
    const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8'));
    await writeFile(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, backbone: { ...manifest.backbone, fingerprint: 'nsfwjs@0.0.1:deadbeef' } }));
    await expect(loadModel(copy)).rejects.toThrow(/needs backbone weights nsfwjs@0.0.1:deadbeef, but the installed backbone is/);
    await writeFile(join(copy, 'manifest.json'), JSON.stringify({ ...manifest, backbone: { ...manifest.backbone, id: 'keras/resnet50' } }));
    await expect(loadModel(copy)).rejects.toBeInstanceOf(ModelArtifactError);
    await expect(loadModel(copy)).rejects.toThrow(/trained on backbone "keras\/resnet50"/);
  });
});
