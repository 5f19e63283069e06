import { readFile } from 'node:fs/promises';
import { cp, mkdtemp, readFile as readText, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvokeEndpointCommand,
  ModelError,
  SageMakerRuntimeClient,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, referenceTensorBody } from './testing/images.js';
import { MODEL_DIR, SKIP_DATA_REASON, SKIP_MODEL_REASON, hasData, hasModel, samplePhotos, startEndpoint, type Running } from './testing/start.js';
import { anyJson } from './testing/json.js';

if (!hasModel) console.warn(`skipping endpoint contract tests: ${SKIP_MODEL_REASON}`);
if (!hasData) console.warn(`skipping endpoint contract tests: ${SKIP_DATA_REASON}`);

// The SageMaker container contract and the sagemaker-runtime API, against the real model (real inference
// through ONNX Runtime) on a real loopback server.
describe.skipIf(!hasModel || !hasData)('endpoint contract (real model)', () => {
  let server: Running;
  let photos: Array<{ label: string; path: string; bytes: Buffer }>;
  let inputSize: number;

  beforeAll(async () => {
    server = await startEndpoint({ maxInputPixels: 1_000_000 });
    photos = await Promise.all(samplePhotos(2).map(async (p) => ({ ...p, bytes: await readFile(p.path) })));
    inputSize = server.endpoint.host.summary()!.inputSize;
  });
  afterAll(() => server?.close());

  const post = (body: Buffer | string, headers: Record<string, string>, path = '/invocations') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  const expectError = async (res: Response, status: number, code: string | RegExp, message?: RegExp) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json().then(anyJson)) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(code);
    if (message) expect(body.error.message).toMatch(message);
    return body;
  };

  it('answers /health, /ping and /models with the loaded model', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const ping = await fetch(`${server.url}/ping`);
    expect(ping.status).toBe(200);
    const body = await ping.json().then(anyJson);
    expect(body.status).toBe('ready');
    expect(body.model.labels).toEqual(expect.arrayContaining(['astilbe', 'bellflower', 'black_eyed_susan']));
    const models = await (await fetch(`${server.url}/models`)).json().then(anyJson);
    expect(models.model).toMatchObject({ name: body.model.name, version: body.model.version, inputSize: 224 });
    expect(models.model.metrics.testAccuracy).toBeGreaterThan(0.5);
  });

  it('classifies real flower photos sent as image bytes', async () => {
    let correct = 0;
    for (const photo of photos) {
      const res = await post(photo.bytes, { 'content-type': 'image/jpeg', accept: 'application/json' });
      expect(res.status).toBe(200);
      const body = await res.json().then(anyJson);
      expect(body.predictions).toHaveLength(1);
      const p = body.predictions[0] as number[];
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      if (body.labels[argmax(p)] === photo.label) correct++;
      expect(body.model).toEqual({ name: expect.any(String), version: expect.any(String) });
    }
    expect(correct).toBeGreaterThanOrEqual(photos.length - 1);
  });

  it('takes PNG, WebP and application/x-image, and trusts the bytes over the declared type', async () => {
    const photo = photos[0]!;
    const reference = (await (await post(photo.bytes, { 'content-type': 'image/jpeg' })).json().then(anyJson)).predictions[0] as number[];
    const variants: Array<[string, Buffer]> = [
      ['image/png', await sharp(photo.bytes).png().toBuffer()],
      ['image/webp', await sharp(photo.bytes).webp({ lossless: true }).toBuffer()],
      ['application/x-image', photo.bytes],
      ['image/png', photo.bytes], // mislabelled JPEG
      ['image/jpeg; charset=binary', photo.bytes],
    ];
    for (const [type, bytes] of variants) {
      const res = await post(bytes, { 'content-type': type });
      expect(res.status, type).toBe(200);
      const p = (await res.json().then(anyJson)).predictions[0] as number[];
      expect(argmax(p)).toBe(argmax(reference));
    }
  });

  it('takes the reference TensorFlow-Serving JSON tensor and agrees with the image path', async () => {
    for (const photo of photos.slice(0, 3)) {
      const body = await referenceTensorBody(photo.path, inputSize);
      expect(body.length).toBeGreaterThan(1_000_000);
      const fromTensor = (await (await post(body, { 'content-type': 'application/json' })).json().then(anyJson)).predictions[0] as number[];
      const fromImage = (await (await post(photo.bytes, { 'content-type': 'image/jpeg' })).json().then(anyJson)).predictions[0] as number[];
      expect(argmax(fromTensor)).toBe(argmax(fromImage));
      fromTensor.forEach((p, i) => expect(Math.abs(p - fromImage[i]!)).toBeLessThan(0.05));
    }
  });

  it('takes {"b64"} instances, several per request', async () => {
    const [a, b] = [photos[0]!, photos.at(-1)!];
    const res = await post(JSON.stringify({ instances: [{ b64: a.bytes.toString('base64') }, { b64: b.bytes.toString('base64') }] }), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
    const body = await res.json().then(anyJson);
    expect(body.predictions).toHaveLength(2);
    expect(body.labels[argmax(body.predictions[0])]).toBe(a.label);
    expect(body.labels[argmax(body.predictions[1])]).toBe(b.label);
  });

  it('negotiates Accept and echoes custom attributes', async () => {
    for (const accept of ['*/*', 'application/*', 'text/html, application/json;q=0.9']) {
      expect((await post(photos[0]!.bytes, { 'content-type': 'image/jpeg', accept })).status).toBe(200);
    }
    const ok = await post(photos[0]!.bytes, {
      'content-type': 'image/jpeg',
      'x-amzn-sagemaker-custom-attributes': 'trace=abc',
      'x-request-id': 'req-from-was-1',
    });
    expect(ok.headers.get('x-amzn-sagemaker-custom-attributes')).toBe('trace=abc');
    expect(ok.headers.get('x-request-id')).toBe('req-from-was-1');
    await expectError(await post(photos[0]!.bytes, { 'content-type': 'image/jpeg', accept: 'text/csv' }), 406, 'NOT_ACCEPTABLE');
    await expectError(await post(photos[0]!.bytes, { 'content-type': 'image/jpeg', accept: 'application/json;q=0' }), 406, 'NOT_ACCEPTABLE');
  });

  it('refuses bad input with the right 4xx and a JSON body', async () => {
    const jpeg = photos[0]!.bytes;
    await expectError(await post(Buffer.alloc(6 * 1024 * 1024 + 1, 1), { 'content-type': 'image/jpeg' }), 413, /PAYLOAD_TOO_LARGE/);
    await expectError(await post('hello', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE', /text\/plain/);
    await expectError(await post('<svg/>', { 'content-type': 'image/svg+xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(await fetch(`${server.url}/invocations`, { method: 'POST', body: jpeg }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    await expectError(await post(Buffer.alloc(0), { 'content-type': 'image/jpeg' }), 400, 'EMPTY_INPUT');
    await expectError(await post(Buffer.from('GIF? no, text'), { 'content-type': 'image/gif' }), 400, 'NOT_AN_IMAGE');
    await expectError(await post(jpeg.subarray(0, 300), { 'content-type': 'image/jpeg' }), 400, /CORRUPT_IMAGE|NOT_AN_IMAGE/);
    const huge = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#fff' } }).png().toBuffer();
    await expectError(await post(huge, { 'content-type': 'image/png' }), 400, 'TOO_MANY_PIXELS');
    const json = (body: string) => post(body, { 'content-type': 'application/json' });
    await expectError(await json('{"instances": [[1,2,3]]}'), 400, 'INVALID_SHAPE', /224×224×3/);
    await expectError(await json('{"instances": [[[[NaN'), 400, 'INVALID_VALUE', /NaN/);
    await expectError(await json('{"instances": [[[["0.5"'), 400, 'INVALID_VALUE');
    await expectError(await json('{"instances": '), 400, 'INVALID_JSON', /malformed JSON at byte 14/);
    await expectError(await json('{"instances": [{"b64": "bm90IGFuIGltYWdl"}]}'), 400, 'NOT_AN_IMAGE', /instances\[0\]/);
    // After all that, still serving.
    expect((await post(jpeg, { 'content-type': 'image/jpeg' })).status).toBe(200);
  });

  it('exports queue, batch, inference and model-version metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const { name, version } = server.endpoint.host.summary()!;
    expect(text).toContain(`petal_endpoint_model_info{name="${name}",version="${version}"} 1`);
    expect(text).toMatch(/petal_endpoint_queue_depth \d/);
    expect(text).toMatch(/petal_endpoint_batch_size_bucket\{le="1",input="images"\} [1-9]/);
    expect(text).toMatch(/petal_endpoint_inference_duration_seconds_count\{input="pixels"\} [1-9]/);
    expect(text).toMatch(/petal_endpoint_http_request_duration_seconds_bucket\{.*route="\/invocations",status="200"/);
    expect(text).toMatch(/petal_endpoint_http_requests_total\{method="POST",route="\/invocations",status="415"\} [1-9]/);
  });

  describe('sagemaker-runtime InvokeEndpoint through the real AWS SDK', () => {
    let client: SageMakerRuntimeClient;
    beforeAll(() => {
      client = new SageMakerRuntimeClient({
        endpoint: server.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret' },
        maxAttempts: 1,
      });
    });
    afterAll(() => client?.destroy());

    it('invokes the endpoint and reads the prediction', async () => {
      const photo = photos.at(-1)!;
      const out = await client.send(
        new InvokeEndpointCommand({
          EndpointName: 'image-classifier',
          ContentType: 'image/jpeg',
          Accept: 'application/json',
          CustomAttributes: 'req=42',
          Body: photo.bytes,
        }),
      );
      expect(out.ContentType).toBe('application/json');
      expect(out.InvokedProductionVariant).toBe('AllTraffic');
      expect(out.CustomAttributes).toBe('req=42');
      const body = JSON.parse(Buffer.from(out.Body!).toString('utf8'));
      expect(body.labels[argmax(body.predictions[0])]).toBe(photo.label);
    });

    it('sends the JSON tensor the reference WAS sent', async () => {
      const photo = photos[0]!;
      const out = await client.send(
        new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'application/json', Body: await referenceTensorBody(photo.path, inputSize) }),
      );
      const body = JSON.parse(Buffer.from(out.Body!).toString('utf8'));
      expect(body.labels[argmax(body.predictions[0])]).toBe(photo.label);
    });

    it('an unknown endpoint is a ValidationError', async () => {
      const err = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'no-such-endpoint', ContentType: 'image/jpeg', Body: photos[0]!.bytes }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toBe('Endpoint no-such-endpoint of account 123456789012 not found.');
      expect((err as ValidationError).$metadata.httpStatusCode).toBe(400);
    });

    it('a bad image is a ModelError carrying the container status and message', async () => {
      const err = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Body: Buffer.from('not a jpeg') }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      const e = err as ModelError;
      expect(e.OriginalStatusCode).toBe(400);
      expect(JSON.parse(e.OriginalMessage!)).toMatchObject({ error: { code: 'NOT_AN_IMAGE' } });
      expect(e.LogStreamArn).toBe('arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/image-classifier');
      expect(e.message).toMatch(/^Received client error \(400\) from primary/);
      expect(e.$metadata.httpStatusCode).toBe(424);

      const unsupported = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'text/csv', Body: '1,2,3' }))
        .catch((x: unknown) => x);
      expect(unsupported).toBeInstanceOf(ModelError);
      expect((unsupported as ModelError).OriginalStatusCode).toBe(415);
      const notAcceptable = await client
        .send(new InvokeEndpointCommand({ EndpointName: 'image-classifier', ContentType: 'image/jpeg', Accept: 'text/csv', Body: photos[0]!.bytes }))
        .catch((x: unknown) => x);
      expect((notAcceptable as ModelError).OriginalStatusCode).toBe(406);
    });
  });

  it('hot-swaps to a new artifact under load without dropping a request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petal-swap-'));
    try {
      const next = join(dir, 'next');
      await cp(MODEL_DIR, next, { recursive: true });
      const manifest = JSON.parse(await readText(join(next, 'manifest.json'), 'utf8'));
      manifest.version = `${manifest.version}-swapped`;
      await writeFile(join(next, 'manifest.json'), JSON.stringify(manifest));
      const before = server.endpoint.host.summary()!;
      let stop = false;
      const outcomes: Array<{ status: number; version?: string; label?: string; expected: string }> = [];
      const client = async (offset: number) => {
        for (let i = offset; !stop; i++) {
          const photo = photos[i % photos.length]!;
          const res = await post(photo.bytes, { 'content-type': 'image/jpeg' });
          const body = await res.json().then(anyJson);
          outcomes.push({
            status: res.status,
            version: body.model?.version,
            label: body.labels?.[argmax(body.predictions?.[0] ?? [])],
            expected: photo.label,
          });
        }
      };
      const clients = [client(0), client(1), client(2)];
      await new Promise((r) => setTimeout(r, 300));
      const swap = await fetch(`${server.url}/admin/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelDir: next }),
      });
      expect(swap.status).toBe(200);
      expect((await swap.json().then(anyJson)).previous.version).toBe(before.version);
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await Promise.all(clients);
      expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
      const versions = new Set(outcomes.map((o) => o.version));
      expect(versions).toEqual(new Set([before.version, manifest.version]));
      const wrong = outcomes.filter((o) => o.label !== o.expected).length;
      expect(wrong).toBeLessThanOrEqual(Math.ceil(outcomes.length * 0.2));
      // A broken artifact is refused and the swapped-in model keeps serving.
      const bad = await fetch(`${server.url}/admin/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ modelDir: join(dir, 'does-not-exist') }),
      });
      await expectError(bad, 422, 'MODEL_LOAD_FAILED');
      expect(server.endpoint.host.summary()!.version).toBe(manifest.version);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
