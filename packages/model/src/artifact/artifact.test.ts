import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import type { HeadWeights } from '../backbone/index.js';
import { FORMAT_VERSION, ModelArtifactError, parseManifest } from './manifest.js';
import { attachMetrics, readArtifact, saveArtifact, type ManifestDraft } from './store.js';

const dim = 8;
const head: HeadWeights = {
  inputDim: dim,
  normalization: { mean: Float32Array.from({ length: dim }, (_, i) => i / 10), std: new Float32Array(dim).fill(2) },
  layers: [
    { units: 4, activation: 'relu', kernel: Float32Array.from({ length: dim * 4 }, (_, i) => Math.sin(i)), bias: new Float32Array([1, 2, 3, 4]) },
    { units: 3, activation: 'softmax', kernel: Float32Array.from({ length: 12 }, (_, i) => i - 6), bias: new Float32Array([0.5, 0, -0.5]) },
  ],
};

const draft: ManifestDraft = {
  name: 'flower-classifier',
  version: '1.2.3',
  createdAt: '2026-11-24T00:00:00.000Z',
  labels: [
    { index: 0, key: 'astilbe', no: 0 },
    { index: 1, key: 'bellflower', no: 1 },
    { index: 2, key: 'black_eyed_susan', no: 2 },
  ],
  input: { size: 224, resize: 'squash', scale: [0, 1], channels: 'RGB', layout: 'HWC' },
  backbone: { id: 'nsfwjs/mobilenet_v2', fingerprint: 'nsfwjs@4.4.0+sha256:abc', featureLayers: ['out_relu'], featureDim: dim },
  head: { architecture: { normalization: true, dropout: 0.2, layers: [{ units: 4, activation: 'relu' }, { units: 3, activation: 'softmax' }] } },
  training: { hyperparameters: { epochs: 5 }, seed: 1, durationMs: 10 },
  dataset: { fingerprint: 'sha256:x', source: 'data', classes: { astilbe: 1, bellflower: 1, black_eyed_susan: 1 }, skipped: 0, split: { train: 1, validation: 1, test: 1 } },
  metrics: { testAccuracy: 1, testSize: 1, validationAccuracy: 1, macroF1: 1 },
};

async function saved() {
  const dir = await mkdtemp(join(tmpdir(), 'petal-artifact-'));
  return saveArtifact(dir, draft, head, { metrics: { accuracy: 1 }, reportHtml: '<p>r</p>' });
}

describe('model artifact', () => {
  it('round-trips manifest and head weights through a directory and its model.tar.gz', async () => {
    const { dir, manifest, archive } = await saved();
    expect(manifest.formatVersion).toBe(FORMAT_VERSION);
    expect(manifest.head.weights.tensors.map((t) => t.name)).toEqual([
      'normalization/mean',
      'normalization/std',
      'dense_0/kernel',
      'dense_0/bias',
      'dense_1/kernel',
      'dense_1/bias',
    ]);
    for (const location of [dir, archive!]) {
      const loaded = await readArtifact(location);
      expect(loaded.manifest).toEqual(manifest);
      expect(loaded.head).toEqual(head);
    }
  });

  it('saves a model before it is evaluated (no metrics), with extra files, and attaches metrics later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petal-artifact-'));
    const { metrics: _omitted, ...unevaluated } = draft;
    const saved = await saveArtifact(dir, unevaluated, head, { files: { 'test-split.json': '{"files":[]}\n' } });
    expect(saved.manifest.metrics).toBeUndefined();
    expect(saved.files.sort()).toEqual(['head.bin', 'manifest.json', 'test-split.json']);
    expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
    const listed: string[] = [];
    await tar.list({ file: saved.archive!, onReadEntry: (e) => listed.push(e.path) });
    expect(listed.sort()).toEqual(['head.bin', 'manifest.json', 'test-split.json']);
    expect((await readArtifact(saved.archive!)).manifest.metrics).toBeUndefined();

    const headBefore = await readFile(join(dir, 'head.bin'));
    const updated = await attachMetrics(dir, { testAccuracy: 0.5, testSize: 2, macroF1: 0.4 });
    expect(updated.metrics).toEqual({ testAccuracy: 0.5, testSize: 2, macroF1: 0.4 });
    const reread = await readArtifact(dir);
    expect(reread.manifest).toEqual({ ...saved.manifest, metrics: updated.metrics });
    expect(reread.head).toEqual(head);
    expect(await readFile(join(dir, 'head.bin'))).toEqual(headBefore);
    await expect(attachMetrics(dir, { testAccuracy: 'high' } as never)).rejects.toThrow(/metrics.testAccuracy/);
    await expect(saveArtifact(dir, unevaluated, head, { files: { 'head.bin': 'x' } })).rejects.toThrow(/head.bin is given twice/);
  });

  it('refuses an unknown format version with a message that says what to do', async () => {
    const { dir } = await saved();
    const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...json, formatVersion: FORMAT_VERSION + 1 }));
    await expect(readArtifact(dir)).rejects.toThrow(/format version 2 is not supported .* upgrade Petal/);
  });

  it('refuses a manifest with missing or inconsistent fields', async () => {
    expect(() => parseManifest({ formatVersion: FORMAT_VERSION, name: 'x' })).toThrow(ModelArtifactError);
    const { dir } = await saved();
    const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(() => parseManifest({ ...json, labels: json.labels.slice(0, 2) })).toThrow(/last layer must be a softmax with one unit per label/);
    expect(() => parseManifest({ ...json, labels: [json.labels[0], { ...json.labels[1], index: 5 }, json.labels[2]] })).toThrow(/without gaps/);
    expect(() => parseManifest({ ...json, backbone: { ...json.backbone, featureDim: 'many' } })).toThrow(/backbone.featureDim/);
  });

  it('refuses corrupt or missing weights, a missing manifest and junk archives', async () => {
    const { dir } = await saved();
    const bytes = await readFile(join(dir, 'head.bin'));
    bytes[5] = bytes[5]! ^ 0xff;
    await writeFile(join(dir, 'head.bin'), bytes);
    await expect(readArtifact(dir)).rejects.toThrow(/does not match the sha256/);
    await rm(join(dir, 'head.bin'));
    await expect(readArtifact(dir)).rejects.toThrow(/missing the head weights file head.bin/);
    await rm(join(dir, 'manifest.json'));
    await expect(readArtifact(dir)).rejects.toThrow(/has no manifest.json/);
    await writeFile(join(dir, 'model.tar.gz'), 'not a tarball');
    await expect(readArtifact(join(dir, 'model.tar.gz'))).rejects.toThrow(/cannot unpack/);
    await expect(readArtifact(join(dir, 'nope'))).rejects.toThrow(/does not exist/);
    await writeFile(join(dir, 'manifest.json'), '{not json');
    await expect(readArtifact(dir)).rejects.toThrow(/not valid JSON/);
  });

  it('loads an archive of plain files, and refuses one whose weights file is a link out of the model', async () => {
    const { dir, archive } = await saved();
    expect((await readArtifact(archive!)).manifest.name).toBeTruthy();
    // The same files, but head.bin a symlink to a file elsewhere: a path check on the text alone passes it.
    const outside = await mkdtemp(join(tmpdir(), 'petal-outside-'));
    const packed = await mkdtemp(join(tmpdir(), 'petal-linked-'));
    try {
      await writeFile(join(outside, 'secret.bin'), await readFile(join(dir, 'head.bin')));
      await writeFile(join(packed, 'manifest.json'), await readFile(join(dir, 'manifest.json')));
      await symlink(join(outside, 'secret.bin'), join(packed, 'head.bin'));
      const linked = join(packed, 'model.tar.gz');
      await tar.create({ gzip: true, file: linked, cwd: packed }, ['manifest.json', 'head.bin']);
      await expect(readArtifact(linked)).rejects.toThrow(/not plain files or folders: head\.bin \(SymbolicLink\)/);
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(packed, { recursive: true, force: true });
    }
  });
});
