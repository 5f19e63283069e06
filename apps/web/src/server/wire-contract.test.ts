import {
  WEB_ERRORS,
  WAS_ERRORS,
  classifyAnswerSchema,
  errorBodySchema,
  flowersAnswerSchema,
  healthBodySchema,
  parseContract,
  statusAnswerSchema,
} from '@petal/contracts';
import { frameworkErrorProblems } from '@petal/service-kit/testing';
import { hasModelAt, MODEL_DIR, startStack, type RunningStack } from '@petal/stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const hasModel = hasModelAt(MODEL_DIR);
if (!hasModel) console.warn(`skipping web wire-contract tests: no model at ${MODEL_DIR}`);

const UPLOAD_LIMIT = 64 * 1024;
const CATALOG = { ...WAS_ERRORS, ...WEB_ERRORS };

function form(bytes: Uint8Array, name = 'photo.jpg'): FormData {
  const fd = new FormData();
  fd.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), name);
  return fd;
}

// The browser's side of the contract: the real web BFF in front of the real WAS and endpoint, as
// processes, every body the browser can receive checked against @petal/contracts.
describe.skipIf(!hasModel)('web wire contract (real stack, shipped model)', () => {
  let stack: RunningStack;
  let url: string;
  beforeAll(async () => {
    stack = await startStack({ services: ['endpoint', 'was', 'web'], env: { web: { MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) } } });
    url = stack.urls.web;
  }, 180_000);
  afterAll(() => stack?.stop());

  it('a classification through the BFF answers the classify contract', async () => {
    const jpeg = await sharp({ create: { width: 96, height: 96, channels: 3, background: '#b4d' } }).jpeg().toBuffer();
    const res = await fetch(`${url}/classify/image?lang=ko`, { method: 'POST', body: form(jpeg) });
    expect(res.status).toBe(200);
    expect(parseContract(classifyAnswerSchema, await res.json(), 'the classify answer').lang).toBe('ko');
  });

  it('/api/status, /flowers and /health answer their contracts', async () => {
    const status = parseContract(statusAnswerSchema, await (await fetch(`${url}/api/status`)).json(), '/api/status');
    expect(status).toMatchObject({ web: { state: 'up' }, was: { state: 'up', ready: true }, endpoint: { state: 'up' } });
    expect(status.model).toMatchObject({ name: 'flower-classifier', source: 'endpoint', labels: expect.arrayContaining(['astilbe']) });
    expect(status.model?.accuracy).toBeGreaterThan(0.9);
    parseContract(flowersAnswerSchema, await (await fetch(`${url}/flowers`)).json(), '/flowers');
    parseContract(healthBodySchema, await (await fetch(`${url}/health`)).json(), '/health');
  });

  it('errors relayed from the WAS and the BFF own keep the error contract', async () => {
    const missing = await fetch(`${url}/flowers/99`);
    expect(missing.status).toBe(404);
    expect(parseContract(errorBodySchema, await missing.json(), 'relayed 404').error.code).toBe('FLOWER_NOT_FOUND');
    const empty = await fetch(`${url}/classify/image`, { method: 'POST', body: form(new Uint8Array(0)) });
    expect(empty.status).toBe(400);
    expect(parseContract(errorBodySchema, await empty.json(), 'relayed 400').error.code).toBe('EMPTY_FILE');
  });

  it("the framework's own errors keep the error contract", async () => {
    const request = new Request('http://x/', { method: 'POST', body: form(new Uint8Array(UPLOAD_LIMIT + 1024).fill(0xff)) });
    const problems = await frameworkErrorProblems(url, {
      getPath: '/api/status',
      post: {
        path: '/classify/image',
        tooLarge: { contentType: request.headers.get('content-type')!, body: new Uint8Array(await request.arrayBuffer()) },
      },
    }, CATALOG);
    expect(problems).toEqual([]);
  });
});
