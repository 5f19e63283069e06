import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyAnswerSchema, errorBodySchema, parseContract, type ClassifyAnswer } from '@petal/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, multipartForm } from './testing/images.js';
import { DATA_DIR, MODEL_DIR, SKIP_REASON, spawnService, waitFor200, wiringEnv, type Service } from './testing/processes.js';

// The real thing: the endpoint process serving the real model, and the WAS process calling it through the
// AWS SDK, both started from source as `npm start` does.

if (SKIP_REASON) console.warn(`skipping WAS integration tests: ${SKIP_REASON}`);

const CLASSES = ['astilbe', 'bellflower', 'black_eyed_susan'] as const;
const PER_CLASS = 5;

function photos(label: string): string[] {
  return readdirSync(join(DATA_DIR, label))
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .slice(0, PER_CLASS)
    .map((f) => join(DATA_DIR, label, f));
}

describe.skipIf(Boolean(SKIP_REASON))('WAS → real endpoint → real model', () => {
  let endpoint: Service;
  let was: Service;
  let endpointUrl: string;
  let wasUrl: string;

  beforeAll(async () => {
    endpoint = spawnService('endpoint', { MODEL_DIR });
    endpointUrl = await endpoint.url();
    await waitFor200(`${endpointUrl}/ping`);
    was = spawnService('was', {
      ...wiringEnv('was', { endpoint: endpointUrl }),
      ENDPOINT_MAX_RETRIES: '1',
      ENDPOINT_RETRY_BASE_MS: '10',
      ENDPOINT_RETRY_MAX_MS: '20',
      BREAKER_FAILURE_THRESHOLD: '2',
      BREAKER_COOLDOWN_MS: '1000',
    });
    wasUrl = await was.url();
    await waitFor200(`${wasUrl}/health/ready`);
  });

  afterAll(async () => {
    await was?.stop();
    await endpoint?.stop();
  });

  it.each(CLASSES)('classifies %s photos from the data set correctly', async (label) => {
    const answers: ClassifyAnswer[] = [];
    for (const path of photos(label)) {
      const bytes = await readFile(path);
      const res = await fetch(`${wasUrl}/classify/image?lang=en`, { method: 'POST', body: multipartForm([{ field: 'file', bytes, filename: 'p.jpg' }]) });
      expect(res.status).toBe(200);
      answers.push(parseContract(classifyAnswerSchema, await res.json(), 'the classify answer'));
    }
    const correct = answers.filter((a) => a.top[0]?.key === label);
    // The shipped model is ~94% accurate; allow one miss in five rather than pretend it is perfect.
    expect(correct.length).toBeGreaterThanOrEqual(PER_CLASS - 1);
    const a = correct[0]!;
    expect(a.result.no).toBe(CLASSES.indexOf(label));
    expect(a.model.name).toBeTypeOf('string');
    expect(a.top.length).toBeGreaterThanOrEqual(2);
    const sum = a.top.reduce((s: number, c: { probability: number }) => s + c.probability, 0);
    expect(sum).toBeLessThanOrEqual(1.0001);
  });

  it('answers in Korean when asked', async () => {
    const bytes = await readFile(photos('black_eyed_susan')[0]!);
    const res = await fetch(`${wasUrl}/classify/image`, {
      method: 'POST',
      headers: { 'accept-language': 'ko-KR,ko;q=0.9' },
      body: multipartForm([{ field: 'file', bytes }]),
    });
    const body = parseContract(classifyAnswerSchema, await res.json(), 'the classify answer');
    expect(body.lang).toBe('ko');
    expect(body.top.map((c: { name: string }) => c.name)).toContain('루드베키아');
  });

  it('propagates the request id to the endpoint', async () => {
    const id = `it-${Date.now()}`;
    const res = await fetch(`${wasUrl}/classify/image`, {
      method: 'POST',
      headers: { 'x-request-id': id },
      body: multipartForm([{ field: 'file', bytes: await makeImage('png') }]),
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(endpoint.output()).toContain(id);
    expect(was.output()).toContain(id);
  });

  it('maps the endpoint refusing a corrupt image (ModelError, original 400) to 422', async () => {
    const jpeg = await makeImage('jpeg');
    const corrupt = Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(2000, 0x42)]); // JPEG magic, garbage after
    const res = await fetch(`${wasUrl}/classify/image`, { method: 'POST', body: multipartForm([{ field: 'file', bytes: corrupt }]) });
    expect(res.status).toBe(422);
    const body = parseContract(errorBodySchema, await res.json(), 'the error body');
    expect(body.error.code).toBe('IMAGE_REJECTED');
  });

  it('answers 503 when the endpoint dies, fast once the circuit is open, and recovers when it comes back', async () => {
    const port = new URL(endpointUrl).port;
    const form = async () => multipartForm([{ field: 'file', bytes: await makeImage('jpeg') }]);
    endpoint.child.kill('SIGKILL');
    await endpoint.exited;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${wasUrl}/classify/image`, { method: 'POST', body: await form() });
      expect(res.status).toBe(503);
      await res.arrayBuffer();
    }
    const body = await form();
    const t0 = performance.now();
    const fast = await fetch(`${wasUrl}/classify/image`, { method: 'POST', body });
    const took = performance.now() - t0;
    expect(fast.status).toBe(503);
    expect(fast.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(parseContract(errorBodySchema, await fast.json(), 'the error body').error.message).toContain('circuit open');
    expect(took).toBeLessThan(100);

    endpoint = spawnService('endpoint', { MODEL_DIR, PORT: port });
    await waitFor200(`${endpointUrl}/ping`);
    await new Promise((r) => setTimeout(r, 1100)); // the breaker's cool-down
    const back = await fetch(`${wasUrl}/classify/image`, { method: 'POST', body: await form() });
    expect(back.status).toBe(200);
    await back.arrayBuffer();
    await waitFor200(`${wasUrl}/health/ready`, 5_000);
  });
});

describe('WAS process start-up', () => {
  it('exits non-zero naming the bad variable', async () => {
    const p = spawnService('was', { ENDPOINT_TIMEOUT_MS: 'soon' });
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect(p.output()).toMatch(/ENDPOINT_TIMEOUT_MS/);
  });
});
