/**
 * `npm run bench -- load`: the three tiers under load with autocannon, on loopback, each on its own
 * route with the same flower JPEG: the endpoint (`POST /invocations`, raw JPEG), the WAS and the web BFF
 * (`POST /classify/image`, multipart). Each tier at concurrency 1, 16 and 64 for a fixed time, then an
 * overload burst at 128 through the web tier: the expected refusals are 503 with `Retry-After` (the
 * endpoint's queue), and the stack answers 200 again within seconds after the burst.
 *
 * Beside the stack, the same topology with bare relays in place of web and WAS (bench/topology-floor.ts)
 * gives the floor that the tiers' overhead is measured against.
 *
 * Rate limits are raised for the run (one client address would otherwise be limited at once), every
 * service logs warnings only, and all of them share this machine's cores with the load generator.
 */
import autocannon, { type Result } from 'autocannon';
import { readFileSync } from 'node:fs';
import { MODEL_DIR, hasModelAt, startStack } from '@petal/stack';
import { criticalPath } from './critical-path.js';
import { samplePhoto } from './sample-photo.js';
import { topologyFloor } from './topology-floor.js';
import { quantile } from './stats.js';
import type { BenchCell, BenchSection } from './types.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 6);
const LEVELS = [1, 16, 64] as const;
const OVERLOAD = 128;
const BOUNDARY = 'petal-load-bench-boundary';

/** The multipart body a browser sends for one photo in field `file`. */
export function multipartBody(photo: Buffer, boundary = BOUNDARY): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    photo,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

interface Target {
  tier: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Counted {
  result: Result;
  /** 503 answers that carried Retry-After, and statuses outside 200/503. */
  retryAfter503: number;
  bare503: number;
}

async function hit(target: Target, connections: number, seconds: number): Promise<Counted> {
  let retryAfter503 = 0;
  let bare503 = 0;
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: target.headers,
        body: target.body,
        onResponse: (status, _body, _context, headers) => {
          if (status !== 503) return;
          if (headers['retry-after'] !== undefined) retryAfter503 += 1;
          else bare503 += 1;
        },
      },
    ],
  });
  return { result, retryAfter503, bare503 };
}

const statuses = (r: Result) =>
  Object.entries(r.statusCodeStats)
    .map(([status, { count }]) => `${status}×${count}`)
    .join(' ');

function row(tier: string, connections: number, { result: r, retryAfter503, bare503 }: Counted): Record<string, BenchCell> {
  const other = Object.entries(r.statusCodeStats)
    .filter(([status]) => status !== '200' && status !== '503')
    .reduce((sum, [, { count }]) => sum + Number(count), 0);
  return {
    tier,
    concurrency: connections,
    req_per_s: Number(r.requests.average.toFixed(1)),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    ok: Number(r.statusCodeStats['200']?.count ?? 0),
    '503_retry_after': retryAfter503,
    '503_bare': bare503,
    other_status: other,
    errors: r.errors + r.timeouts,
    statuses: statuses(r),
  };
}

/**
 * Sequential medians per tier, interleaved (endpoint, WAS, web, endpoint, …) so that noise from the other
 * work on the machine falls on all three alike; the ratios are what the tiers add to a direct call.
 */
async function sequentialMedians(targets: Target[], rounds = 300, warmup = 30): Promise<Record<string, { median: number; p99: number }>> {
  const times: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.tier, []]));
  for (let i = 0; i < warmup + rounds; i += 1) {
    for (const target of targets) {
      const t0 = performance.now();
      const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body as Uint8Array<ArrayBuffer> });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${target.tier} answered ${res.status}`);
      if (i >= warmup) times[target.tier]!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([tier, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return [tier, { median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) }];
    }),
  );
}

/** CPU time (user + system, all threads) a process has used so far, in ms; undefined off Linux. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the parenthesised name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * CPU each service process spends per request of each path, one path at a time (sequential requests):
 * unlike wall time on a shared machine, it does not depend on what else runs, so it says which tier
 * costs what. Clock-tick resolution (10 ms) over `requests` requests.
 */
async function cpuPerRequest(targets: Target[], pids: Record<string, number | undefined>, requests = 150): Promise<Array<Record<string, BenchCell>>> {
  const rows: Array<Record<string, BenchCell>> = [];
  for (const target of targets) {
    const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
    for (let i = 0; i < requests; i += 1) {
      const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body as Uint8Array<ArrayBuffer> });
      await res.arrayBuffer();
    }
    const row: Record<string, BenchCell> = { path: target.tier };
    for (const [name, pid] of Object.entries(pids)) {
      const [a, b] = [before[name], cpuMs(pid)];
      row[`${name}_cpu_ms`] = a === undefined || b === undefined ? 'n/a' : Number(((b - a) / requests).toFixed(2));
    }
    rows.push(row);
  }
  return rows;
}

/** Time until a single request answers 200 again after an overload, polling every 100 ms. */
async function recoveryMs(target: Target, limitMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    try {
      const res = await fetch(target.url, { method: 'POST', headers: target.headers, body: target.body as Uint8Array<ArrayBuffer> });
      await res.arrayBuffer();
      if (res.status === 200) return Math.round(performance.now() - t0);
    } catch {
      // still refusing connections: keep polling
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number.POSITIVE_INFINITY;
}

const quiet = { LOG_LEVEL: 'warn' };
// One load generator is one client address: limits that fit a person would refuse it at once.
const unlimited = { RATE_LIMIT_MAX: '100000000', CLASSIFY_RATE_LIMIT_MAX: '100000000' };

export async function run(): Promise<BenchSection[]> {
  if (!hasModelAt(MODEL_DIR)) {
    return [{ title: 'load: skipped', rows: [], notes: [`no model at ${MODEL_DIR}`] }];
  }
  const { bytes: photo, source } = await samplePhoto();
  const sections = await underLoad(photo, source);
  // Last, on a stack of its own: the tracing preload must not touch the figures above.
  const form = multipartBody(photo);
  sections.splice(
    1,
    0,
    await criticalPath(
      {
        endpoint: (urls) => ({ url: `${urls.endpoint}/invocations`, headers: { 'content-type': 'image/jpeg' }, body: photo }),
        web: (urls) => ({ url: `${urls.web}/classify/image`, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: form }),
      },
      { endpoint: { ...quiet }, was: { ...quiet, ...unlimited }, web: { ...quiet, ...unlimited } },
    ),
  );
  return sections;
}

async function underLoad(photo: Buffer, source: string): Promise<BenchSection[]> {
  const stack = await startStack({ env: { endpoint: { ...quiet }, was: { ...quiet, ...unlimited }, web: { ...quiet, ...unlimited } } });
  try {
    const form = multipartBody(photo);
    const formHeaders = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    const targets: Target[] = [
      { tier: 'endpoint', url: `${stack.urls.endpoint}/invocations`, headers: { 'content-type': 'image/jpeg' }, body: photo },
      { tier: 'was', url: `${stack.urls.was}/classify/image`, headers: formHeaders, body: form },
      { tier: 'web', url: `${stack.urls.web}/classify/image`, headers: formHeaders, body: form },
    ];
    // Warm every path (JIT, connection pools, the model's first batches) before measuring.
    for (const target of targets) await hit(target, 4, 2);

    const sequential = await sequentialMedians(targets);
    const cpuRows = await cpuPerRequest(
      targets,
      Object.fromEntries(Object.entries(stack.processes).map(([name, service]) => [name, service.child.pid])),
    );
    const floor = await topologyFloor(stack.urls.endpoint, { direct: targets[0]!, web: targets[2]! });
    const direct = sequential.endpoint!.median;
    const overheadRows = targets.map((t) => ({
      path: t.tier === 'endpoint' ? 'client → endpoint' : t.tier === 'was' ? 'client → WAS → endpoint' : 'client → web → WAS → endpoint',
      median_ms: Number(sequential[t.tier]!.median.toFixed(2)),
      p99_ms: Number(sequential[t.tier]!.p99.toFixed(2)),
      ratio_to_direct: Number((sequential[t.tier]!.median / direct).toFixed(2)),
    }));

    const rows: Array<Record<string, BenchCell>> = [];
    const medians: Record<string, number> = {};
    for (const target of targets) {
      for (const connections of LEVELS) {
        const counted = await hit(target, connections, SECONDS);
        rows.push(row(target.tier, connections, counted));
        if (connections === 1) medians[target.tier] = counted.result.latency.p50;
      }
    }

    const web = targets[2]!;
    const burst = await hit(web, OVERLOAD, SECONDS);
    const recovered = await recoveryMs(web);
    const overloadRow = { ...row('web (overload)', OVERLOAD, burst), recovery_ms: recovered };

    const ratio = (a: string, b: string) => Number(((medians[a] ?? NaN) / (medians[b] ?? NaN)).toFixed(2));
    return [
      {
        title: 'load: what each tier adds to one photo (sequential, interleaved)',
        rows: overheadRows,
        notes: ['300 rounds after 30 warm-up, one request per tier per round in turn, fetch (keep-alive) from this process; goal: web ≤ 1.3× direct.'],
      },
      floor,
      {
        title: 'load: CPU per request in each service process, by path (sequential)',
        rows: cpuRows,
        notes: [
          '150 requests per path, one path at a time; user + system time of each whole process (all its threads) from /proc, 10 ms ticks.',
          'What a tier adds in CPU does not depend on the machine being quiet; wall-time ratios above do.',
        ],
      },
      {
        title: `load: req/s and latency per tier (autocannon, ${SECONDS} s per cell)`,
        rows,
        notes: [
          `One ${photo.length}-byte JPEG (${source}); endpoint: raw image/jpeg; WAS and web: multipart/form-data, field "file".`,
          `p50 at concurrency 1: web/endpoint ${ratio('web', 'endpoint')}×, WAS/endpoint ${ratio('was', 'endpoint')}× (autocannon reports whole milliseconds).`,
          'The load generator and all three services share this machine’s cores.',
        ],
      },
      {
        title: `load: overload at concurrency ${OVERLOAD} through the web tier, then recovery`,
        rows: [overloadRow],
        notes: [
          'Expected: 200s and 503s with Retry-After only (the endpoint queue refusing), no other status and no errors;',
          'recovery_ms: from the end of the burst until one request answers 200 again.',
        ],
      },
    ];
  } finally {
    await stack.stop();
  }
}
