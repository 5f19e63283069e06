/**
 * The model on its own, in-process: one 256×256 JPEG through decode + preprocess + backbone + head
 * (single call, warm), the batch path, and the ONNX Runtime vs TF.js-wasm serving paths side by side.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadModel, type LoadedModel } from '@petal/model';
import { writeUncalibratedCopy } from '@petal/model/testing/artifacts';
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
      ...(model.outOfScope ? [await scoreCost(model, images)] : []),
      ...(await targets()),
    ];
  } finally {
    await model.dispose();
  }
}

/**
 * What the out-of-scope score costs a classification: the shipped model against the same model written
 * without its calibration (the model as it served before the score), calls interleaved so both see the
 * same machine load, and their ratio (#14's target: at most 1.5×).
 */
async function scoreCost(model: LoadedModel, images: Buffer[]): Promise<BenchSection> {
  const dir = await mkdtemp(join(tmpdir(), 'petal-bench-uncalibrated-'));
  try {
    await writeUncalibratedCopy(modelDir, dir);
    const plain = await loadModel(dir);
    try {
      for (const img of images.slice(0, 10)) await plain.classify(img);
      const withScore: number[] = [];
      const without: number[] = [];
      for (let i = 0; i < 400; i++) {
        const img = images[i % images.length]!;
        const [first, second, out1, out2] = i % 2 ? [model, plain, withScore, without] : [plain, model, without, withScore];
        let t = performance.now();
        await first.classify(img);
        out1.push(performance.now() - t);
        t = performance.now();
        await second.classify(img);
        out2.push(performance.now() - t);
      }
      const a = stats(withScore);
      const b = stats(without);
      return {
        title: 'model: the out-of-scope score’s cost (classify one photo, interleaved calls)',
        rows: [
          { model: 'with the score (shipped)', calls: withScore.length, 'median ms': Number(a.median.toFixed(2)), 'p99 ms': Number(a.p99.toFixed(2)) },
          { model: 'same head, no score (pre-#14 form)', calls: without.length, 'median ms': Number(b.median.toFixed(2)), 'p99 ms': Number(b.p99.toFixed(2)) },
          { model: 'ratio (target ≤ 1.5)', calls: '', 'median ms': Number((a.median / b.median).toFixed(3)), 'p99 ms': Number((a.p99 / b.p99).toFixed(3)) },
        ],
      };
    } finally {
      await plain.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The model targets as the shipped model's own evaluation and training recorded them. */
async function targets(): Promise<BenchSection[]> {
  const path = join(modelDir, 'metrics.json');
  if (!existsSync(path)) return [];
  const metrics = JSON.parse(await readFile(path, 'utf8')) as { targets?: Array<{ name: string; value: number; goal: string; met: boolean }> };
  if (!metrics.targets) return [];
  return [
    {
      title: 'model: #14 targets, from the shipped model’s training run and evaluation (models/flower-classifier/metrics.json)',
      rows: metrics.targets.map((t) => ({ target: t.name, value: Number(t.value.toFixed(4)), goal: t.goal, met: t.met ? 'yes' : 'NO' })),
      notes: ['Training wall time is what the recorded run measured on its machine (shared, loaded); rerun `npm run train` to measure here.'],
    },
  ];
}
