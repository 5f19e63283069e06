import { errorBodySchema } from '@petal/contracts';
import type { FastifyInstance } from 'fastify';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { ConfigError, loadWasConfig } from './config.js';

// The WAS's edge on loopback: declared sizes refused before reading, stalled bodies answered, and what
// is public by default. No endpoint is needed: every request here is refused before it would call one.

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(env: Record<string, string> = {}, overrides: Parameters<typeof buildApp>[1] = {}): Promise<number> {
  ({ app } = await buildApp(loadWasConfig({ SAGEMAKER_RUNTIME_URL: 'http://127.0.0.1:9', ...env }), { logger: false, ...overrides }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.server.address() as AddressInfo).port;
}

/** Sends raw bytes and reads what comes back until the server closes or `waitMs` passes. */
function raw(port: number, bytes: string, waitMs = 4_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n{') && answer.trimEnd().endsWith('}}')) socket.destroy();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

const bodyOf = (answer: string) => errorBodySchema.parse(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)));

describe('WAS edge', () => {
  it('refuses a declared Content-Length over the limit before reading (or waiting for) the body', async () => {
    const port = await start();
    const answer = await raw(
      port,
      'POST /classify/image HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(bodyOf(answer).error.code).toBe('FILE_TOO_LARGE');
  });

  it('answers 408 to an upload that stalls mid-body', async () => {
    const port = await start({}, { requestTimeout: 300 });
    const answer = await raw(
      port,
      'POST /classify/image HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff\xd8',
    );
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect(bodyOf(answer).error.code).toBe('REQUEST_TIMEOUT');
  });

  it('serves /docs outside production only, unless DOCS_ENABLED says otherwise', () => {
    expect(loadWasConfig({}).docsEnabled).toBe(true);
    expect(loadWasConfig({ NODE_ENV: 'production' }).docsEnabled).toBe(false);
    expect(loadWasConfig({ NODE_ENV: 'production', DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    expect(loadWasConfig({ DOCS_ENABLED: 'false' }).docsEnabled).toBe(false);
  });

  it('refuses the retired TRUST_PROXY_HOPS and reads TRUSTED_PROXIES', () => {
    expect(() => loadWasConfig({ TRUST_PROXY_HOPS: '1' })).toThrow(ConfigError);
    expect(() => loadWasConfig({ TRUST_PROXY_HOPS: '1' })).toThrow(/TRUSTED_PROXIES/);
    expect(loadWasConfig({ TRUSTED_PROXIES: '10.0.0.0/16, 127.0.0.1' }).trustedProxies).toEqual(['10.0.0.0/16', '127.0.0.1']);
    expect(loadWasConfig({}).trustedProxies).toEqual([]);
  });

  it('listens on loopback unless HOST says otherwise', () => {
    expect(loadWasConfig({}).host).toBe('127.0.0.1');
    expect(loadWasConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});

describe('backpressure is not an outage', () => {
  it('an endpoint refusing a burst (busy) answers 503 + Retry-After and does not open the circuit', async () => {
    const { startStandInRuntime } = await import('./testing/stand-in-runtime.js');
    const { makeImage, multipartForm } = await import('./testing/images.js');
    const runtime = await startStandInRuntime();
    try {
      const port = await start({
        SAGEMAKER_RUNTIME_URL: runtime.url,
        BREAKER_FAILURE_THRESHOLD: '2',
        ENDPOINT_MAX_RETRIES: '0',
        BREAKER_COOLDOWN_MS: '60000',
      });
      const jpeg = await makeImage('jpeg');
      const classify = () => fetch(`http://127.0.0.1:${port}/classify/image`, { method: 'POST', body: multipartForm([{ field: 'file', bytes: jpeg }]) });
      for (const errorType of ['ServiceUnavailable', 'ThrottlingException'] as const) {
        runtime.setBehaviour({ kind: 'throttle', times: 3, errorType });
        for (let i = 0; i < 3; i += 1) {
          const res = await classify();
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).toBe('1');
          await res.arrayBuffer();
        }
      }
      runtime.setBehaviour({ kind: 'ok' });
      // With the burst counted as failures the circuit would be open now, refusing for a minute.
      expect((await classify()).status).toBe(200);
      expect(app!.endpoint.circuitState).toBe('closed');
    } finally {
      await runtime.close();
    }
  });
});
