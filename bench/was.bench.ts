/**
 * What the WAS costs on top of the model endpoint: `POST /classify/image` through a real WAS process
 * (multipart parsing, sniffing, the AWS SDK's InvokeEndpoint with signing, retries/breaker bookkeeping,
 * answer building) against calling the same real endpoint process directly, in the same run, on loopback,
 * with real flower JPEGs. Then throughput through the WAS at concurrency 16.
 */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR, MODEL_DIR, freePort, loopbackUrl, startStack, type RunningStack } from '@petal/stack';
import { EndpointClient } from '../apps/was/src/endpoint-client.js';
import { SKIP_REASON } from '../apps/was/src/testing/processes.js';
import { startStandInRuntime } from '../apps/was/src/testing/stand-in-runtime.js';
import type { BenchSection } from './types.js';
import { quantile } from './stats.js';

const WARMUP = 20;
const SEQUENTIAL = 200;
const CONCURRENCY = 16;
const LOAD_TOTAL = 480;

const ms = (v: number) => Number(v.toFixed(2));
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
};

async function photos(perClass: number): Promise<Buffer[]> {
  const paths = readdirSync(DATA_DIR)
    .sort()
    .flatMap((label) =>
      readdirSync(join(DATA_DIR, label))
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .slice(0, perClass)
        .map((f) => join(DATA_DIR, label, f)),
    );
  return Promise.all(paths.map((p) => readFile(p)));
}

/** Sum and count of a Prometheus histogram series from a /metrics text. */
function histogram(metrics: string, series: string): { sum: number; count: number } {
  const value = (suffix: string) => {
    const line = metrics.split('\n').find((l) => l.startsWith(`${series.replace('{', `_${suffix}{`)} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { sum: value('sum'), count: value('count') };
}

async function timed(call: () => Promise<Response>): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const res = await call();
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status };
}

/**
 * CPU per InvokeEndpoint call of the WAS's EndpointClient (the SDK over its own HTTP handler, cached
 * middleware chain) against a plain SDK client as the WAS used it before (NodeHttpHandler, a per-call
 * AbortSignal for the deadline, a per-command middleware), both against an in-process stand-in runtime
 * that answers at once, interleaved in rounds. The stand-in's own CPU is in both figures alike.
 */
async function clientCost(image: Buffer): Promise<BenchSection> {
  const runtime = await startStandInRuntime();
  const options = { endpointName: 'image-classifier', region: 'us-east-1', runtimeUrl: runtime.url, useDummyCredentials: true } as const;
  const client = new EndpointClient({
    ...options,
    timeoutMs: 10_000,
    connectTimeoutMs: 1_000,
    maxRetries: 0,
    retryBaseMs: 1,
    retryMaxMs: 1,
    maxSockets: 16,
    breakerFailureThreshold: 1_000,
    breakerCooldownMs: 1_000,
  });
  const plain = new SageMakerRuntimeClient({ region: options.region, endpoint: runtime.url, maxAttempts: 1, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const plainCall = async () => {
    const command = new InvokeEndpointCommand({ EndpointName: options.endpointName, Body: image, ContentType: 'image/jpeg', Accept: 'application/json', CustomAttributes: 'request-id=bench' });
    command.middlewareStack.add((next) => async (args) => next(args), { step: 'build', name: 'perCommand' });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      await plain.send(command, { abortSignal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  };
  const wasCall = () => client.invoke(image, { requestId: 'bench', contentType: 'image/jpeg' });
  const cost = { plain: { cpu: 0, wall: 0, n: 0 }, was: { cpu: 0, wall: 0, n: 0 } };
  try {
    for (let i = 0; i < 200; i++) {
      await plainCall();
      await wasCall();
    }
    for (let round = 0; round < 10; round++) {
      for (const [name, call] of [['plain', plainCall], ['was', wasCall]] as const) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) await call();
        const used = process.cpuUsage(c0);
        cost[name].cpu += (used.user + used.system) / 1000;
        cost[name].wall += performance.now() - t0;
        cost[name].n += 200;
      }
    }
  } finally {
    client.destroy();
    plain.destroy();
    await runtime.close();
  }
  const row = (path: string, c: { cpu: number; wall: number; n: number }) => ({ client: path, calls: c.n, 'cpu ms/call': ms(c.cpu / c.n), 'wall ms/call': ms(c.wall / c.n) });
  return {
    title: 'was: the endpoint client\'s own cost per InvokeEndpoint call (in-process stand-in runtime)',
    rows: [row('AWS SDK, NodeHttpHandler, per-call AbortSignal (before)', cost.plain), row('EndpointClient: AWS SDK, own handler, cached chain', cost.was)],
    notes: [`one ${image.length}-byte JPEG; 10 interleaved rounds of 200 calls each after 200 warm-up; CPU of this process (client and stand-in)`],
  };
}

export async function run(): Promise<BenchSection[]> {
  if (SKIP_REASON) throw new Error(SKIP_REASON);
  const images = await photos(10);
  const [endpointPort, wasPort] = [await freePort(), await freePort()];
  const endpointUrl = loopbackUrl(endpointPort);
  const wasUrl = loopbackUrl(wasPort);
  let stack: RunningStack<'endpoint' | 'was'> | undefined;
  const sdk = new SageMakerRuntimeClient({
    region: 'us-east-1',
    endpoint: endpointUrl,
    maxAttempts: 1,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    // Per-request info logs would make this measure log writing; warnings still show.
    stack = await startStack({
      services: ['endpoint', 'was'],
      env: {
        endpoint: { MODEL_DIR, LOG_LEVEL: 'warn', PORT: String(endpointPort) },
        was: { LOG_LEVEL: 'warn', PORT: String(wasPort), RATE_LIMIT_MAX: '1000000' },
      },
    });

    const direct = (img: Buffer) => () =>
      fetch(`${endpointUrl}/endpoints/image-classifier/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', accept: 'application/json' },
        body: img,
      });
    const viaSdk = async (img: Buffer) => {
      const t0 = performance.now();
      await sdk.send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', Body: img, ContentType: 'image/jpeg', Accept: 'application/json' }));
      return performance.now() - t0;
    };
    // Multipart bodies are encoded once up front, as a browser hands them over ready-made: the client's
    // encoding cost is not the WAS's overhead.
    const boundary = '----petal-bench-boundary';
    const multipart = new Map(
      images.map((img) => [
        img,
        Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="flower.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
          img,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      ]),
    );
    const viaWas = (img: Buffer) => () =>
      fetch(`${wasUrl}/classify/image`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: multipart.get(img)!,
      });

    for (let i = 0; i < WARMUP; i++) {
      const img = images[i % images.length]!;
      await timed(direct(img));
      await viaSdk(img);
      await timed(viaWas(img));
    }
    // Interleaved, one request at a time, so drift (thermal, other load) hits all three paths alike.
    const scrape = async () => (await fetch(`${wasUrl}/metrics`)).text();
    const requestSeries = 'was_http_request_duration_seconds{method="POST",route="/classify/image",status="200"}';
    const callSeries = 'was_endpoint_call_duration_seconds{outcome="ok"}';
    const before = await scrape();
    const d: number[] = [];
    const s: number[] = [];
    const w: number[] = [];
    let errors = 0;
    for (let i = 0; i < SEQUENTIAL; i++) {
      const img = images[i % images.length]!;
      const a = await timed(direct(img));
      s.push(await viaSdk(img));
      const b = await timed(viaWas(img));
      if (a.status !== 200 || b.status !== 200) errors += 1;
      d.push(a.ms);
      w.push(b.ms);
    }
    const after = await scrape();
    const delta = (series: string) => {
      const a = histogram(after, series);
      const b = histogram(before, series);
      return (a.sum - b.sum) / Math.max(1, a.count - b.count);
    };
    // Inside the WAS process: time per request not spent waiting on the endpoint (multipart, SDK, answer).
    const serverSideMs = (delta(requestSeries) - delta(callSeries)) * 1000;
    const sd = stats(d);
    const ss = stats(s);
    const sw = stats(w);
    const overheadMedian = sw.median - sd.median;

    const loadTest = async (call: (img: Buffer) => () => Promise<Response>) => {
      const latencies: number[] = [];
      const statuses = new Map<number, number>();
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < LOAD_TOTAL) {
            const img = images[next++ % images.length]!;
            const r = await timed(call(img));
            latencies.push(r.ms);
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      return { ...stats(latencies), rps: LOAD_TOTAL / seconds, errors: LOAD_TOTAL - (statuses.get(200) ?? 0), statuses };
    };
    const loadDirect = await loadTest(direct);
    const loadWas = await loadTest(viaWas);
    const row = (path: string, r: Awaited<ReturnType<typeof loadTest>>) => ({
      path,
      requests: LOAD_TOTAL,
      concurrency: CONCURRENCY,
      'req/s': ms(r.rps),
      'median ms': ms(r.median),
      'p99 ms': ms(r.p99),
      errors: r.errors,
    });

    const clientSection = await clientCost(images[0]!);
    return [
      clientSection,
      {
        title: 'was: POST /classify/image through the WAS vs calling the endpoint directly (sequential, loopback)',
        rows: [
          { path: 'direct HTTP → endpoint runtime API', 'median ms': ms(sd.median), 'p99 ms': ms(sd.p99), 'vs direct': 1 },
          { path: 'direct AWS SDK → endpoint', 'median ms': ms(ss.median), 'p99 ms': ms(ss.p99), 'vs direct': ms(ss.median / sd.median) },
          { path: 'client → WAS → SDK → endpoint', 'median ms': ms(sw.median), 'p99 ms': ms(sw.p99), 'vs direct': ms(sw.median / sd.median) },
        ],
        notes: [
          `WAS overhead (median via WAS − median direct): ${ms(overheadMedian)} ms (target < 3 ms); errors: ${errors}`,
          `inside the WAS, mean time per request outside the endpoint call (from its own metrics): ${ms(serverSideMs)} ms`,
          `${SEQUENTIAL} requests per path after ${WARMUP} warm-up, interleaved; ${images.length} real 256×256 JPEGs from the data set`,
          'multipart bodies are pre-encoded (as a browser sends them); both processes run from source (tsx) at LOG_LEVEL=warn',
          `client, WAS and endpoint share ${cpus().length} cores; 1-minute load average at the end: ${loadavg()[0]!.toFixed(1)}`,
        ],
      },
      {
        title: `was: throughput through the WAS at concurrency ${CONCURRENCY}`,
        rows: [row('direct HTTP → endpoint', loadDirect), row('client → WAS → endpoint', loadWas)],
        notes: [
          `WAS throughput / direct: ${ms(loadWas.rps / loadDirect.rps)}; statuses via WAS: ${[...loadWas.statuses].map(([k, v]) => `${k}×${v}`).join(', ')}`,
          'the endpoint (model inference on CPU) is the bottleneck; the WAS and the endpoint share the machine\'s cores',
        ],
      },
    ];
  } finally {
    sdk.destroy();
    await stack?.stop();
  }
}
