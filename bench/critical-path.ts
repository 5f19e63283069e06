/**
 * Where one photo's time goes on its way through web → WAS → endpoint and back, for `npm run bench -- load`:
 * the three services run with bench/trace/http-trace.mjs preloaded, each recording when a POST reached it and
 * was answered, and when its own upstream POST went out and was answered, keyed by the x-request-id the tiers
 * forward. Joined per request on the machine's monotonic clock, the records split the round trip into what
 * each tier does (request in → its upstream call out; upstream answer in → its answer out) and the hops
 * between processes. A direct call to the endpoint is measured in turns with it, for the same split.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '@petal/stack';
import { median } from './stats.js';
import type { BenchCell, BenchSection } from './types.js';

const PRELOAD = fileURLToPath(new URL('./trace/http-trace.mjs', import.meta.url));
const SERVICES = ['web', 'was', 'endpoint'] as const;
type Service = (typeof SERVICES)[number];

interface TraceRecord {
  id: string;
  role: 'server' | 'client';
  start: number;
  end: number;
}

export interface TracedTarget {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const ms = (us: number) => Number((us / 1000).toFixed(3));

/** The segments of one request through the web tier, in µs, from the records of one id in each process. */
function webSegments(client: { start: number; end: number }, at: (s: Service, role: TraceRecord['role']) => TraceRecord | undefined) {
  const web = at('web', 'server'), webUp = at('web', 'client'), was = at('was', 'server'), wasUp = at('was', 'client'), ep = at('endpoint', 'server');
  if (!web || !webUp || !was || !wasUp || !ep) return undefined;
  return [
    ['client → web', 'hop', web.start - client.start],
    ['web: request in → WAS call out', 'web', webUp.start - web.start],
    ['web → WAS', 'hop', was.start - webUp.start],
    ['WAS: request in → endpoint call out', 'was', wasUp.start - was.start],
    ['WAS → endpoint', 'hop', ep.start - wasUp.start],
    ['endpoint: request in → answer out', 'endpoint', ep.end - ep.start],
    ['endpoint → WAS', 'hop', wasUp.end - ep.end],
    ['WAS: endpoint answer in → answer out', 'was', was.end - wasUp.end],
    ['WAS → web', 'hop', webUp.end - was.end],
    ['web: WAS answer in → answer out', 'web', web.end - webUp.end],
    ['web → client', 'hop', client.end - web.end],
  ] as const;
}

export async function criticalPath(
  targets: { endpoint: (urls: Record<Service, string>) => TracedTarget; web: (urls: Record<Service, string>) => TracedTarget },
  env: Partial<Record<Service, Record<string, string>>>,
  { rounds = 400, warmup = 50 } = {},
): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'petal-trace-'));
  const file = (s: Service) => join(dir, `${s}.json`);
  const traced = (s: Service) => ({ ...env[s], NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${PRELOAD}`.trim(), HTTP_TRACE_FILE: file(s) });
  const stack = await startStack({ env: { web: traced('web'), was: traced('was'), endpoint: traced('endpoint') } });
  const clientTimes: Record<'web' | 'endpoint', Map<string, { start: number; end: number }>> = { web: new Map(), endpoint: new Map() };
  try {
    const chosen = { web: targets.web(stack.urls), endpoint: targets.endpoint(stack.urls) };
    for (let i = 0; i < warmup + rounds; i += 1) {
      for (const name of ['endpoint', 'web'] as const) {
        const t = chosen[name];
        const start = nowUs();
        const res = await fetch(t.url, { method: 'POST', headers: t.headers, body: t.body as Uint8Array<ArrayBuffer> });
        await res.arrayBuffer();
        const end = nowUs();
        if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
        if (i >= warmup) clientTimes[name].set(res.headers.get('x-request-id') ?? '', { start, end });
      }
    }
  } finally {
    await stack.stop();
  }
  const records = Object.fromEntries(
    SERVICES.map((s) => {
      const byId = new Map<string, TraceRecord[]>();
      for (const r of JSON.parse(readFileSync(file(s), 'utf8')) as TraceRecord[]) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
      return [s, byId];
    }),
  ) as Record<Service, Map<string, TraceRecord[]>>;
  rmSync(dir, { recursive: true, force: true });
  const at = (id: string) => (s: Service, role: TraceRecord['role']) => records[s].get(id)?.find((r) => r.role === role);

  const segments = new Map<string, { part: string; values: number[] }>();
  const totals: number[] = [];
  for (const [id, client] of clientTimes.web) {
    const split = webSegments(client, at(id));
    if (!split) continue;
    totals.push(client.end - client.start);
    for (const [name, part, us] of split) {
      const entry = segments.get(name) ?? { part, values: [] };
      entry.values.push(us);
      segments.set(name, entry);
    }
  }
  const direct: number[] = [];
  const directParts = { in: [] as number[], endpoint: [] as number[], out: [] as number[] };
  for (const [id, client] of clientTimes.endpoint) {
    const ep = at(id)('endpoint', 'server');
    if (!ep) continue;
    direct.push(client.end - client.start);
    directParts.in.push(ep.start - client.start);
    directParts.endpoint.push(ep.end - ep.start);
    directParts.out.push(client.end - ep.end);
  }
  const rows: Array<Record<string, BenchCell>> = [...segments].map(([segment, { part, values }]) => ({ segment, part, median_ms: ms(median(values)) }));
  const byPart = (part: string) => [...segments.values()].filter((s) => s.part === part).reduce((sum, s) => sum + median(s.values), 0);
  rows.push({ segment: 'through web (measured round trip)', part: 'total', median_ms: ms(median(totals)) });
  rows.push({ segment: 'direct: client → endpoint', part: 'hop', median_ms: ms(median(directParts.in)) });
  rows.push({ segment: 'direct: endpoint: request in → answer out', part: 'endpoint', median_ms: ms(median(directParts.endpoint)) });
  rows.push({ segment: 'direct: endpoint → client', part: 'hop', median_ms: ms(median(directParts.out)) });
  rows.push({ segment: 'direct (measured round trip)', part: 'total', median_ms: ms(median(direct)) });
  return {
    title: 'load: where one photo’s time goes, web → WAS → endpoint and back (sequential, traced)',
    rows,
    notes: [
      `${totals.length} traced requests through web and ${direct.length} direct, in turns, after ${warmup} warm-up each; medians per segment (they need not add up to the median total).`,
      `Sum of medians: web ${ms(byPart('web'))} ms, WAS ${ms(byPart('was'))} ms, hops between the tiers ${ms(byPart('hop') - median(segments.get('client → web')?.values ?? []) - median(segments.get('web → client')?.values ?? []))} ms (not counting client ↔ web, which a direct call pays too).`,
      'A tier’s segments run from a request reaching its HTTP server to its own upstream request being handed to the socket, and from that answer’s headers arriving to its own answer being handed over; a hop is the time between processes (loopback, scheduling).',
      'Recorded by bench/trace/http-trace.mjs, preloaded into each service for this section only (a separate stack).',
    ],
  };
}
