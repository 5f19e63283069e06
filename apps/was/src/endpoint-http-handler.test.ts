import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EndpointClient, type EndpointClientOptions } from './endpoint-client.js';
import { EndpointCallError } from './endpoint-errors.js';

const ANSWER = JSON.stringify({ predictions: [[0.2, 0.8]], labels: ['astilbe', 'bellflower'], model: { name: 'm', version: '1' } });

interface Runtime {
  url: string;
  connections: number;
  seen: Array<{ headers: IncomingHttpHeaders; bytes: number }>;
  server: Server;
}

async function runtime(delayMs = 0): Promise<Runtime> {
  const state = { connections: 0, seen: [] as Runtime['seen'] };
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      state.seen.push({ headers: req.headers, bytes });
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER), delayMs);
    });
  });
  server.on('connection', () => (state.connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { url, server });
}

const clients: EndpointClient[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function client(runtimeUrl: string, overrides: Partial<EndpointClientOptions> = {}): EndpointClient {
  const c = new EndpointClient({
    endpointName: 'image-classifier',
    region: 'us-east-1',
    runtimeUrl,
    useDummyCredentials: true,
    timeoutMs: 2_000,
    connectTimeoutMs: 1_000,
    maxRetries: 0,
    retryBaseMs: 1,
    retryMaxMs: 1,
    maxSockets: 4,
    breakerFailureThreshold: 100,
    breakerCooldownMs: 1_000,
    ...overrides,
  });
  clients.push(c);
  return c;
}

describe('the endpoint client over its own HTTP handler', () => {
  it('sends the signed InvokeEndpoint request whole and reuses one kept-alive connection', async () => {
    const rt = await runtime();
    servers.push(rt.server);
    const c = client(rt.url);
    const image = Buffer.alloc(12_345, 7);
    for (let i = 0; i < 5; i++) {
      const answer = await c.invoke(image, { requestId: `req-${i}`, contentType: 'image/jpeg' });
      expect(answer.predictions[0]).toEqual([0.2, 0.8]);
    }
    expect(rt.connections).toBe(1);
    expect(rt.seen).toHaveLength(5);
    const last = rt.seen.at(-1)!;
    expect(last.bytes).toBe(image.length);
    expect(last.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=petal-local\/\d{8}\/us-east-1\/sagemaker\/aws4_request/);
    expect(last.headers['x-amz-content-sha256'] ?? last.headers['x-amz-date']).toBeDefined();
    expect(last.headers['content-type']).toBe('image/jpeg');
    expect(last.headers['x-request-id']).toBe('req-4');
    expect(last.headers['x-amzn-sagemaker-custom-attributes']).toBe('request-id=req-4');
  });

  it('answers concurrent calls each with its own request id (one cached middleware chain)', async () => {
    const rt = await runtime(20);
    servers.push(rt.server);
    const c = client(rt.url);
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.invoke(Buffer.from([i]), { requestId: `r${i}`, contentType: 'image/png' })));
    expect(rt.seen.map((s) => s.headers['x-request-id']).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `r${i}`).sort());
  });

  it('turns its deadline into a timeout, and a refused connection into unavailable', async () => {
    const rt = await runtime(1_000);
    servers.push(rt.server);
    const started = performance.now();
    const slow = await client(rt.url, { timeoutMs: 200 })
      .invoke(Buffer.from([1]), { requestId: 'slow', contentType: 'image/png' })
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(EndpointCallError);
    expect((slow as EndpointCallError).kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(900);

    const closed = await runtime();
    await new Promise((r) => closed.server.close(r));
    const refused = await client(closed.url)
      .invoke(Buffer.from([1]), { requestId: 'refused', contentType: 'image/png' })
      .catch((e: unknown) => e);
    expect((refused as EndpointCallError).kind).toBe('unavailable');
  });
});
