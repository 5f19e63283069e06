/**
 * Test inputs for the backbone tests and benchmark: flower photos from ../shared when present,
 * generated images, seeded heads, and a small TF.js model exercising every layer type the converter knows.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HeadWeights } from '@petal/model';
import { createRng } from '@petal/model/rng';
import { DATA_DIR } from '@petal/stack';
import * as tf from '@tensorflow/tfjs';
import sharp, { type Sharp } from 'sharp';
import type { LayersModelArtifacts, WeightSpec } from '../layers-model.js';

export { REPO_ROOT } from '@petal/stack';

export function flowersDir(): string | undefined {
  return existsSync(DATA_DIR) ? DATA_DIR : undefined;
}

export const NO_FLOWERS_MESSAGE =
  'flower photos not found: put the data set at ../shared/datasets/flowers/<class>/*.jpg next to the repository or set PETAL_DATA_DIR';

/** A deterministic PRNG, so "random" weights and images are the same on every run. */
export const seededRandom = createRng;

async function toPixels(image: Sharp, size: number): Promise<Float32Array> {
  const raw = await image.removeAlpha().resize(size, size, { fit: 'fill' }).raw().toBuffer();
  return Float32Array.from(raw as Uint8Array, (v) => v / 255);
}

/** Up to `limit` flower photos, spread over the classes, as N×size×size×3 [0,1] NHWC. */
export async function flowerPixels(limit: number, size = 224): Promise<{ pixels: Float32Array; n: number; files: string[] } | undefined> {
  const dir = flowersDir();
  if (!dir) return undefined;
  const classes = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const perClass = await Promise.all(
    classes.map(async (c) => (await readdir(path.join(dir, c))).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => path.join(dir, c, f))),
  );
  const files: string[] = [];
  for (let i = 0; files.length < limit && perClass.some((list) => i < list.length); i++) {
    for (const list of perClass) if (i < list.length && files.length < limit) files.push(list[i]!);
  }
  const pixels = new Float32Array(files.length * size * size * 3);
  for (const [i, file] of files.entries()) pixels.set(await toPixels(sharp(file), size), i * size * size * 3);
  return { pixels, n: files.length, files };
}

/** Synthetic photos: gradients, stripes, blobs and noise drawn at odd sizes, JPEG round-tripped, resized. */
export async function generatedPixels(n: number, seed: number, size = 224): Promise<Float32Array> {
  const rand = seededRandom(seed);
  const out = new Float32Array(n * size * size * 3);
  for (let k = 0; k < n; k++) {
    const w = 120 + Math.floor(rand() * 300);
    const h = 120 + Math.floor(rand() * 300);
    const raw = Buffer.alloc(w * h * 3);
    const base = [rand(), rand(), rand()].map((v) => v * 255);
    const freq = 0.01 + rand() * 0.2;
    const cx = rand() * w, cy = rand() * h, radius = 20 + rand() * Math.min(w, h);
    const blob = [rand() * 255, rand() * 255, rand() * 255];
    const noise = rand() * 60;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inBlob = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
        for (let c = 0; c < 3; c++) {
          const wave = 60 * Math.sin((x * (c + 1) + y * (3 - c)) * freq);
          const v = (inBlob ? blob[c]! : base[c]! + wave + (y / h) * 80) + (rand() - 0.5) * noise;
          raw[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    let img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
    if (k % 2 === 0) img = sharp(await img.jpeg({ quality: 80 }).toBuffer());
    out.set(await toPixels(img, size), k * size * size * 3);
  }
  return out;
}

/** A dense softmax head with seeded random weights (optionally a hidden relu layer and normalization). */
export function seededHead(inputDim: number, classes: number, seed: number, hidden?: number): HeadWeights {
  const rand = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const dense = (inDim: number, units: number, activation: 'relu' | 'softmax') => ({
    units,
    activation,
    kernel: Float32Array.from({ length: inDim * units }, () => normal() / Math.sqrt(inDim)),
    bias: Float32Array.from({ length: units }, () => normal() * 0.1),
  });
  const layers = hidden ? [dense(inputDim, hidden, 'relu'), dense(hidden, classes, 'softmax')] : [dense(inputDim, classes, 'softmax')];
  return {
    inputDim,
    normalization: {
      mean: Float32Array.from({ length: inputDim }, () => rand()),
      std: Float32Array.from({ length: inputDim }, () => 0.2 + rand()),
    },
    layers,
  };
}

export function argmaxRows(values: Float32Array, n: number): number[] {
  const k = values.length / n;
  return Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[r * k + j]! > values[r * k + best]!) best = j;
    return best;
  });
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * A small functional model touching every converter path: folded and unfolded ZeroPadding/BN,
 * 'same' stride-2 convolutions with asymmetric padding, depth multiplier 2, an even kernel, ReLU6,
 * Add, both poolings, global pooling, Flatten over a spatial map, Dense, Dropout. Random seeded weights.
 */
export function buildTinyModel(seed: number): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [21, 21, 3], name: 'img' });
  const pad1 = L.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad1' }).apply(input) as tf.SymbolicTensor;
  const c1 = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'c1' }).apply(pad1) as tf.SymbolicTensor;
  const bn1 = L.batchNormalization({ name: 'bn1' }).apply(c1) as tf.SymbolicTensor;
  const r1 = L.reLU({ maxValue: 6, name: 'r1' }).apply(bn1) as tf.SymbolicTensor;
  const dw = L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, useBias: false, name: 'dw' }).apply(r1) as tf.SymbolicTensor;
  const bn2 = L.batchNormalization({ name: 'bn2' }).apply(dw) as tf.SymbolicTensor;
  const r2 = L.reLU({ maxValue: 6, name: 'r2' }).apply(bn2) as tf.SymbolicTensor;
  const c2 = L.conv2d({ filters: 16, kernelSize: 1, padding: 'same', activation: 'relu', name: 'c2' }).apply(r2) as tf.SymbolicTensor;
  const add1 = L.add({ name: 'add1' }).apply([r2, c2]) as tf.SymbolicTensor;
  const bn3 = L.batchNormalization({ name: 'bn3' }).apply(add1) as tf.SymbolicTensor;
  const c3 = L.conv2d({ filters: 12, kernelSize: 4, strides: 2, padding: 'same', name: 'c3' }).apply(bn3) as tf.SymbolicTensor;
  const pad2 = L.zeroPadding2d({ padding: 1, name: 'pad2' }).apply(bn3) as tf.SymbolicTensor;
  const mp = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'mp' }).apply(pad2) as tf.SymbolicTensor;
  const ap = L.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'ap' }).apply(bn3) as tf.SymbolicTensor;
  // Zero padding before an average pool must count as real zeros; before a 'same' max pool, as zeros only where padded.
  const pad3 = L.zeroPadding2d({ padding: [[1, 0], [0, 2]], name: 'pad3' }).apply(bn3) as tf.SymbolicTensor;
  const ap2 = L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'valid', name: 'ap2' }).apply(pad3) as tf.SymbolicTensor;
  const pad4 = L.zeroPadding2d({ padding: [[2, 1], [1, 0]], name: 'pad4' }).apply(add1) as tf.SymbolicTensor;
  const mp2 = L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'mp2' }).apply(pad4) as tf.SymbolicTensor;
  const gap = L.globalAveragePooling2d({ name: 'gap' }).apply(c3) as tf.SymbolicTensor;
  const flat = L.flatten({ name: 'flat' }).apply(mp) as tf.SymbolicTensor;
  const d1 = L.dense({ units: 10, activation: 'relu', name: 'd1' }).apply(flat) as tf.SymbolicTensor;
  const drop = L.dropout({ rate: 0.5, name: 'drop' }).apply(d1) as tf.SymbolicTensor;
  const d2 = L.dense({ units: 4, activation: 'softmax', name: 'd2' }).apply(drop) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [d2, gap, ap, ap2, mp2], name: 'tiny' });

  const rand = seededRandom(seed);
  model.setWeights(
    model.weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const name = w.originalName;
      const values = Float32Array.from({ length: n }, () => {
        if (name.endsWith('moving_variance')) return 0.2 + rand();
        if (name.endsWith('gamma')) return 0.5 + rand();
        return (rand() - 0.5) * 0.8;
      });
      return tf.tensor(values, shape);
    }),
  );
  return model;
}

/** What a model saved to disk as model.json would hold, captured in memory. */
export async function artifactsOf(model: tf.LayersModel, label: string): Promise<LayersModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const data = saved!.weightData!;
  const buffers = Array.isArray(data) ? data : [data];
  return {
    label,
    fingerprint: `${label}:test`,
    modelTopology: saved!.modelTopology as Record<string, unknown>,
    weightSpecs: saved!.weightSpecs as WeightSpec[],
    weightData: new Uint8Array(Buffer.concat(buffers.map((b) => new Uint8Array(b)))),
  };
}
