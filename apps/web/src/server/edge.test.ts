import { errorBodySchema, parseContract, type FlowersAnswer } from '@petal/contracts';
import { buildApp as buildWas } from '@petal/was';
import { loadWasConfig } from '@petal/was';
import Fastify, { type FastifyInstance } from 'fastify';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnService, type ServiceProcess } from '@petal/stack';
import { buildApp } from './app.js';
import { loadWebConfig } from './config.js';

// The edge as a launch review attacks it, on loopback with real servers: several client addresses
// (127.0.0.2, 127.0.0.3, … are all loopback on Linux), forged X-Forwarded-For headers, oversized
// uploads from fetch, and an upstream that is restarting.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request from a chosen source address (fetch cannot choose one). */
function call(url: string, { from = '127.0.0.1', headers = {} as Record<string, string>, method = 'GET' } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, localAddress: from, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const statuses = async (n: number, make: (i: number) => Promise<Answer>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) out.push((await make(i)).status);
  return out;
};

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('rate limits key on the client, through web → WAS', () => {
  // The WAS trusts X-Forwarded-For from the BFF's address only (127.0.0.1 here); the web tier trusts
  // the "ALB" at 127.0.0.4 only. /flowers needs no model endpoint, so the real WAS serves it alone.
  let was: FastifyInstance;
  let web: FastifyInstance;
  let wasUrl: string;
  let webUrl: string;
  beforeAll(async () => {
    ({ app: was } = await buildWas(
      loadWasConfig({ SAGEMAKER_RUNTIME_URL: 'http://127.0.0.1:9', RATE_LIMIT_MAX: '3', TRUSTED_PROXIES: '127.0.0.1' }),
      { logger: false },
    ));
    wasUrl = await listen(was);
    web = await buildApp(loadWebConfig({ WAS_URL: wasUrl, CLIENT_DIR: '/nonexistent', RATE_LIMIT_MAX: '1000', TRUSTED_PROXIES: '127.0.0.4' }), { logger: false });
    webUrl = await listen(web);
  });
  afterAll(async () => {
    await web?.close();
    await was?.close();
  });

  it('one busy browser does not lock the others out', async () => {
    expect(await statuses(4, () => call(`${webUrl}/flowers`, { from: '127.0.0.2' }))).toEqual([200, 200, 200, 429]);
    // Before the BFF forwarded the client, every browser shared the WAS's one bucket and this was 429.
    expect((await call(`${webUrl}/flowers`, { from: '127.0.0.3' })).status).toBe(200);
  });

  it('a client cannot reset its budget with its own X-Forwarded-For, at the web tier or at the WAS', async () => {
    const viaWeb = await statuses(4, (i) => call(`${webUrl}/flowers`, { from: '127.0.0.5', headers: { 'x-forwarded-for': `203.0.113.${i}` } }));
    expect(viaWeb).toEqual([200, 200, 200, 429]);
    const direct = await statuses(4, (i) => call(`${wasUrl}/flowers`, { from: '127.0.0.6', headers: { 'x-forwarded-for': `198.51.100.${i}` } }));
    expect(direct).toEqual([200, 200, 200, 429]);
  });

  it('believes the client address a trusted proxy names (the BFF at the WAS, the ALB at the web tier)', async () => {
    // The BFF's own address with a header: two clients, two budgets.
    expect(await statuses(4, () => call(`${wasUrl}/flowers`, { headers: { 'x-forwarded-for': '192.0.2.10' } }))).toEqual([200, 200, 200, 429]);
    expect((await call(`${wasUrl}/flowers`, { headers: { 'x-forwarded-for': '192.0.2.11' } })).status).toBe(200);
    // The ALB appends the address it saw; what the client wrote before it counts for nothing.
    const alb = (client: string, forged: string) => call(`${webUrl}/flowers`, { from: '127.0.0.4', headers: { 'x-forwarded-for': `${forged}, ${client}` } });
    expect(await statuses(4, (i) => alb('192.0.2.20', `10.9.9.${i}`))).toEqual([200, 200, 200, 429]);
    expect((await alb('192.0.2.21', '10.9.9.1')).status).toBe(200);
  });

  it('limits classification per client at the web tier, in the error shape with Retry-After', async () => {
    const tight = await buildApp(
      loadWebConfig({ WAS_URL: wasUrl, CLIENT_DIR: '/nonexistent', CLASSIFY_RATE_LIMIT_MAX: '2' }),
      { logger: false },
    );
    try {
      const url = await listen(tight);
      const post = (from: string) =>
        call(`${url}/classify/image`, { from, method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '0' } });
      const seen = await statuses(3, () => post('127.0.0.7'));
      expect(seen.slice(2)).toEqual([429]);
      const refused = await post('127.0.0.7');
      expect(refused.headers['retry-after']).toBeDefined();
      expect(parseContract(errorBodySchema, JSON.parse(refused.body), 'the 429 body').error.code).toBe('RATE_LIMITED');
      expect((await post('127.0.0.8')).status).not.toBe(429);
    } finally {
      await tight.close();
    }
  });
});

describe('oversized uploads get a readable 413', () => {
  // The web server in a process of its own, as in production: in the test's process the client and the
  // server share one event loop and the reset a real client gets does not happen.
  let web: ServiceProcess;
  let url: string;
  beforeAll(async () => {
    web = spawnService('web', { WAS_URL: 'http://127.0.0.1:9', MAX_UPLOAD_BYTES: String(1024 * 1024), LOG_LEVEL: 'warn', PORT: String(await freePort()) });
    url = await web.url();
  }, 60_000);
  afterAll(async () => web?.stop());

  it('a fetch client posting 7 MB reads 413 in the error shape every time (not EPIPE)', async () => {
    const big = new Uint8Array(7 * 1024 * 1024).fill(0xff);
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const form = new FormData();
      form.append('file', new Blob([big], { type: 'image/jpeg' }), 'big.jpg');
      try {
        const res = await fetch(`${url}/classify/image`, { method: 'POST', body: form });
        const body = parseContract(errorBodySchema, await res.json(), 'the 413 body');
        outcomes.push(`${res.status} ${body.error.code}`);
      } catch (err) {
        outcomes.push(String((err as { cause?: { code?: string } }).cause?.code ?? err));
      }
    }
    expect(outcomes).toEqual(Array(10).fill('413 PAYLOAD_TOO_LARGE'));
  }, 30_000);
});

describe('a restarting WAS shows users 503 with Retry-After, never 502', () => {
  let upstream: FastifyInstance | undefined;
  let web: FastifyInstance | undefined;
  afterEach(async () => {
    await web?.close();
    await upstream?.close();
    web = upstream = undefined;
  });

  async function behind(answer: (n: number) => { status: number; body: unknown; headers?: Record<string, string> }) {
    let n = 0;
    upstream = Fastify({ logger: false });
    upstream.get('/flowers', async (_req, reply) => {
      const a = answer((n += 1));
      return reply.code(a.status).headers(a.headers ?? {}).send(a.body);
    });
    const wasUrl = await listen(upstream);
    web = await buildApp(loadWebConfig({ WAS_URL: wasUrl, CLIENT_DIR: '/nonexistent' }), { logger: false });
    return { url: await listen(web), calls: () => n };
  }

  it("maps a 503 outside the contract (Fastify's default) to 503 UPSTREAM_UNAVAILABLE with Retry-After", async () => {
    const { url } = await behind(() => ({ status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: 'closing' } }));
    const res = await fetch(`${url}/flowers`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(parseContract(errorBodySchema, await res.json(), 'the 503 body').error.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('sends a request a draining WAS refused once more, on a fresh connection', async () => {
    const flowers: FlowersAnswer = { lang: 'en', flowers: [] };
    const { url, calls } = await behind((n) =>
      n === 1
        ? { status: 503, body: { error: { code: 'SHUTTING_DOWN', message: 'restarting' } }, headers: { 'retry-after': '1', connection: 'close' } }
        : { status: 200, body: flowers },
    );
    const res = await fetch(`${url}/flowers`);
    expect(res.status).toBe(200);
    expect(calls()).toBe(2);
  });

  it('a real WAS draining behind the BFF: 503 with Retry-After or the retried answer, no 502', async () => {
    const { app: was } = await buildWas(loadWasConfig({ SAGEMAKER_RUNTIME_URL: 'http://127.0.0.1:9' }), { logger: false });
    // Something still finishing keeps the WAS draining for a while after close() begins.
    was.addHook('preClose', () => new Promise<void>((resolve) => setTimeout(resolve, 400)));
    upstream = was;
    const wasUrl = await listen(was);
    web = await buildApp(loadWebConfig({ WAS_URL: wasUrl, CLIENT_DIR: '/nonexistent' }), { logger: false });
    const url = await listen(web);
    expect((await fetch(`${url}/flowers`)).status).toBe(200); // the BFF now holds a keep-alive connection
    const closing = was.close();
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(`${url}/flowers`);
      await res.arrayBuffer();
      seen.push([res.status, res.headers.get('retry-after')]);
    }
    await closing;
    upstream = undefined;
    for (const [status, retryAfter] of seen) {
      expect(status).toBe(503);
      expect(retryAfter).toBeTruthy();
    }
  });
});
