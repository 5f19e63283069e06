import { InvokeEndpointCommand, SageMakerRuntimeClient, ServiceUnavailable } from '@aws-sdk/client-sagemaker-runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModel, type FakeModel } from './testing/fake-model.js';
import { buildEndpoint } from './server.js';
import { startEndpoint, testConfig, type Running } from './testing/start.js';
import { anyJson } from './testing/json.js';

// Route/queue/admin behaviour with a stand-in model whose timing the test controls. The same routes run
// against the real model in endpoint.contract.test.ts.
describe('endpoint server (stand-in model)', () => {
  let server: Running;
  const models = new Map<string, FakeModel>();
  let jpeg: Buffer;

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#c33' } }).jpeg().toBuffer();
    server = await startEndpoint(
      { maxQueue: 3, maxBatch: 1, adminToken: 's3cret' },
      {
        loader: async (location) => {
          if (location.includes('missing')) throw new Error(`model location ${location} does not exist`);
          const model = fakeModel({ version: location, delayMs: 40 });
          models.set(location, model);
          return model;
        },
      },
    );
  });
  afterAll(() => server?.close());

  const invoke = () => fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });

  it('answers 503 with Retry-After when the queue is full, and keeps serving', async () => {
    const responses = await Promise.all(Array.from({ length: 12 }, invoke));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4); // 1 running + 3 queued
    const refused = responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json().then(anyJson)).toEqual({ error: { code: 'QUEUE_FULL', message: 'the inference queue is full' } });
    }
    expect((await invoke()).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/petal_endpoint_http_requests_total\{method="POST",route="\/invocations",status="503"\} [1-9]/);
    expect(metrics).toMatch(/petal_endpoint_queue_depth 0/);
  });

  it('overload through the runtime API is the SDK\'s ServiceUnavailable', async () => {
    // maxAttempts 1: the SDK would otherwise retry a 503, which is right in production but hides the shape here.
    const client = new SageMakerRuntimeClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret' },
      maxAttempts: 1,
    });
    const send = () =>
      client.send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: jpeg })).then(
        (out) => ({ ok: true as const, out }),
        (err: unknown) => ({ ok: false as const, err }),
      );
    const results = await Promise.all(Array.from({ length: 12 }, send));
    const failures = results.filter((r) => !r.ok).map((r) => (r as { err: unknown }).err);
    expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(4);
    expect(failures.length).toBeGreaterThan(0);
    for (const err of failures) {
      expect(err).toBeInstanceOf(ServiceUnavailable);
      expect((err as ServiceUnavailable).$metadata.httpStatusCode).toBe(503);
    }
    client.destroy();
  });

  it('guards /admin/models with the token and keeps the old model on a bad artifact', async () => {
    const swap = (body: unknown, token?: string) =>
      fetch(`${server.url}/admin/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await swap({ modelDir: 'v2' })).status).toBe(401);
    expect((await swap({ modelDir: 'v2' }, 'wrong')).status).toBe(403);
    const bad = await swap({ modelDir: '/nowhere/missing' }, 's3cret');
    expect(bad.status).toBe(422);
    expect((await bad.json().then(anyJson)).error.message).toMatch(/does not exist; still serving fake@/);
    expect((await swap({ dir: 1 }, 's3cret')).status).toBe(400);

    const ok = await swap({ modelDir: 'v2' }, 's3cret');
    expect(ok.status).toBe(200);
    expect((await ok.json().then(anyJson)).model).toMatchObject({ name: 'fake', version: 'v2', labels: ['astilbe', 'bellflower', 'black_eyed_susan'] });
    const listing = await (await fetch(`${server.url}/models`)).json().then(anyJson);
    expect(listing).toMatchObject({ status: 'ready', endpointName: 'image-classifier', model: { version: 'v2', metrics: { testAccuracy: 0.9 } } });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('petal_endpoint_model_info{name="fake",version="v2"} 1');
    // The first model's info series is gone, not left at 1 beside the new one.
    expect(metrics.match(/petal_endpoint_model_info\{/g)).toHaveLength(1);
  });

  it('hot swap under load drops no request', async () => {
    let stop = false;
    const statuses: number[] = [];
    const versions = new Set<string>();
    const client = async () => {
      while (!stop) {
        const r = await invoke();
        statuses.push(r.status);
        if (r.status === 200) versions.add((await r.json().then(anyJson)).model.version);
        else await r.text();
      }
    };
    const clients = [client(), client()];
    await new Promise((r) => setTimeout(r, 150));
    const res = await fetch(`${server.url}/admin/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-token': 's3cret' },
      body: JSON.stringify({ modelDir: 'v3' }),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    stop = true;
    await Promise.all(clients);
    expect(statuses.length).toBeGreaterThan(4);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(versions.has('v3')).toBe(true);
    expect(models.get('v2')?.disposed).toBe(true);
  });
});

describe('endpoint server while the model loads (stand-in model)', () => {
  it('answers /ping 503 "loading", refuses invocations with 503, then turns ready', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const endpoint = buildEndpoint(testConfig({ maxPayloadBytes: 1000 }), {
      fastify: { logger: false },
      loader: async () => {
        await gate;
        return fakeModel({ version: 'late' });
      },
    });
    await endpoint.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(endpoint.app.server.address() as { port: number }).port}`;
    const loading = endpoint.loadInitialModel();
    try {
      const ping = await fetch(`${url}/ping`);
      expect(ping.status).toBe(503);
      expect(await ping.json().then(anyJson)).toEqual({ status: 'loading', model: null });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const early = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Buffer.from([0xff, 0xd8, 0xff, 1]) });
      expect(early.status).toBe(503);
      expect(early.headers.get('retry-after')).toBe('5');
      expect((await early.json().then(anyJson)).error.code).toBe('MODEL_LOADING');

      const client = new SageMakerRuntimeClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
      const notReady = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: Buffer.from([0xff, 0xd8, 0xff, 1]) }))
        .catch((e: unknown) => e);
      expect(notReady).toBeInstanceOf(ServiceUnavailable);
      // The configurable payload limit, through the runtime API: the SDK sees a ValidationError.
      const tooBig = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: Buffer.alloc(2000, 1) }))
        .catch((e: unknown) => e);
      expect(tooBig).toMatchObject({ name: 'ValidationError', message: 'Request payload exceeds the limit of 1000 bytes.' });
      client.destroy();

      release();
      await loading;
      expect((await fetch(`${url}/ping`)).status).toBe(200);
      const big = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Buffer.alloc(2000, 1) });
      expect(big.status).toBe(413);
      expect((await big.json().then(anyJson)).error.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      release();
      await endpoint.app.close();
      await endpoint.shutdown();
    }
  });
});
