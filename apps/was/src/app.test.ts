import {
  classifyAnswerSchema,
  errorBodySchema,
  flowerAnswerSchema,
  flowersAnswerSchema,
  parseContract,
  wasReadinessSchema,
} from '@petal/contracts';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadWasConfig } from './config.js';
import { makeImage, multipartForm } from './testing/images.js';
import { startStandInRuntime, type StandInRuntime } from './testing/stand-in-runtime.js';

// Every body read here is checked against its contract first, so these tests also prove the shapes.
const answerOf = async (res: Response) => parseContract(classifyAnswerSchema, await res.json(), 'the classify answer');
const errorOf = async (res: Response) => parseContract(errorBodySchema, await res.json(), 'the error body');
/** The OpenAPI document, loosely: only the paths the test reads. */
interface OpenApiOperation {
  requestBody: { content: Record<string, { schema: { properties: Record<string, { format?: string }> } }> };
  responses: Record<string, unknown>;
}
type OpenApiDoc = { openapi: string; paths: Record<string, Record<string, OpenApiOperation> | undefined> };

// These tests run the real WAS over real HTTP against a local stand-in for the sagemaker-runtime API, so
// every error path (slow endpoint, throttling, model errors, a dead endpoint) can be produced on demand.
// The real endpoint and real model are exercised in integration.test.ts.

async function startWas(env: Record<string, string>): Promise<{ app: FastifyInstance; url: string }> {
  const config = loadWasConfig({ HOST: '127.0.0.1', PORT: '0', ...env });
  const { app } = await buildApp(config, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const classify = (url: string, form: FormData, init: RequestInit = {}, query = '') =>
  fetch(`${url}/classify/image${query}`, { method: 'POST', body: form, ...init });

let jpeg: Buffer;
let runtime: StandInRuntime;
beforeAll(async () => {
  jpeg = await makeImage('jpeg');
  runtime = await startStandInRuntime();
});
afterAll(async () => runtime.close());

describe('WAS against a stand-in runtime', () => {
  let was: { app: FastifyInstance; url: string };
  beforeAll(async () => {
    was = await startWas({
      SAGEMAKER_RUNTIME_URL: runtime.url,
      ENDPOINT_TIMEOUT_MS: '300',
      ENDPOINT_RETRY_BASE_MS: '5',
      ENDPOINT_RETRY_MAX_MS: '20',
      BREAKER_FAILURE_THRESHOLD: '50',
      CORS_ORIGINS: 'https://petal.example',
    });
  });
  afterAll(async () => was.app.close());
  afterEach(() => runtime.setBehaviour({ kind: 'ok' }));

  it('classifies: reference shape plus top-3, model, lang, confidence; sends the bytes with the sniffed type', async () => {
    runtime.calls.length = 0;
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg, filename: 'x.png', type: 'image/png' }]), {
      headers: { 'x-request-id': 'req-abc-123' },
    });
    expect(res.status).toBe(200);
    const body = await answerOf(res);
    expect(body.result).toEqual({ no: 0, name: 'Astilbe', acc: 0.9, description: expect.stringContaining('plumes') });
    expect(body.top).toHaveLength(3);
    expect(body).toMatchObject({ model: { name: 'stand-in', version: '0' }, lang: 'en', confident: true });
    expect(body.elapsedMs).toBeGreaterThan(0);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123'); // echoed, and sent downstream:
    const call = runtime.calls.at(-1);
    expect(call?.headers['content-type']).toBe('image/jpeg'); // sniffed, not the declared image/png
    expect(call?.headers.accept).toBe('application/json');
    expect(call?.headers['x-request-id']).toBe('req-abc-123');
    expect(call?.headers['x-amzn-sagemaker-custom-attributes']).toBe('request-id=req-abc-123');
    expect(call?.bytes).toBe(jpeg.length);
  });

  it('does not forward a request id that is unsafe for headers/CustomAttributes, and still classifies', async () => {
    runtime.calls.length = 0;
    const weird = `bad id,with=stuff;${'x'.repeat(100)}`;
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]), { headers: { 'x-request-id': weird } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(runtime.calls.at(-1)?.headers['x-amzn-sagemaker-custom-attributes']).toBeUndefined();
    expect(runtime.calls.at(-1)?.headers['x-request-id']).toBeUndefined();
  });

  it('negotiates the language: ?lang wins over Accept-Language; default en; bad lang is 400', async () => {
    const form = () => multipartForm([{ field: 'file', bytes: jpeg }]);
    const ko = await classify(was.url, form(), { headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.5' } });
    expect((await answerOf(ko)).result.name).toBe('아스틸베');
    expect(ko.headers.get('content-language')).toBe('ko');
    const en = await classify(was.url, form(), { headers: { 'accept-language': 'ko' } }, '?lang=en');
    expect((await answerOf(en)).lang).toBe('en');
    const fr = await classify(was.url, form(), { headers: { 'accept-language': 'fr-FR' } });
    expect((await answerOf(fr)).lang).toBe('en');
    const bad = await classify(was.url, form(), {}, '?lang=de');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).error.code).toBe('VALIDATION_ERROR');
  });

  it('reports low confidence as "not sure" with the candidates', async () => {
    runtime.setBehaviour({ kind: 'ok', predictions: [0.4, 0.35, 0.25] });
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]), {}, '?lang=ko');
    const body = await answerOf(res);
    expect(body.confident).toBe(false);
    expect(body.result.name).toContain('잘 모르겠어요');
    expect(body.top.map((c: { key: string }) => c.key)).toEqual(['astilbe', 'bellflower', 'black_eyed_susan']);
  });

  it('rejects bad uploads with clear JSON errors before calling the endpoint', async () => {
    runtime.calls.length = 0;
    const cases: Array<[number, string, RequestInit | FormData]> = [
      [413, 'FILE_TOO_LARGE', multipartForm([{ field: 'file', bytes: Buffer.concat([jpeg, Buffer.alloc(6 * 1024 * 1024)]) }])],
      [415, 'UNSUPPORTED_IMAGE_TYPE', multipartForm([{ field: 'file', bytes: new TextEncoder().encode('%PDF-1.4 hello'), type: 'image/jpeg' }])],
      [400, 'MISSING_FILE', multipartForm([], { note: 'no file here' })],
      [400, 'UNEXPECTED_FIELD', multipartForm([{ field: 'image', bytes: jpeg }])],
      [400, 'TOO_MANY_FILES', multipartForm([{ field: 'file', bytes: jpeg }, { field: 'file', bytes: jpeg }])],
      [400, 'EMPTY_FILE', multipartForm([{ field: 'file', bytes: new Uint8Array() }])],
      [415, 'UNSUPPORTED_MEDIA_TYPE', { headers: { 'content-type': 'application/json' }, body: '{"file":"x"}' }],
    ];
    for (const [status, code, input] of cases) {
      const init = input instanceof FormData ? { body: input } : input;
      const res = await fetch(`${was.url}/classify/image`, { method: 'POST', ...init });
      expect({ code, status: res.status }).toEqual({ code, status });
      const body = await errorOf(res);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toBeTypeOf('string');
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    }
    expect(runtime.calls).toHaveLength(0);
  });

  it('maps a ModelError with a 4xx original status to 422', async () => {
    runtime.setBehaviour({ kind: 'model-error', originalStatus: 400, message: 'corrupt image' });
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: 'IMAGE_REJECTED', message: expect.stringContaining('corrupt image') } });
  });

  it('maps a ModelError with a 5xx original status to 502 MODEL_FAILED', async () => {
    runtime.setBehaviour({ kind: 'model-error', originalStatus: 500, message: 'out of memory' });
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
    expect(res.status).toBe(502);
    expect((await errorOf(res)).error.code).toBe('MODEL_FAILED');
  });

  it('maps a slow endpoint to 504 (deliberately slow stand-in: 1 s against a 300 ms per-call timeout)', async () => {
    runtime.setBehaviour({ kind: 'slow', delayMs: 1000 });
    const started = performance.now();
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
    const took = performance.now() - started;
    expect(res.status).toBe(504);
    expect((await errorOf(res)).error.code).toBe('ENDPOINT_TIMEOUT');
    expect(took).toBeLessThan(900); // not retried: a timeout already spent the budget
  });

  it('retries throttling with jitter and succeeds; counts the retries', async () => {
    runtime.setBehaviour({ kind: 'throttle', times: 2 });
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${was.url}/metrics`)).text();
    expect(metrics).toMatch(/was_endpoint_retries_total\{reason="busy"\} 2/);
    expect(metrics).toMatch(/was_endpoint_call_duration_seconds_count\{outcome="ok"\} \d+/);
    expect(metrics).toMatch(/was_endpoint_circuit_state 0/);
    expect(metrics).toMatch(/was_http_requests_total\{method="POST",route="\/classify\/image",status="200"\}/);
  });

  it('gives up after the bounded retries with 503 and Retry-After', async () => {
    runtime.setBehaviour({ kind: 'throttle', times: 100, errorType: 'ServiceUnavailable' });
    runtime.calls.length = 0;
    const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await errorOf(res)).error.code).toBe('ENDPOINT_UNAVAILABLE');
    expect(runtime.calls).toHaveLength(3); // 1 + ENDPOINT_MAX_RETRIES (2)
  });

  it('serves the catalog, localized, with 404/400 for unknown/non-integer ids', async () => {
    const all = parseContract(flowersAnswerSchema, await (await fetch(`${was.url}/flowers?lang=ko`)).json(), '/flowers');
    expect(all.flowers).toHaveLength(16);
    expect(all.flowers[2]).toMatchObject({ no: 2, key: 'black_eyed_susan', name: '루드베키아' });
    const one = await fetch(`${was.url}/flowers/13`, { headers: { 'accept-language': 'en-US' } });
    expect(parseContract(flowerAnswerSchema, await one.json(), '/flowers/13').flower).toMatchObject({ no: 13, key: 'sunflower', name: 'Sunflower' });
    const missing = await fetch(`${was.url}/flowers/99`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).error.code).toBe('FLOWER_NOT_FOUND');
    for (const bad of ['abc', '1.5']) {
      const res = await fetch(`${was.url}/flowers/${bad}`);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('answers CORS only for configured origins and sets security headers', async () => {
    const allowed = await fetch(`${was.url}/flowers`, { headers: { origin: 'https://petal.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://petal.example');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('retry-after');
    const other = await fetch(`${was.url}/flowers`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${was.url}/classify/image`, {
      method: 'OPTIONS',
      headers: { origin: 'https://petal.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('serves the OpenAPI document and the docs page with local assets', async () => {
    const doc = (await (await fetch(`${was.url}/openapi.json`)).json()) as OpenApiDoc;
    expect(doc.openapi).toMatch(/^3\./);
    const classifyOp = doc.paths['/classify/image']?.post;
    expect(classifyOp?.requestBody.content['multipart/form-data']?.schema.properties.file?.format).toBe('binary');
    expect(Object.keys(classifyOp?.responses ?? {})).toEqual(expect.arrayContaining(['200', '413', '415', '422', '503', '504']));
    expect(doc.paths['/flowers/{no}']).toBeDefined();
    expect(doc.paths['/metrics']).toBeUndefined();
    const page = await fetch(`${was.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
    const script = /src="\.\/(static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${was.url}/docs/${script}`);
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(1000);
  });

  it('health is cheap; readiness pings the endpoint', async () => {
    expect(await (await fetch(`${was.url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${was.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { circuit: 'closed', endpoint: 'reachable' },
      model: { name: 'stand-in', version: '0', labels: ['astilbe', 'bellflower', 'black_eyed_susan'] }, // the model of the last classification
    });
  });
});

describe('WAS readiness before anyone has classified (how the status page learns the classes on AWS)', () => {
  it('asks the endpoint once which model serves, outside the circuit breaker, and again only after a failed look', async () => {
    const stand = await startStandInRuntime();
    stand.setBehaviour({ kind: 'model-error', originalStatus: 500, message: 'boom' });
    const was = await startWas({ SAGEMAKER_RUNTIME_URL: stand.url, BREAKER_FAILURE_THRESHOLD: '1' });
    try {
      // The endpoint fails: readiness stays ready, knows no model, and the failed look opened no circuit.
      const failed = parseContract(wasReadinessSchema, await (await fetch(`${was.url}/health/ready`)).json(), '/health/ready');
      expect(failed).toMatchObject({ status: 'ready', checks: { circuit: 'closed' } });
      expect(failed.model).toBeUndefined();
      expect(stand.calls).toHaveLength(1);
      // Within the interval a failed look is not repeated on every readiness check.
      await fetch(`${was.url}/health/ready`);
      expect(stand.calls).toHaveLength(1);
    } finally {
      await was.app.close();
    }

    stand.setBehaviour({ kind: 'ok' });
    stand.calls.length = 0;
    const fresh = await startWas({ SAGEMAKER_RUNTIME_URL: stand.url });
    try {
      const ready = parseContract(wasReadinessSchema, await (await fetch(`${fresh.url}/health/ready`)).json(), '/health/ready');
      expect(ready.model).toEqual({ name: 'stand-in', version: '0', labels: ['astilbe', 'bellflower', 'black_eyed_susan'] });
      expect(stand.calls).toHaveLength(1);
      expect(stand.calls[0]?.headers['content-type']).toBe('image/png');
      // Known now: readiness asks no more.
      await fetch(`${fresh.url}/health/ready`);
      expect(stand.calls).toHaveLength(1);
    } finally {
      await fresh.app.close();
      await stand.close();
    }
  });
});

describe('WAS circuit breaker against an endpoint that goes away', () => {
  it('opens after consecutive failures, fails fast with 503 + Retry-After, recovers after the cool-down', async () => {
    const stand = await startStandInRuntime();
    const port = new URL(stand.url).port;
    const was = await startWas({
      SAGEMAKER_RUNTIME_URL: stand.url,
      ENDPOINT_MAX_RETRIES: '1',
      ENDPOINT_RETRY_BASE_MS: '5',
      ENDPOINT_RETRY_MAX_MS: '10',
      BREAKER_FAILURE_THRESHOLD: '3',
      BREAKER_COOLDOWN_MS: '1500',
    });
    try {
      const form = () => multipartForm([{ field: 'file', bytes: jpeg }]);
      expect((await classify(was.url, form())).status).toBe(200);
      await stand.close(); // the endpoint dies: connection refused from now on
      const first = await classify(was.url, form());
      expect(first.status).toBe(503);
      expect((await errorOf(first)).error.code).toBe('ENDPOINT_UNAVAILABLE');
      const second = await classify(was.url, form()); // 3rd/4th failed attempts open the circuit
      expect(second.status).toBe(503);
      const started = performance.now();
      const fast = await classify(was.url, form());
      const took = performance.now() - started;
      expect(fast.status).toBe(503);
      expect(took).toBeLessThan(100);
      expect(Number(fast.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await errorOf(fast)).error.message).toContain('circuit open');
      const ready = await fetch(`${was.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(parseContract(wasReadinessSchema, await ready.json(), '/health/ready').checks).toEqual({ circuit: 'open', endpoint: 'unreachable' });
      expect(await (await fetch(`${was.url}/metrics`)).text()).toMatch(/was_endpoint_circuit_state 2/);

      // The endpoint comes back on the same port; after the cool-down the probe closes the circuit.
      const revived = await startStandInRuntimeOn(Number(port));
      try {
        await new Promise((r) => setTimeout(r, 1600));
        const back = await classify(was.url, form());
        expect(back.status).toBe(200);
        expect(await (await fetch(`${was.url}/metrics`)).text()).toMatch(/was_endpoint_circuit_state 0/);
      } finally {
        await revived.close();
      }
    } finally {
      await was.app.close();
    }
  });
});

describe('unknown endpoint name', () => {
  it('answers 503 naming the missing endpoint (ValidationError from the runtime API)', async () => {
    const was = await startWas({ SAGEMAKER_RUNTIME_URL: runtime.url, SAGEMAKER_ENDPOINT_NAME: 'no-such-endpoint' });
    try {
      const res = await classify(was.url, multipartForm([{ field: 'file', bytes: jpeg }]));
      expect(res.status).toBe(503);
      const body = await errorOf(res);
      expect(body.error.code).toBe('ENDPOINT_UNAVAILABLE');
      expect(body.error.message).toContain('no-such-endpoint');
    } finally {
      await was.app.close();
    }
  });
});

describe('rate limit', () => {
  it('limits per client with 429 JSON, but never health checks', async () => {
    const was = await startWas({ SAGEMAKER_RUNTIME_URL: runtime.url, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${was.url}/flowers`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await fetch(`${was.url}/flowers/1`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await errorOf(limited)).error.code).toBe('RATE_LIMITED');
      for (let i = 0; i < 5; i++) expect((await fetch(`${was.url}/health`)).status).toBe(200);
    } finally {
      await was.app.close();
    }
  });
});

describe('configuration', () => {
  it('names the variable that is wrong', () => {
    expect(() => loadWasConfig({ PORT: 'http' })).toThrow(/PORT/);
    expect(() => loadWasConfig({ SAGEMAKER_RUNTIME_URL: 'not a url' })).toThrow(/SAGEMAKER_RUNTIME_URL/);
    expect(() => loadWasConfig({ CONFIDENCE_THRESHOLD: '1.5' })).toThrow(/CONFIDENCE_THRESHOLD/);
    expect(() => loadWasConfig({ SAGEMAKER_ENDPOINT_NAME: 'bad name!' })).toThrow(/SAGEMAKER_ENDPOINT_NAME/);
    const c = loadWasConfig({});
    expect(c).toMatchObject({ port: 8081, endpointName: 'image-classifier', region: 'us-east-1', useDummyCredentials: false });
    expect(loadWasConfig({ SAGEMAKER_RUNTIME_URL: 'http://127.0.0.1:8080/' })).toMatchObject({
      runtimeUrl: 'http://127.0.0.1:8080',
      useDummyCredentials: true,
    });
  });
});

/** Restarts a stand-in on a given port (the "endpoint came back" case). */
async function startStandInRuntimeOn(port: number): Promise<StandInRuntime> {
  const { startStandInRuntime: start } = await import('./testing/stand-in-runtime.js');
  return start('image-classifier', port);
}
