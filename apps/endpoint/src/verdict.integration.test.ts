import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  classifyAnswerSchema,
  endpointModelsSchema,
  invocationAnswerSchema,
  parseContract,
  type ClassifyAnswer,
} from '@petal/contracts';
import { writeUncalibratedCopy } from '@petal/model/testing/artifacts';
import { DATA_DIR, MODEL_DIR, hasModelAt, spawnService, waitFor200, wiringEnv, type ServiceProcess as Service } from '@petal/stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SKIP_REASON = !hasModelAt(MODEL_DIR) ? `no model at ${MODEL_DIR}` : !existsSync(DATA_DIR) ? `no flower photos at ${DATA_DIR}` : '';

// The verdict end to end: the real endpoint process serving the shipped model (its out-of-scope score in
// the fused ONNX graph) and the real WAS deciding the verdict, both from source as `npm start` runs them;
// then the same with an uncalibrated copy of the model, as models trained before the score are.

if (SKIP_REASON) console.warn(`skipping verdict integration tests: ${SKIP_REASON}`);

/** Uniform noise, generated here: never a file from the repository. */
async function noise(width: number, height: number): Promise<Buffer> {
  let seed = 12345;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
const solid = (r: number, g: number, b: number) => sharp({ create: { width: 320, height: 240, channels: 3, background: { r, g, b } } }).png().toBuffer();

async function start(modelDir: string): Promise<{ endpoint: Service; was: Service; endpointUrl: string; wasUrl: string }> {
  const endpoint = spawnService('endpoint', { MODEL_DIR: modelDir });
  const endpointUrl = await endpoint.url();
  await waitFor200(`${endpointUrl}/ping`);
  const was = spawnService('was', { ...wiringEnv('was', { endpoint: endpointUrl }), ENDPOINT_MAX_RETRIES: '1' });
  const wasUrl = await was.url();
  await waitFor200(`${wasUrl}/health/ready`);
  return { endpoint, was, endpointUrl, wasUrl };
}

async function classify(wasUrl: string, bytes: Uint8Array, lang: 'en' | 'ko' = 'en'): Promise<ClassifyAnswer> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), 'p.png');
  const res = await fetch(`${wasUrl}/classify/image?lang=${lang}`, { method: 'POST', body: form });
  expect(res.status).toBe(200);
  return parseContract(classifyAnswerSchema, await res.json(), 'the classify answer');
}

describe.skipIf(Boolean(SKIP_REASON))('the verdict through the WAS, with the shipped model', () => {
  let stack: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    stack = await start(MODEL_DIR);
  });
  afterAll(async () => {
    await stack?.was.stop();
    await stack?.endpoint.stop();
  });

  it('lists the calibration in /models and returns each input’s score with the probabilities', async () => {
    const raw = (await (await fetch(`${stack.endpointUrl}/models`)).json()) as { model: { outOfScope: Record<string, unknown> } };
    const models = parseContract(endpointModelsSchema, raw, '/models');
    const calibration = models.model?.outOfScope;
    expect(calibration?.calibration.subset).toBe('validation');
    // The shipped score learned from example images: how many and which, never where training read them.
    expect(calibration?.outlierExamples).toEqual({ count: 611, fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(raw.model.outOfScope).not.toHaveProperty('outlierExamples.source');
    expect(models.model?.labels).toEqual(['astilbe', 'bellflower', 'black_eyed_susan']);
    const res = await fetch(`${stack.endpointUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await noise(200, 150) });
    const answer = parseContract(invocationAnswerSchema, await res.json(), 'the invocation answer');
    expect(answer.predictions[0]).toHaveLength(3);
    expect(answer.outOfScope).toMatchObject({ levels: ['unknown'], method: calibration!.method, thresholds: calibration!.thresholds });
    expect(answer.outOfScope!.scores[0]).toBeGreaterThan(calibration!.thresholds.unknown);
  });

  it.each([
    ['uniform noise', () => noise(320, 240)],
    ['a solid red picture', () => solid(255, 0, 0)],
    ['a solid green picture', () => solid(20, 140, 40)],
    ['a 1×1 red pixel', () => sharp({ create: { width: 1, height: 1, channels: 3, background: '#f00' } }).png().toBuffer()],
  ])('answers %s as unknown, naming no flower, in English and Korean', async (_what, make) => {
    const bytes = await make();
    for (const lang of ['en', 'ko'] as const) {
      const answer = await classify(stack.wasUrl, bytes, lang);
      expect(answer.verdict).toBe('unknown');
      expect(answer.confident).toBe(false);
      expect(answer.result.no).toBe(-1);
      // The candidates are still listed, but none of them is given as the answer.
      for (const candidate of answer.top) expect(answer.result.name).not.toContain(candidate.name);
      expect(answer.result.description).toContain(lang === 'en' ? "doesn't look like one of the 3 flowers Petal knows" : '꽃 3종');
    }
  });

  it('still answers photos of its flowers as flowers', async () => {
    const verdicts: string[] = [];
    for (const label of ['astilbe', 'bellflower', 'black_eyed_susan']) {
      const files = readdirSync(join(DATA_DIR, label)).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, 3);
      for (const file of files) {
        const answer = await classify(stack.wasUrl, await readFile(join(DATA_DIR, label, file)));
        verdicts.push(answer.verdict);
        if (answer.verdict === 'flower') expect(answer.result.no).toBeGreaterThanOrEqual(0);
      }
    }
    // Nine photos the model may have trained on: at most one answered otherwise than flower.
    expect(verdicts.filter((v) => v === 'flower').length, verdicts.join(',')).toBeGreaterThanOrEqual(8);
    expect(verdicts).not.toContain('unknown');
  });
});

describe.skipIf(Boolean(SKIP_REASON))('the verdict through the WAS, with a model trained before the score existed', () => {
  let stack: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petal-older-model-'));
    await writeUncalibratedCopy(MODEL_DIR, dir);
    stack = await start(dir);
  });
  afterAll(async () => {
    await stack?.was.stop();
    await stack?.endpoint.stop();
  });

  it('loads, says in /models that it has no calibration, and sends no score', async () => {
    const models = parseContract(endpointModelsSchema, await (await fetch(`${stack.endpointUrl}/models`)).json(), '/models');
    expect(models.status).toBe('ready');
    expect(models.model?.outOfScope).toBeNull();
    const res = await fetch(`${stack.endpointUrl}/invocations`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: await noise(200, 150) });
    const answer = parseContract(invocationAnswerSchema, await res.json(), 'the invocation answer');
    expect(answer.outOfScope).toBeUndefined();
  });

  it('decides from the probabilities alone: flower or unsure, never unknown', async () => {
    for (const bytes of [await noise(320, 240), await solid(255, 0, 0)]) {
      const answer = await classify(stack.wasUrl, bytes);
      expect(['flower', 'unsure']).toContain(answer.verdict);
      expect(answer.verdict).toBe(answer.confident ? 'flower' : 'unsure');
    }
  });
});
