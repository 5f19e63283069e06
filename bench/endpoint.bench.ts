/**
 * The model endpoint as a client sees it: a real `apps/endpoint` process started by this benchmark on
 * loopback, the real model, real 256×256 flower JPEGs from ../shared/datasets/flowers.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { referenceTensorBody } from '../apps/endpoint/src/testing/images.js';
import { DATA_DIR, MODEL_DIR, freePort, hasModelAt, spawnService, type ServiceProcess } from '@petal/stack';
import { samplePhotos } from '../apps/endpoint/src/testing/start.js';
import type { BenchSection } from './types.js';
import { quantile } from './stats.js';

const ms = (v: number) => Number(v.toFixed(2));

interface Endpoint {
  url: string;
  process: ServiceProcess;
  startToPingMs: number;
  stop(): Promise<void>;
}

async function startEndpoint(env: Record<string, string>): Promise<Endpoint> {
  const port = await freePort();
  const t0 = performance.now();
  // Per-request info logs would make the benchmark measure log writing; warnings still show. Without the
  // "listening" line they would have announced, a port chosen here says where it listens.
  const p = spawnService('endpoint', { MODEL_DIR, LOG_LEVEL: 'warn', PORT: String(port), ...env });
  const url = await p.ready();
  const startToPingMs = performance.now() - t0;
  return {
    url,
    process: p,
    startToPingMs,
    stop: () => p.stop(),
  };
}

async function invoke(url: string, body: Buffer, contentType: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': contentType }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`invocation answered ${res.status}`);
  return performance.now() - t0;
}

/** `total` requests from `concurrency` clients cycling through the bodies; latencies and req/s. */
async function load(url: string, bodies: Buffer[], contentType: string, concurrency: number, total: number) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        latencies.push(await invoke(url, bodies[i % bodies.length]!, contentType));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: total / seconds, median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

async function rssBytes(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^petal_endpoint_process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!match) throw new Error('no resident memory metric');
  return Number(match[1]);
}

export async function run(): Promise<BenchSection[]> {
  if (!hasModelAt(MODEL_DIR)) throw new Error(`no model at ${MODEL_DIR}; train one first (npm run train)`);
  if (!existsSync(DATA_DIR)) throw new Error(`no photos at ${DATA_DIR}; set PETAL_DATA_DIR`);
  const photos = samplePhotos(20);
  const jpegs = await Promise.all(photos.map((p) => readFile(p.path)));
  const sections: BenchSection[] = [];

  // The defaults first (they also give the latency, tensor and memory sections), then the alternatives.
  const configs: Array<{ name: string; env: Record<string, string> }> = [
    { name: 'defaults: MAX_BATCH=4, INFERENCE_CONCURRENCY=1', env: {} },
    { name: 'MAX_BATCH=8, INFERENCE_CONCURRENCY=1', env: { MAX_BATCH: '8', INFERENCE_CONCURRENCY: '1' } },
    { name: 'MAX_BATCH=4, INFERENCE_CONCURRENCY=2', env: { MAX_BATCH: '4', INFERENCE_CONCURRENCY: '2' } },
    { name: 'MAX_BATCH=1, INFERENCE_CONCURRENCY=2', env: { MAX_BATCH: '1', INFERENCE_CONCURRENCY: '2' } },
    { name: 'MAX_BATCH=1, INFERENCE_CONCURRENCY=1 (neither)', env: { MAX_BATCH: '1', INFERENCE_CONCURRENCY: '1' } },
  ];
  const throughputRows: BenchSection['rows'] = [];
  let single: { median: number; p99: number; startToPingMs: number } | undefined;
  let memory: { after100: number; after5000: number } | undefined;
  let tensorRows: BenchSection['rows'] = [];

  for (const [index, config] of configs.entries()) {
    const endpoint = await startEndpoint(config.env);
    try {
      await load(endpoint.url, jpegs, 'image/jpeg', 4, 40); // warm-up
      if (index === 0) {
        const one = await load(endpoint.url, jpegs, 'image/jpeg', 1, 300);
        single = { median: one.median, p99: one.p99, startToPingMs: endpoint.startToPingMs };
      }
      for (const concurrency of [1, 4, 16]) {
        const r = await load(endpoint.url, jpegs, 'image/jpeg', concurrency, concurrency === 1 ? 200 : 400);
        throughputRows.push({ config: config.name, concurrency, 'req/s': ms(r.rps), 'median ms': ms(r.median), 'p99 ms': ms(r.p99) });
      }
      if (index === 0) {
        const tensors = await Promise.all(photos.slice(0, 5).map((p) => referenceTensorBody(p.path, 224)));
        const b64 = jpegs.slice(0, 5).map((j) => Buffer.from(JSON.stringify({ instances: [{ b64: j.toString('base64') }] })));
        const asJpeg = await load(endpoint.url, jpegs.slice(0, 5), 'image/jpeg', 1, 60);
        const asTensor = await load(endpoint.url, tensors, 'application/json', 1, 60);
        const asB64 = await load(endpoint.url, b64, 'application/json', 1, 60);
        const avg = (bs: Buffer[]) => Math.round(bs.reduce((n, b) => n + b.length, 0) / bs.length);
        tensorRows = [
          { request: 'image/jpeg 256×256 (this project)', 'payload bytes': avg(jpegs.slice(0, 5)), 'median ms': ms(asJpeg.median), 'p99 ms': ms(asJpeg.p99), 'vs jpeg': 1 },
          { request: 'JSON {"b64"} of the same JPEG', 'payload bytes': avg(b64), 'median ms': ms(asB64.median), 'p99 ms': ms(asB64.p99), 'vs jpeg': ms(asB64.median / asJpeg.median) },
          { request: 'JSON tensor 224×224×3 (reference)', 'payload bytes': avg(tensors), 'median ms': ms(asTensor.median), 'p99 ms': ms(asTensor.p99), 'vs jpeg': ms(asTensor.median / asJpeg.median) },
        ];
        // Memory: after the first 100 requests of a fresh phase, then after 5,000 more.
        await load(endpoint.url, jpegs, 'image/jpeg', 4, 100);
        const after100 = await rssBytes(endpoint.url);
        await load(endpoint.url, jpegs, 'image/jpeg', 4, 4900);
        const after5000 = await rssBytes(endpoint.url);
        memory = { after100, after5000 };
      }
    } finally {
      await endpoint.stop();
    }
  }

  sections.push({
    title: 'endpoint: one POST /invocations (256×256 JPEG, concurrency 1)',
    rows: [
      { metric: 'latency median ms', value: ms(single!.median) },
      { metric: 'latency p99 ms', value: ms(single!.p99) },
      { metric: 'process start → /ping 200 ms', value: Math.round(single!.startToPingMs) },
    ],
    notes: ['300 sequential requests over keep-alive, after 40 warm-up requests; the process is spawned from TypeScript sources (tsx).'],
  });
  sections.push({
    title: 'endpoint: throughput by client concurrency (2 cores)',
    rows: throughputRows,
    notes: [
      'Same process settings except the named ones; micro-batching only groups requests that queue up while the model is busy (BATCH_WINDOW_MS=0).',
      'INFERENCE_CONCURRENCY=2 lets one batch decode (on libuv threads) while another runs ONNX Runtime, at the cost of a core taken from it.',
    ],
  });
  sections.push({ title: 'endpoint: reference JSON tensor vs image bytes', rows: tensorRows, notes: ['60 sequential requests each, 5 photos.'] });
  sections.push({
    title: 'endpoint: memory (RSS) over a long run',
    rows: [
      { point: 'after first 100 requests MiB', value: ms(memory!.after100 / 2 ** 20) },
      { point: 'after 5,000 requests MiB', value: ms(memory!.after5000 / 2 ** 20) },
      { point: 'growth %', value: ms((memory!.after5000 / memory!.after100 - 1) * 100) },
    ],
  });
  return sections;
}
