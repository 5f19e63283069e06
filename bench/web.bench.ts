/**
 * What the web tier (BFF) adds on top of the WAS: `POST /classify/image` relayed by a real web process
 * (multipart buffered with its cap, headers forwarded, answer passed back) against calling the same
 * stand-in WAS directly, in the same run, on loopback, with a real flower JPEG. The stand-in WAS parses
 * the multipart and answers at once, so the difference is the BFF's own cost. Then throughput through
 * the BFF at concurrency 16, and `GET /api/status` (three probes fanned out).
 */
import type { ClassifyAnswer, WasReadiness } from '@petal/contracts';
import type { AddressInfo } from 'node:net';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { freePort, spawnService } from '@petal/stack';
import { samplePhoto } from './sample-photo.js';
import type { BenchSection } from './types.js';
import { quantile } from './stats.js';

const WARMUP = 30;
const SEQUENTIAL = 300;
const CONCURRENCY = 16;
const LOAD_TOTAL = 800;

const ms = (v: number) => Number(v.toFixed(2));
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
};

async function post(url: string, photo: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([photo as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'photo.jpg');
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', body: form });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - started;
}

async function sequential(url: string, photo: Buffer) {
  for (let i = 0; i < WARMUP; i += 1) await post(url, photo);
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i += 1) times.push(await post(url, photo));
  return stats(times);
}

export async function run(): Promise<BenchSection[]> {
  const { bytes: photo, source } = await samplePhoto();
  const was = Fastify({ logger: false });
  await was.register(multipart, { limits: { fileSize: 6 * 1024 * 1024 } });
  const answer: ClassifyAnswer = {
    result: { no: 1, name: 'Bellflower', acc: 0.93, description: 'Campanula' },
    top: [{ no: 1, key: 'bellflower', name: 'Bellflower', probability: 0.93 }],
    model: { name: 'flower-classifier', version: 'bench' },
    lang: 'en',
    elapsedMs: 0,
    confident: true,
    verdict: 'flower',
  };
  was.post('/classify/image', async (req) => {
    await (await req.file())?.toBuffer();
    return answer;
  });
  was.get('/health', async () => ({ status: 'ok' }));
  was.get('/health/ready', async (): Promise<WasReadiness> => ({ status: 'ready', checks: { circuit: 'closed', endpoint: 'reachable' } }));
  await was.listen({ port: 0, host: '127.0.0.1' });
  const wasUrl = `http://127.0.0.1:${(was.server.address() as AddressInfo).port}`;
  // Started alone (not with startStack): its WAS is the stand-in above, and it has no endpoint to show.
  // One load generator is one client: the per-client limits that fit a person would refuse it at once.
  const unlimited = { CLASSIFY_RATE_LIMIT_MAX: '100000000', RATE_LIMIT_MAX: '100000000' };
  const web = spawnService('web', { WAS_URL: wasUrl, LOG_LEVEL: 'warn', PORT: String(await freePort()), ...unlimited });
  try {
    const webUrl = await web.url();
    const direct = await sequential(`${wasUrl}/classify/image`, photo);
    const viaWeb = await sequential(`${webUrl}/classify/image`, photo);

    let next = 0;
    const started = performance.now();
    const latencies: number[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LOAD_TOTAL) {
          next += 1;
          latencies.push(await post(`${webUrl}/classify/image`, photo));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const load = stats(latencies);

    const statusTimes: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const t0 = performance.now();
      await (await fetch(`${webUrl}/api/status`)).arrayBuffer();
      statusTimes.push(performance.now() - t0);
    }
    const status = stats(statusTimes);

    return [
      {
        title: 'web: BFF overhead on POST /classify/image (sequential)',
        rows: [
          { path: 'client → stand-in WAS', median_ms: ms(direct.median), p99_ms: ms(direct.p99) },
          { path: 'client → web BFF → stand-in WAS', median_ms: ms(viaWeb.median), p99_ms: ms(viaWeb.p99) },
          { path: 'added by the BFF', median_ms: ms(viaWeb.median - direct.median), p99_ms: ms(viaWeb.p99 - direct.p99), ratio: ms(viaWeb.median / direct.median) },
        ],
        notes: [
          `${SEQUENTIAL} requests each after ${WARMUP} warm-up, one ${photo.length}-byte JPEG (${source}), loopback, one web process (tsx, sources).`,
          'The stand-in WAS parses the multipart and answers a fixed classification, so only the relay is measured.',
        ],
      },
      {
        title: `web: throughput through the BFF at concurrency ${CONCURRENCY}`,
        rows: [
          { requests: LOAD_TOTAL, concurrency: CONCURRENCY, req_per_s: ms(LOAD_TOTAL / seconds), median_ms: ms(load.median), p99_ms: ms(load.p99) },
          { requests: 100, concurrency: 1, route: 'GET /api/status', median_ms: ms(status.median), p99_ms: ms(status.p99) },
        ],
        notes: ['The benchmark client, the stand-in WAS and the web process share this machine’s cores.'],
      },
    ];
  } finally {
    await web.stop();
    await was.close();
  }
}
