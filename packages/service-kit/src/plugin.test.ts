import { errorBodySchema } from '@petal/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createErrors, petalService, serverOptions } from './index.js';

const TEST_ERRORS = { TEAPOT: { status: 418, message: 'short and stout' } } as const;
const fail = createErrors(TEST_ERRORS);

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  overrides: Parameters<typeof serverOptions>[1] = {},
  { preCloseDelayMs = 0 } = {},
): Promise<{ app: FastifyInstance; url: string; port: number }> {
  app = Fastify(serverOptions('test', { logger: false, bodyLimit: 1024, ...overrides }));
  await app.register(petalService, { service: 'test' });
  // Something else still shutting down (a queue draining) keeps the listener open a while.
  if (preCloseDelayMs > 0) app.addHook('preClose', () => new Promise<void>((resolve) => setTimeout(resolve, preCloseDelayMs)));
  app.get('/teapot', async () => {
    throw fail('TEAPOT');
  });
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/items/:id', async (request) => request.body ?? {});
  app.get('/slow', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, port };
}

/** Sends raw bytes (for what no HTTP client will send) and reads the whole answer. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

describe('petalService: every error in the contract shape', () => {
  it('answers catalog errors with the catalog status and default message', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/teapot`);
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ error: { code: 'TEAPOT', message: 'short and stout' } });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('refuses a code the catalog does not have', () => {
    expect(() => (createErrors(TEST_ERRORS) as (code: string) => Error)('NOPE')).toThrow(/not in the catalog/);
  });

  it('404 for an unknown route, 405 with Allow for a known route and the wrong method', async () => {
    const { url } = await start();
    const missing = await fetch(`${url}/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
    const wrongMethod = await fetch(`${url}/items/7`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toMatch(/GET/);
    expect(errorBodySchema.parse(await wrongMethod.json()).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('413, 415 and malformed JSON from the framework', async () => {
    const { url } = await start();
    const json = { 'content-type': 'application/json' };
    const tooLarge = await fetch(`${url}/items/1`, { method: 'POST', headers: json, body: JSON.stringify({ x: 'a'.repeat(4096) }) });
    expect(tooLarge.status).toBe(413);
    expect(errorBodySchema.parse(await tooLarge.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
    const unsupported = await fetch(`${url}/items/1`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' });
    expect(unsupported.status).toBe(415);
    expect(errorBodySchema.parse(await unsupported.json()).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const broken = await fetch(`${url}/items/1`, { method: 'POST', headers: json, body: '{' });
    expect(broken.status).toBe(400);
    expect(errorBodySchema.parse(await broken.json()).error.code).toBe('INVALID_JSON');
    const fine = await fetch(`${url}/items/1`, { method: 'POST', headers: json, body: '{"a":1}' });
    expect(await fine.json()).toEqual({ a: 1 });
  });

  it('400 for a request that is not HTTP and 431 for oversized headers, answered before Fastify sees them', async () => {
    const { port } = await start();
    const garbage = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1.1 400/);
    expect(errorBodySchema.parse(bodyOf(garbage)).error.code).toBe('BAD_REQUEST');
    const huge = await raw(port, `GET /items/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1.1 431/);
    expect(errorBodySchema.parse(bodyOf(huge)).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('408 for a request whose headers never finish arriving', async () => {
    await start({
      // Node checks request deadlines every connectionsCheckingInterval (30 s by default).
      serverFactory: (handler) => createServer({ requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 50 }, handler),
    });
    const { port } = app!.server.address() as AddressInfo;
    const answer = await raw(port, 'GET /items/1 HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(errorBodySchema.parse(bodyOf(answer)).error.code).toBe('REQUEST_TIMEOUT');
  });

  it('408 in the error shape for an upload that stalls mid-body (not a silent drop)', async () => {
    // Only the deadline is shortened; everything else is the services' own server options.
    const { port } = await start({ requestTimeout: 300 });
    const answer = await raw(port, 'POST /items/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":');
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(errorBodySchema.parse(bodyOf(answer)).error.code).toBe('REQUEST_TIMEOUT');
  });

  it('a fetch client posting far more than the limit reads the 413 every time (no EPIPE)', async () => {
    // The server in a process of its own, as in production: in this process the reset does not happen.
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./testing/small-limit-server.ts', import.meta.url))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /port (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      const big = new Uint8Array(7 * 1024 * 1024).fill(0x20);
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i += 1) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
          outcomes.push(`${res.status} ${errorBodySchema.parse(await res.json()).error.code}`);
        } catch (err) {
          outcomes.push(String((err as { cause?: { code?: string } }).cause?.code ?? err));
        }
      }
      expect(outcomes).toEqual(Array(10).fill('413 PAYLOAD_TOO_LARGE'));
      expect((await fetch(`http://127.0.0.1:${port}/ok`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);

  it('a Content-Length beyond what it would read is refused at once and the connection closed', async () => {
    const { port } = await start();
    const answer = await raw(port, 'POST /items/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{');
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(errorBodySchema.parse(bodyOf(answer)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('while draining: in-flight requests finish, new ones get 503 SHUTTING_DOWN with Retry-After', async () => {
    const { app: server, url } = await start({}, { preCloseDelayMs: 300 });
    const inFlight = fetch(`${url}/slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await fetch(`${url}/items/1`);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    expect(late.headers.get('connection')).toBe('close');
    expect(errorBodySchema.parse(await late.json()).error.code).toBe('SHUTTING_DOWN');
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await closing;
    app = undefined;
  });

  it('metrics use the petal_<service> prefix', async () => {
    const { url } = await start();
    await fetch(`${url}/items/1`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/petal_test_http_requests_total\{method="GET",route="\/items\/:id",status="200"\} 1/);
  });
});
