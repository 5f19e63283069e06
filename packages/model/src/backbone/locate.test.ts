import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoPath } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../artifact/store.js';
import type { BackboneConverter } from './converter-plugin.js';
import { convertedBackboneEntry, writeConvertedBackbone } from './converted-cache.js';
import { createFeatureExtractor } from './create-extractor.js';
import { locateBackbone } from './locate.js';
import { onnx, valueInfo } from './onnx-proto.js';
import { BackboneNotPreparedError, DEFAULT_BACKBONE, FEATURES_OUTPUT, type BackboneSpec, type PreparedBackbone } from './spec.js';

const SHIPPED_MODEL = repoPath('models/flower-classifier');

/** A stand-in "converted backbone": the per-channel mean of the image, [N, S, S, 3] → [N, 3]. */
function meanColourGraph(size: number): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mean-colour',
      node: [
        {
          opType: 'ReduceMean',
          input: ['input'],
          output: [FEATURES_OUTPUT],
          attribute: [
            { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 2] },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
          ],
        },
      ],
      input: [valueInfo('input', ['N', size, size, 3])],
      output: [valueInfo(FEATURES_OUTPUT, ['N', 3])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** A converter that must not be reached, or one that records that it was. */
const noConverter = async () => undefined;
function recordingConverter(result: PreparedBackbone): { loader: () => Promise<BackboneConverter>; calls: BackboneSpec[] } {
  const calls: BackboneSpec[] = [];
  const converter: BackboneConverter = {
    prepareBackbone: async (spec) => (calls.push(spec), result),
    createTfjsFeatureExtractor: () => Promise.reject(new Error('not in this test')),
  };
  return { loader: async () => converter, calls };
}

describe('locateBackbone: converted backbones at run time', () => {
  const spec: BackboneSpec = { id: 'test/mean-colour', inputSize: 4, featureLayers: ['mean'], source: { kind: 'tfjs', modelJson: '/nowhere/model.json' } };
  const fingerprint = 'mean-colour:0123456789abcdef';
  let dir: string;
  let prepared: PreparedBackbone;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'petal-locate-'));
    prepared = await writeConvertedBackbone(convertedBackboneEntry(spec, fingerprint, dir), meanColourGraph(4), { featureDim: 3, source: 'test' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds a prepared graph by weights fingerprint, with no converter installed', async () => {
    const found = await locateBackbone(spec, { cacheDir: dir, fingerprint, converter: noConverter });
    expect(found).toEqual({ ...prepared, generated: false });
    const fx = await createFeatureExtractor(spec, { cacheDir: dir, fingerprint });
    try {
      const pixels = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => [0.25, 0.5, 1][i % 3]!);
      expect(Array.from(await fx.extract(pixels, 1))).toEqual([0.25, 0.5, 1]);
      expect(fx.fingerprint).toBe(fingerprint);
    } finally {
      await fx.dispose();
    }
  });

  it('without a converter, a miss names the backbone, the cache and the command that prepares it', async () => {
    const other = { ...spec, featureLayers: ['other'] };
    const miss = locateBackbone(other, { cacheDir: dir, fingerprint, converter: noConverter });
    await expect(miss).rejects.toBeInstanceOf(BackboneNotPreparedError);
    await expect(miss).rejects.toThrow(`backbone test/mean-colour (1 feature layers, 4px) with weights ${fingerprint} is not prepared in ${dir}`);
    await expect(miss).rejects.toThrow('npm run model:prepare -- --model <model dir or model.tar.gz>');
    await expect(locateBackbone(spec, { cacheDir: dir, converter: noConverter })).rejects.toThrow(/without its weights fingerprint.*pass the fingerprint/);
  });

  it('hands a miss (absent, or damaged on disk) to the converter where one is installed', async () => {
    const { loader, calls } = recordingConverter({ ...prepared, generated: true });
    expect(await locateBackbone(spec, { cacheDir: dir, fingerprint: 'mean-colour:other-weights', converter: loader })).toMatchObject({ generated: true });
    expect(calls).toEqual([spec]);

    const bytes = await readFile(prepared.onnxPath);
    await writeFile(prepared.onnxPath, bytes.subarray(0, bytes.length >> 1)); // torn by some crash
    try {
      await expect(locateBackbone(spec, { cacheDir: dir, fingerprint, converter: noConverter })).rejects.toBeInstanceOf(BackboneNotPreparedError);
      await locateBackbone(spec, { cacheDir: dir, fingerprint, converter: loader });
      expect(calls).toHaveLength(2);
    } finally {
      await writeFile(prepared.onnxPath, bytes);
    }
  });
});

describe('DEFAULT_BACKBONE', () => {
  it('is the backbone the shipped model was trained on, so preparing the default serves it', async () => {
    const { manifest } = await readArtifact(SHIPPED_MODEL);
    expect(manifest.backbone.id).toBe(DEFAULT_BACKBONE.id);
    expect(manifest.backbone.featureLayers).toEqual(DEFAULT_BACKBONE.featureLayers);
    expect(manifest.input.size).toBe(DEFAULT_BACKBONE.inputSize);
  });
});
