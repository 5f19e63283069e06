import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClassifyAnswer, EndpointModels, EndpointPing, ErrorBody, FlowerAnswer, FlowersAnswer, WasReadiness } from '@petal/contracts';
import { serveMetrics } from '@petal/service-kit';
import { buildApp } from './app.js';
import { loadWebConfig } from './config.js';

// A stand-in WAS on loopback that really parses the multipart the BFF relays, so the tests see what
// arrives at the WAS (bytes, headers), and can answer with each status of the WAS contract. Its answers
// are typed by @petal/contracts, so they are what the real WAS sends.
interface Seen {
  fileBytes?: Buffer;
  fileName?: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
}

async function startStandInWas(options: { readyNamesModel?: boolean; readyLabels?: string[] } = {}) {
  const seen: Seen[] = [];
  const was = Fastify({ logger: false });
  await was.register(multipart, { limits: { fileSize: 6 * 1024 * 1024 } });
  was.get('/health', async () => ({ status: 'ok' }));
  was.get('/health/ready', async (): Promise<WasReadiness> => ({
    status: 'ready',
    checks: { circuit: 'closed', endpoint: 'reachable' },
    // Before its first classification the WAS names no model.
    ...(options.readyNamesModel === false
      ? {}
      : { model: { name: 'flower-classifier', version: '3', ...(options.readyLabels ? { labels: options.readyLabels } : {}) } }),
  }));
  const astilbe = { no: 0, key: 'astilbe', name: 'Astilbe', description: 'plumes' };
  was.get('/flowers', async (req): Promise<FlowersAnswer> => ({ lang: (req.query as { lang?: string }).lang === 'ko' ? 'ko' : 'en', flowers: [astilbe] }));
  was.get('/flowers/:no', async (req, reply) => {
    const no = (req.params as { no: string }).no;
    if (no !== '0') return reply.code(404).send({ error: { code: 'FLOWER_NOT_FOUND', message: `no flower ${no}` } } satisfies ErrorBody);
    return { lang: 'en', flower: astilbe } satisfies FlowerAnswer;
  });
  was.post('/classify/image', async (req, reply) => {
    const entry: Seen = { headers: req.headers, query: req.query as Record<string, string> };
    seen.push(entry);
    const file = await req.file();
    if (!file) return reply.code(400).send({ error: { code: 'MISSING_FILE', message: 'no file' } });
    entry.fileBytes = await file.toBuffer();
    entry.fileName = file.filename;
    const mode = entry.query.mode;
    if (mode === 'busy') return reply.code(503).header('retry-after', '7').send({ error: { code: 'ENDPOINT_UNAVAILABLE', message: 'busy' } });
    if (mode === 'html') return reply.code(500).type('text/html').send('<h1>oops</h1>');
    if (mode === 'html4xx') return reply.code(403).type('text/html').send('<h1>forbidden</h1>');
    if (mode === 'slow') await new Promise((r) => setTimeout(r, 1_500));
    if (mode === 'notimage') return reply.code(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'not an image' } });
    const answer: ClassifyAnswer = {
      result: { no: 0, name: 'Astilbe', acc: 0.91, description: 'plumes' },
      top: [{ no: 0, key: 'astilbe', name: 'Astilbe', probability: 0.91 }],
      model: { name: 'flower-classifier', version: '3' },
      lang: req.headers['accept-language']?.startsWith('ko') ? 'ko' : 'en',
      elapsedMs: 12,
      confident: true,
      verdict: 'flower',
    };
    // A WAS that drifted from the contract: a percentage string where a probability belongs.
    if (mode === 'drifted') return { ...answer, result: { ...answer.result, acc: '91%' } };
    return answer;
  });
  await was.listen({ port: 0, host: '127.0.0.1' });
  return { was, seen, url: `http://127.0.0.1:${(was.server.address() as AddressInfo).port}` };
}

/** A port nothing listens on: bind one, note it, close it. */
async function deadUrl(): Promise<string> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

async function makeClientDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'petal-web-client-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Petal</title><script type="module" src="/assets/index-Ab12Cd34.js"></script>');
  await writeFile(join(dir, 'assets', 'index-Ab12Cd34.js'), 'console.log("petal")');
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

function form(bytes: Uint8Array, name = 'photo.jpg', type = 'image/jpeg'): FormData {
  const fd = new FormData();
  fd.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name);
  return fd;
}

describe('web BFF against a stand-in WAS', () => {
  let standIn: Awaited<ReturnType<typeof startStandInWas>>;
  let web: FastifyInstance;
  let base: string;
  let clientDir: string;
  let jpeg: Buffer;

  beforeAll(async () => {
    standIn = await startStandInWas();
    clientDir = await makeClientDir();
    const config = loadWebConfig({ WAS_URL: standIn.url, CLIENT_DIR: clientDir, WAS_TIMEOUT_MS: '1000', MAX_UPLOAD_BYTES: String(1024 * 1024) });
    web = await buildApp(config, { logger: false });
    base = await listen(web);
    jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 200, g: 60, b: 120 } } }).jpeg().toBuffer();
  });
  afterAll(async () => {
    await web?.close();
    await standIn?.was.close();
    if (clientDir) await rm(clientDir, { recursive: true, force: true });
  });

  it('answers its own health check', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', service: 'web' });
  });

  it('relays an upload byte for byte with request id, language and query', async () => {
    const res = await fetch(`${base}/classify/image?lang=ko`, {
      method: 'POST',
      body: form(jpeg),
      headers: { 'x-request-id': 'req-abc-123', 'accept-language': 'ko-KR,ko;q=0.9', cookie: 'session=secret' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    const body = (await res.json()) as { result: { name: string }; lang: string; bytes: number };
    expect(body.result.name).toBe('Astilbe');
    expect(body.lang).toBe('ko');
    const seen = standIn.seen.at(-1)!;
    expect(seen.fileBytes?.equals(jpeg)).toBe(true);
    expect(seen.fileName).toBe('photo.jpg');
    expect(seen.headers['x-request-id']).toBe('req-abc-123');
    expect(seen.headers['accept-language']).toBe('ko-KR,ko;q=0.9');
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.query.lang).toBe('ko');
  });

  it('makes up a request id when the browser sent none and passes it on', async () => {
    const res = await fetch(`${base}/classify/image`, { method: 'POST', body: form(jpeg) });
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(standIn.seen.at(-1)!.headers['x-request-id']).toBe(id);
  });

  it('passes WAS errors through with their status and Retry-After', async () => {
    const busy = await fetch(`${base}/classify/image?mode=busy`, { method: 'POST', body: form(jpeg) });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('7');
    expect(await busy.json()).toEqual({ error: { code: 'ENDPOINT_UNAVAILABLE', message: 'busy' } });
    const notImage = await fetch(`${base}/classify/image?mode=notimage`, { method: 'POST', body: form(Buffer.from('hello'), 'a.txt', 'text/plain') });
    expect(notImage.status).toBe(415);
    expect(((await notImage.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('turns a WAS answer outside the JSON contract into a 502 JSON error', async () => {
    const res = await fetch(`${base}/classify/image?mode=html`, { method: 'POST', body: form(jpeg) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_GATEWAY');
  });

  it('checks WAS answers against the contract and names the field that broke it', async () => {
    const drifted = await fetch(`${base}/classify/image?mode=drifted`, { method: 'POST', body: form(jpeg) });
    expect(drifted.status).toBe(502);
    const body = (await drifted.json()) as ErrorBody;
    expect(body.error.code).toBe('BAD_GATEWAY');
    expect(body.error.message).toContain('result.acc: expected number, got string');
    // A 4xx without the error body keeps its status (the request was refused) and gets one.
    const refused = await fetch(`${base}/classify/image?mode=html4xx`, { method: 'POST', body: form(jpeg) });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('UPSTREAM_ERROR');
  });

  it('answers 504 when the WAS overruns the deadline', async () => {
    const res = await fetch(`${base}/classify/image?mode=slow`, { method: 'POST', body: form(jpeg) });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('refuses an upload over the cap with 413 before the WAS sees it', async () => {
    const before = standIn.seen.length;
    const big = Buffer.alloc(2 * 1024 * 1024, 1);
    const res = await fetch(`${base}/classify/image`, { method: 'POST', body: form(big) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(standIn.seen.length).toBe(before);
  });

  it('refuses a body that is not multipart with 415', async () => {
    const res = await fetch(`${base}/classify/image`, { method: 'POST', body: JSON.stringify({ file: 'x' }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const empty = await fetch(`${base}/classify/image`, { method: 'POST' });
    expect(empty.status).toBe(415);
  });

  it('relays the flower read routes with their status', async () => {
    const list = await fetch(`${base}/flowers?lang=ko`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { lang: string }).lang).toBe('ko');
    const one = await fetch(`${base}/flowers/0`);
    expect(((await one.json()) as FlowerAnswer).flower.key).toBe('astilbe');
    const missing = await fetch(`${base}/flowers/99`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('FLOWER_NOT_FOUND');
  });

  it('serves the UI with a strict CSP and the right caching', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const asset = await fetch(`${base}/assets/index-Ab12Cd34.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await fetch(`${base}/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const missing = await fetch(`${base}/assets/nope-12345678.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('reports the chain and the model in /api/status', async () => {
    const res = await fetch(`${base}/api/status`);
    expect(res.status).toBe(200);
    const status = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(status.web!.state).toBe('up');
    expect(status.was).toMatchObject({ state: 'up', ready: true });
    expect(status.endpoint!.state).toBe('up');
    // The WAS knows the model's identity, not its evaluation: accuracy comes from the endpoint's /models.
    expect(status.model).toEqual({ name: 'flower-classifier', version: '3', source: 'was' });
  });

  it('serves Prometheus metrics (with the upstream latency) on a private port, never on the public one', async () => {
    const publicAnswer = await fetch(`${base}/metrics`);
    expect(publicAnswer.status).toBe(404);
    const server = await serveMetrics(web.httpMetrics.registry, 0);
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    server.close();
    expect(text).toMatch(/petal_web_upstream_request_duration_seconds_count\{target="was",route="\/classify\/image",outcome="200"\} \d+/);
    expect(text).toMatch(/petal_web_upstream_request_duration_seconds_count\{target="was",route="\/classify\/image",outcome="timeout"\} 1/);
  });
});

describe('web BFF when the tiers behind it are down', () => {
  let web: FastifyInstance;
  let base: string;
  let endpoint: FastifyInstance;

  beforeAll(async () => {
    endpoint = Fastify({ logger: false });
    const served = {
      name: 'flower-classifier',
      version: '7',
      labels: ['astilbe'],
      inputSize: 224,
      location: 'models/flower-classifier',
      loadedAt: new Date().toISOString(),
      metrics: { testAccuracy: 0.9 },
    };
    endpoint.get('/ping', async (): Promise<EndpointPing> => ({ status: 'ready', model: served }));
    endpoint.get('/models', async (): Promise<EndpointModels> => ({
      status: 'ready',
      model: served,
      endpointName: 'image-classifier',
      queue: { depth: 0, inFlight: 0, retiringLeases: 0 },
    }));
    const endpointUrl = await listen(endpoint);
    const config = loadWebConfig({ WAS_URL: await deadUrl(), ENDPOINT_URL: endpointUrl, CLIENT_DIR: join(tmpdir(), 'petal-no-such-build'), STATUS_TIMEOUT_MS: '500' });
    web = await buildApp(config, { logger: false });
    base = await listen(web);
  });
  afterAll(async () => {
    await web?.close();
    await endpoint?.close();
  });

  it('answers a JSON 503 with Retry-After for a classification', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#fff' } }).jpeg().toBuffer();
    const res = await fetch(`${base}/classify/image`, { method: 'POST', body: form(jpeg) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ error: { code: 'UPSTREAM_UNAVAILABLE', message: 'the classification service cannot be reached right now' } });
  });

  it('answers a JSON 503 for the read routes too', async () => {
    const res = await fetch(`${base}/flowers`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('still reports status: WAS down, endpoint and model read directly', async () => {
    const res = await fetch(`${base}/api/status`);
    expect(res.status).toBe(200);
    const status = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(status.was).toMatchObject({ state: 'down', ready: false, detail: 'unreachable' });
    expect(status.endpoint!.state).toBe('up');
    expect(status.model).toMatchObject({ name: 'flower-classifier', version: '7', accuracy: 0.9, source: 'endpoint', labels: ['astilbe'] });
  });

  it('says the UI is not built instead of crashing', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UI_NOT_BUILT');
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});

describe('web BFF status when only the WAS is reachable (as on AWS)', () => {
  it("lists the model's classes from the WAS's readiness (so the first screen can say what Petal knows)", async () => {
    const standIn = await startStandInWas({ readyLabels: ['astilbe', 'bellflower', 'black_eyed_susan'] });
    const web = await buildApp(loadWebConfig({ WAS_URL: standIn.url, CLIENT_DIR: join(tmpdir(), 'petal-no-such-build') }), { logger: false });
    const base = await listen(web);
    try {
      const status = (await (await fetch(`${base}/api/status`)).json()) as Record<string, unknown>;
      expect(status.model).toEqual({ name: 'flower-classifier', version: '3', labels: ['astilbe', 'bellflower', 'black_eyed_susan'], source: 'was' });
    } finally {
      await web.close();
      await standIn.was.close();
    }
  });

  it('names the model from the latest classification answer', async () => {
    const standIn = await startStandInWas({ readyNamesModel: false });
    const web = await buildApp(loadWebConfig({ WAS_URL: standIn.url, CLIENT_DIR: join(tmpdir(), 'petal-no-such-build') }), { logger: false });
    const base = await listen(web);
    try {
      const before = (await (await fetch(`${base}/api/status`)).json()) as Record<string, unknown>;
      expect(before.model).toBeNull();
      expect(before.endpoint).toMatchObject({ state: 'up', detail: 'as reported by the WAS' });
      const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c39' } }).jpeg().toBuffer();
      expect((await fetch(`${base}/classify/image`, { method: 'POST', body: form(jpeg) })).status).toBe(200);
      const after = (await (await fetch(`${base}/api/status`)).json()) as Record<string, unknown>;
      expect(after.model).toEqual({ name: 'flower-classifier', version: '3', source: 'was' });
    } finally {
      await web.close();
      await standIn.was.close();
    }
  });
});
