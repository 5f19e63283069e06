/**
 * Petal's endpoint against the obvious alternative, in one run on this machine: a FastAPI + Pillow +
 * onnxruntime server (bench/peer/server.py, one uvicorn worker) serving the very same fused backbone +
 * head ONNX graph Petal serves, the same photo, the same client. Then the machine's limit for this model:
 * batched ONNX Runtime on both cores plus one decode per image, measured in this process (no HTTP), as
 * 1 / (decode s/img + inference s/img).
 *
 * Two photos, each measured in full: the data set's 256×256 bellflower (the yardstick the issue set) and
 * a 1024×768 JPEG, the size the web app uploads a phone photo at. Decoders differ most between the two:
 * a small JPEG is mostly per-call cost, a large one mostly pixels. PEER_PHOTOS=dataset (or upload)
 * measures one.
 *
 * The Python side needs python3 with fastapi, uvicorn, onnxruntime, pillow and numpy. Without them the
 * bench makes a venv in $TMPDIR/petal-bench-peer and installs them with pip (from whatever index pip is
 * configured with; PEER_PIP_ARGS adds arguments, e.g. `--index-url file:///opt/pypi/simple`); if that
 * fails the peer rows say so and are skipped. PEER_PYTHON points at an interpreter that has them.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preprocessBatch } from '@petal/imaging';
import { appendHead, backboneFor, loadModel, locateBackbone, preprocessSpecOf, readArtifact } from '@petal/model';
import { DATA_DIR, MODEL_DIR, freePort, hasModelAt, spawnService, type ServiceProcess } from '@petal/stack';
import { samplePhoto, uploadSizedPhoto, type SamplePhoto } from './sample-photo.js';
import { median } from './stats.js';
import type { BenchCell, BenchSection } from './types.js';

const SECONDS = Number(process.env.PEER_SECONDS ?? 8);
const LEVELS = [1, 16] as const;
/** Turns each server takes per throughput cell (SECONDS in all per server). */
const SLICES = Math.max(1, Number(process.env.PEER_SLICES ?? 4));
/** Sequential requests per server turn, and how many of each turn's first requests are not counted. */
const BLOCK = 25;
const SETTLE = 5;
const PY_PACKAGES = ['fastapi', 'uvicorn', 'onnxruntime', 'pillow', 'numpy'];
const SERVER_PY = fileURLToPath(new URL('./peer/server.py', import.meta.url));

const hasPeerPackages = (python: string) =>
  spawnSync(python, ['-c', 'import fastapi, uvicorn, onnxruntime, PIL, numpy'], { stdio: 'ignore' }).status === 0;

/** An interpreter with the peer's packages, installing them into a venv when needed; or why not. */
function peerPython(): { python: string } | { skipped: string } {
  const candidates = [process.env.PEER_PYTHON, join(tmpdir(), 'petal-bench-peer', 'bin', 'python'), 'python3'].filter((p): p is string => Boolean(p));
  for (const python of candidates) if (hasPeerPackages(python)) return { python };
  if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) return { skipped: 'python3 is not installed' };
  const venv = join(tmpdir(), 'petal-bench-peer');
  if (!existsSync(join(venv, 'bin', 'python')) && spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' }).status !== 0) {
    return { skipped: 'python3 -m venv failed' };
  }
  const extra = (process.env.PEER_PIP_ARGS ?? '').split(' ').filter(Boolean);
  const pip = spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', ...extra, ...PY_PACKAGES], { stdio: 'inherit', timeout: 600_000 });
  if (pip.status !== 0) return { skipped: `pip install ${PY_PACKAGES.join(' ')} failed (set PEER_PIP_ARGS for a local index)` };
  const python = join(venv, 'bin', 'python');
  return hasPeerPackages(python) ? { python } : { skipped: 'the peer packages do not import after install' };
}

async function waitPing(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the peer exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the peer did not answer /ping');
}

/**
 * Sequential medians, the servers taking turns in blocks of BLOCK requests, the first SETTLE of each
 * block not counted. Turns of one request each were unfair: the peer's ONNX Runtime lets its threads
 * spin-wait for a while after every run, so whichever server was asked next shared the cores with that
 * spinning (measured: the same Petal settings came out 2–4 ms slower when placed right after the peer).
 * Blocks still spread a burst of other work over every server, and each block measures a server the way
 * it runs in production: alone, one request after another.
 */
async function interleaved(urls: Record<string, string>, photo: Buffer, rounds = 300) {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(urls).map((k) => [k, []]));
  for (let block = 0; block * (BLOCK - SETTLE) < rounds; block += 1) {
    for (const [name, url] of Object.entries(urls)) {
      for (let i = 0; i < BLOCK; i += 1) {
        const t0 = performance.now();
        const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo as Uint8Array<ArrayBuffer> });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${name} answered ${res.status}`);
        if (i >= SETTLE) times[name]!.push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/**
 * Full (mark-compact) garbage collections a Petal endpoint has run so far, from its /metrics (prom-client's
 * `nodejs_gc_duration_seconds`, kind major); undefined for a server without them (the peer).
 */
async function fullGcCount(url: string): Promise<number | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const match = /^\w*nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(await res.text());
  return match ? Number(match[1]) : 0;
}

/**
 * req/s per server at one concurrency, the servers taking turns in short slices (SLICES each) so a burst
 * of other work on the machine falls on all of them alike: counts and durations summed, p50 the median of
 * the slices' p50s, p99 the worst slice's.
 */
async function throughputInterleaved(urls: Record<string, string>, photo: Buffer, connections: number) {
  const acc: Record<string, { ok: number; seconds: number; p50s: number[]; p99: number; failed: number; fullGcs?: number }> = Object.fromEntries(
    Object.keys(urls).map((k) => [k, { ok: 0, seconds: 0, p50s: [], p99: 0, failed: 0 }]),
  );
  for (let slice = 0; slice < SLICES; slice += 1) {
    for (const [name, url] of Object.entries(urls)) {
      const gcsBefore = await fullGcCount(url);
      const r = await autocannon({
        url: `${url}/invocations`,
        connections,
        duration: SECONDS / SLICES,
        requests: [{ method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo }],
      });
      const a = acc[name]!;
      a.ok += Number(r.statusCodeStats['200']?.count ?? 0);
      a.seconds += r.duration;
      a.p50s.push(r.latency.p50);
      a.p99 = Math.max(a.p99, r.latency.p99);
      a.failed += r.errors + r.timeouts + r.non2xx;
      const gcsAfter = gcsBefore === undefined ? undefined : await fullGcCount(url);
      if (gcsBefore !== undefined && gcsAfter !== undefined) a.fullGcs = (a.fullGcs ?? 0) + gcsAfter - gcsBefore;
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([name, a]) => [
      name,
      {
        reqPerS: a.ok / a.seconds,
        p50: median(a.p50s),
        p99: a.p99,
        failed: a.failed,
        fullGcsPer1k: a.fullGcs === undefined || a.ok === 0 ? undefined : (1000 * a.fullGcs) / a.ok,
      },
    ]),
  );
}

/** The machine's limit for this model: decode (both cores) and batched inference (both cores), one after the other. */
async function machineLimit(photo: Buffer) {
  const model = await loadModel(MODEL_DIR);
  try {
    const spec = preprocessSpecOf(model.manifest);
    const batch = Array.from({ length: 64 }, () => photo);
    await preprocessBatch(batch, spec, { concurrency: 2 });
    let t0 = performance.now();
    let decoded = 0;
    let pixels: Float32Array = new Float32Array(0);
    while (performance.now() - t0 < 3_000) {
      pixels = await preprocessBatch(batch, spec, { concurrency: 2 });
      decoded += batch.length;
    }
    const decodeS = (performance.now() - t0) / 1000 / decoded;
    const n = 16;
    const slice = pixels.subarray(0, n * spec.size * spec.size * 3);
    await model.classifyPixels(slice, n);
    t0 = performance.now();
    let inferred = 0;
    while (performance.now() - t0 < 3_000) {
      await model.classifyPixels(slice, n);
      inferred += n;
    }
    const inferS = (performance.now() - t0) / 1000 / inferred;
    return { decodePerS: 1 / decodeS, inferPerS: 1 / inferS, limitPerS: 1 / (decodeS + inferS) };
  } finally {
    await model.dispose();
  }
}

/** The photos compared: the data set's own (the issue's yardstick) and one the size the web app uploads. */
const PHOTOS: Record<string, () => Promise<SamplePhoto>> = { dataset: samplePhoto, upload: uploadSizedPhoto };

function choosePhotos(): string[] {
  const names = (process.env.PEER_PHOTOS ?? Object.keys(PHOTOS).join(',')).split(',').filter(Boolean);
  for (const name of names) if (!(name in PHOTOS)) throw new Error(`PEER_PHOTOS: unknown photo "${name}" (known: ${Object.keys(PHOTOS).join(', ')})`);
  return names;
}

/** Sequential medians and throughput of every server on one photo, with the machine limit for that photo. */
async function compare(urls: Record<string, string>, label: string, { bytes: photo, source }: SamplePhoto): Promise<BenchSection[]> {
  const limit = await machineLimit(photo);
  const limitRow = {
    what: 'machine limit (in process)',
    decode_img_per_s: Number(limit.decodePerS.toFixed(1)),
    batched_inference_img_per_s: Number(limit.inferPerS.toFixed(1)),
    limit_img_per_s: Number(limit.limitPerS.toFixed(1)),
  };
  const medians = await interleaved(urls, photo);
  const rows: Array<Record<string, BenchCell>> = [];
  const byServer: Record<string, Record<number, number>> = {};
  for (const name of Object.keys(urls)) byServer[name] = {};
  const cells: Record<string, Record<number, { reqPerS: number; p50: number; p99: number; failed: number; fullGcsPer1k: number | undefined }>> = {};
  for (const connections of LEVELS) {
    const measured = await throughputInterleaved(urls, photo, connections);
    for (const [name, t] of Object.entries(measured)) {
      (cells[name] ??= {})[connections] = t;
      byServer[name]![connections] = t.reqPerS;
    }
  }
  for (const name of Object.keys(urls)) {
    for (const connections of LEVELS) {
      const t = cells[name]![connections]!;
      rows.push({
        server: name === 'peer' ? 'FastAPI + Pillow + onnxruntime' : name === 'petal' ? 'Petal endpoint (Node, ORT)' : `Petal endpoint, ${name.slice('petal '.length)}`,
        concurrency: connections,
        req_per_s: Number(t.reqPerS.toFixed(1)),
        p50_ms: t.p50,
        p99_ms: t.p99,
        failed: t.failed,
        full_gc_per_1k: t.fullGcsPer1k === undefined ? '–' : Number(t.fullGcsPer1k.toFixed(1)),
        ...(connections === 1 ? { sequential_median_ms: Number(medians[name]!.toFixed(2)) } : {}),
        ...(connections === 16 ? { share_of_limit: `${Math.round((100 * t.reqPerS) / limit.limitPerS)}%` } : {}),
      });
    }
  }
  const notes = [
    `${source}, ${photo.length} bytes; sequential medians from 300 requests per server, in turns of ${BLOCK} (the first ${SETTLE} of each not counted); throughput from autocannon, ${SECONDS} s per cell and server in ${SLICES} interleaved slices.`,
    'share_of_limit: req/s at concurrency 16 over the machine limit measured in this run for this photo.',
    "full_gc_per_1k: the endpoint's full (mark-compact) garbage collections per 1,000 answers in that cell, from its /metrics.",
  ];
  if (urls.peer) {
    for (const name of Object.keys(urls).filter((n) => n !== 'peer')) {
      notes.push(
        `${name}/peer: sequential median ${(medians[name]! / medians.peer!).toFixed(2)}×, req/s at 16 ${(byServer[name]![16]! / byServer.peer![16]!).toFixed(2)}×.`,
      );
    }
  }
  return [
    { title: `peer (${label} photo): the machine limit for this model`, rows: [limitRow], notes: ['decode: preprocessBatch of 64 copies, concurrency 2; inference: batches of 16 pre-decoded images.'] },
    { title: `peer (${label} photo): Petal endpoint against FastAPI + Pillow + onnxruntime, same graph and photo`, rows, notes },
  ];
}

export async function run(): Promise<BenchSection[]> {
  if (!hasModelAt(MODEL_DIR) || !existsSync(DATA_DIR)) {
    return [{ title: 'peer: skipped', rows: [], notes: ['needs the shipped model and the flower data set'] }];
  }
  const photos = choosePhotos();
  const found = peerPython();
  const work = mkdtempSync(join(tmpdir(), 'petal-peer-'));
  let peer: ChildProcess | undefined;
  const endpoints: ServiceProcess[] = [];
  try {
    const urls: Record<string, string> = {};
    // PEER_ENDPOINT_ENV (JSON) tries endpoint settings against the same peer, e.g. {"MAX_BATCH":"1"}; an
    // array of such objects runs one endpoint per entry, all interleaved with the peer in the same run
    // (the first is the row called `petal`; before/after comparisons on a noisy machine).
    const parsedEnv = JSON.parse(process.env.PEER_ENDPOINT_ENV ?? '{}') as Record<string, string> | Array<Record<string, string>>;
    const variants = Array.isArray(parsedEnv) ? parsedEnv : [parsedEnv];
    for (const [i, extraEnv] of variants.entries()) {
      const name = i === 0 ? 'petal' : `petal ${Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`;
      const service = spawnService('endpoint', { MODEL_DIR, LOG_LEVEL: 'warn', PORT: String(await freePort()), ...extraEnv });
      endpoints.push(service);
      urls[name] = await service.ready();
    }
    if ('python' in found) {
      // The very graph Petal serves: the prepared backbone with the model's head appended.
      const { manifest, head } = await readArtifact(MODEL_DIR);
      const prepared = await locateBackbone(backboneFor(manifest), { fingerprint: manifest.backbone.fingerprint });
      const onnxPath = join(work, 'model.onnx');
      writeFileSync(onnxPath, appendHead(await readFile(prepared.onnxPath), head, prepared.featureDim));
      const port = await freePort();
      peer = spawn(found.python, [SERVER_PY, onnxPath, String(manifest.input.size), String(port)], { stdio: ['ignore', 'inherit', 'inherit'] });
      urls.peer = `http://127.0.0.1:${port}`;
      await waitPing(urls.peer, peer);
    }
    const sections: BenchSection[] = [];
    for (const name of photos) sections.push(...(await compare(urls, name, await PHOTOS[name]!())));
    if (!urls.peer && 'skipped' in found) sections.at(-1)?.notes?.push(`peer skipped: ${found.skipped}`);
    return sections;
  } finally {
    peer?.kill('SIGTERM');
    await Promise.all(endpoints.map((e) => e.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}
