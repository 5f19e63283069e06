import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  ENDPOINT_ERRORS,
  endpointModelsSchema,
  endpointPingSchema,
  errorBodySchema,
  healthBodySchema,
  invocationAnswerSchema,
  isCatalogCode,
  modelSwapAnswerSchema,
  parseContract,
  runtimeErrorBodySchema,
} from '@petal/contracts';
import { frameworkErrorProblems } from '@petal/service-kit/testing';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_DIR, SKIP_MODEL_REASON, hasModel, startEndpoint, type Running } from './testing/start.js';

if (!hasModel) console.warn(`skipping endpoint wire-contract tests: ${SKIP_MODEL_REASON}`);

/** A photo-like image made here (no data set needed): a colour gradient with some structure. */
async function generatedJpeg(width = 256, height = 256): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x ^ y) & 0x20) * 4;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

// Every body the endpoint sends, checked against @petal/contracts, with the shipped model and images made
// in the test: this runs on a machine without ../shared.
describe.skipIf(!hasModel)('endpoint wire contract (shipped model, generated images)', () => {
  let server: Running;
  let jpeg: Buffer;
  beforeAll(async () => {
    server = await startEndpoint({ maxPayloadBytes: 256 * 1024 });
    jpeg = await generatedJpeg();
  });
  afterAll(() => server?.close());

  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const invoke = async (body: Buffer | string, contentType: string) => {
    const res = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const expectCatalogError = (status: number, json: unknown, code: string) => {
    const body = parseContract(errorBodySchema, json, 'the error body');
    expect(body.error.code).toBe(code);
    expect(isCatalogCode(ENDPOINT_ERRORS, body.error.code)).toBe(true);
    expect(status).toBe(ENDPOINT_ERRORS[code as keyof typeof ENDPOINT_ERRORS].status);
  };

  it('/health, /ping and /models answer their contracts', async () => {
    parseContract(healthBodySchema, (await get('/health')).json, '/health');
    const ping = parseContract(endpointPingSchema, (await get('/ping')).json, '/ping');
    expect(ping.status).toBe('ready');
    const models = parseContract(endpointModelsSchema, (await get('/models')).json, '/models');
    expect(models.model?.labels).toEqual(expect.arrayContaining(['astilbe', 'bellflower', 'black_eyed_susan']));
  });

  it('image bytes, a JSON tensor and b64 instances all answer the invocation contract', async () => {
    const fromBytes = parseContract(invocationAnswerSchema, (await invoke(jpeg, 'image/jpeg')).json, 'image answer');
    expect(fromBytes.labels).toHaveLength(fromBytes.predictions[0]!.length);
    const tensor = JSON.stringify({ instances: [Array.from({ length: 224 }, () => Array.from({ length: 224 }, () => [0.4, 0.5, 0.3]))] });
    const big = await startEndpoint();
    try {
      const res = await fetch(`${big.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tensor });
      parseContract(invocationAnswerSchema, await res.json(), 'tensor answer');
    } finally {
      await big.close();
    }
    const b64 = await invoke(JSON.stringify({ instances: [{ b64: jpeg.toString('base64') }, { b64: jpeg.toString('base64') }] }), 'application/json');
    expect(parseContract(invocationAnswerSchema, b64.json, 'b64 answer').predictions).toHaveLength(2);
  });

  it('refusals carry a catalog code with the catalog status', async () => {
    const empty = await invoke(Buffer.alloc(0), 'image/jpeg');
    expectCatalogError(empty.status, empty.json, 'EMPTY_INPUT');
    const text = await invoke('not an image', 'image/png');
    expectCatalogError(text.status, text.json, 'NOT_AN_IMAGE');
    const csv = await invoke('a,b', 'text/csv');
    expectCatalogError(csv.status, csv.json, 'UNSUPPORTED_MEDIA_TYPE');
    const json = await invoke('{"instances": ', 'application/json');
    expectCatalogError(json.status, json.json, 'INVALID_JSON');
    const shape = await invoke('{"instances": [[1,2,3]]}', 'application/json');
    expectCatalogError(shape.status, shape.json, 'INVALID_SHAPE');
    const swap = await fetch(`${server.url}/admin/models`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectCatalogError(swap.status, await swap.json(), 'VALIDATION_ERROR');
  });

  it("the framework's own errors keep the error contract", async () => {
    const targets = {
      getPath: '/ping',
      post: { path: '/invocations', tooLarge: { contentType: 'image/jpeg', body: Buffer.alloc(256 * 1024 + 1, 0xff) } },
    };
    expect(await frameworkErrorProblems(server.url, targets, ENDPOINT_ERRORS)).toEqual([]);
  });

  it('through the real AWS SDK: the payload is the invocation contract, a ModelError carries a contract error body', async () => {
    const client = new SageMakerRuntimeClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const out = await client.send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: jpeg }));
      parseContract(invocationAnswerSchema, JSON.parse(new TextDecoder().decode(out.Body)), 'InvokeEndpoint payload');
      const err = (await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: Buffer.from('nope') }))
        .catch((e: unknown) => e)) as ModelError;
      expect(err).toBeInstanceOf(ModelError);
      parseContract(runtimeErrorBodySchema, { OriginalStatusCode: err.OriginalStatusCode, OriginalMessage: err.OriginalMessage }, 'ModelError');
      const original = parseContract(errorBodySchema, JSON.parse(err.OriginalMessage ?? ''), "the container's answer in OriginalMessage");
      expect(original.error.code).toBe('NOT_AN_IMAGE');
    } finally {
      client.destroy();
    }
  });

  it('a model swap answers the swap contract', async () => {
    const res = await fetch(`${server.url}/admin/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelDir: MODEL_DIR }),
    });
    expect(res.status).toBe(200);
    const swap = parseContract(modelSwapAnswerSchema, await res.json(), 'swap answer');
    expect(swap.previous?.name).toBe(swap.model.name);
  });
});

describe.skipIf(!hasModel)('the registered identity (PETAL_MODEL_NAME / PETAL_MODEL_VERSION)', () => {
  it('names the registered version for the configured model, and a swapped-in artifact by its own manifest', async () => {
    const server = await startEndpoint({ modelIdentity: { name: 'flower-classifier', version: '7' } });
    const other = await mkdtemp(join(tmpdir(), 'petal-identity-'));
    try {
      await cp(MODEL_DIR, other, { recursive: true });
      const jpeg = await generatedJpeg(64, 64);
      const answer = await fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
      expect(parseContract(invocationAnswerSchema, await answer.json(), 'answer').model).toEqual({ name: 'flower-classifier', version: '7' });
      const models = parseContract(endpointModelsSchema, await (await fetch(`${server.url}/models`)).json(), '/models');
      expect(models.model).toMatchObject({ name: 'flower-classifier', version: '7' });
      const swap = await fetch(`${server.url}/admin/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelDir: other }),
      });
      const swapped = parseContract(modelSwapAnswerSchema, await swap.json(), 'swap answer');
      expect(swapped.previous?.version).toBe('7');
      // The copy's own version (the shipped model's, whatever retraining last set it to).
      expect(swapped.model.version).toBe(JSON.parse(await readFile(join(other, 'manifest.json'), 'utf8')).version);
    } finally {
      await server.close();
      await rm(other, { recursive: true, force: true });
    }
  });
});
