/**
 * The model on its own, in-process: one 256×256 JPEG through decode + preprocess + backbone + head
 * (single call, warm), the batch path, and the ONNX Runtime vs TF.js-wasm serving paths side by side.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel } from '@petal/model';
import { DATA_DIR as dataDir, MODEL_DIR as modelDir } from '@petal/stack';
import type { BenchSection } from './types.js';

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: q(0.5), p99: q(0.99) };
}

async function photos(n: number): Promise<Buffer[]> {
  if (!existsSync(dataDir)) throw new Error(`no data set at ${dataDir} (set PETAL_DATA_DIR)`);
  const out: Buffer[] = [];
  for (const cls of (await readdir(dataDir)).sort()) {
    for (const f of (await readdir(join(dataDir, cls))).sort().slice(0, Math.ceil(n / 3))) out.push(await readFile(join(dataDir, cls, f)));
  }
  return out.slice(0, n);
}

export async function run(): Promise<BenchSection[]> {
  const images = await photos(96);
  const model = await loadModel(modelDir);
  try {
    for (const img of images.slice(0, 20)) await model.classify(img);
    const single: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await model.classify(images[i % images.length]!);
      single.push(performance.now() - t);
    }
    const batchRows: Array<Record<string, string | number>> = [];
    for (const size of [8, 32]) {
      const t = performance.now();
      let n = 0;
      for (let r = 0; r < 3; r++) {
        for (let i = 0; i + size <= images.length; i += size) {
          await model.classifyBatch(images.slice(i, i + size));
          n += size;
        }
      }
      batchRows.push({ path: `classifyBatch(${size})`, 'images/s': Number((n / ((performance.now() - t) / 1000)).toFixed(1)) });
    }
    const concurrent = performance.now();
    await Promise.all([0, 1].map(async (w) => {
      for (let i = w; i < 192; i += 2) await model.classify(images[i % images.length]!);
    }));
    batchRows.push({ path: 'classify × 2 concurrent callers', 'images/s': Number((192 / ((performance.now() - concurrent) / 1000)).toFixed(1)) });
    const s = stats(single);
    return [
      {
        title: 'model: classify one 256×256 JPEG (decode + preprocess + backbone + head, warm, single call)',
        rows: [{ model: `${model.identity.name}@${model.identity.version}`, calls: single.length, 'median ms': Number(s.median.toFixed(2)), 'p99 ms': Number(s.p99.toFixed(2)) }],
        notes: [`${model.manifest.backbone.featureDim} features from ${model.manifest.backbone.featureLayers.length} layers; ONNX Runtime, one session for backbone + head`],
      },
      { title: 'model: batch path throughput', rows: batchRows },
    ];
  } finally {
    await model.dispose();
  }
}
