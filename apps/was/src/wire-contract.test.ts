import {
  WAS_ERRORS,
  classifyAnswerSchema,
  errorBodySchema,
  flowerAnswerSchema,
  flowersAnswerSchema,
  healthBodySchema,
  isCatalogCode,
  parseContract,
  wasReadinessSchema,
} from '@petal/contracts';
import { hasModelAt, MODEL_DIR, startStack, type RunningStack } from '@petal/stack';
import { frameworkErrorProblems } from '@petal/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImage, multipartForm } from './testing/images.js';

const hasModel = hasModelAt(MODEL_DIR);
if (!hasModel) console.warn(`skipping WAS wire-contract tests: no model at ${MODEL_DIR}`);

const UPLOAD_LIMIT = 64 * 1024;

// The real WAS in front of the real endpoint with the shipped model, both as processes: every body the
// WAS answers, checked against @petal/contracts. Images are generated, so no data set is needed.
describe.skipIf(!hasModel)('WAS wire contract (real endpoint, shipped model)', () => {
  let stack: RunningStack<'endpoint' | 'was'>;
  let url: string;
  beforeAll(async () => {
    stack = await startStack({ services: ['endpoint', 'was'], env: { was: { MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) } } });
    url = stack.urls.was;
  }, 120_000);
  afterAll(() => stack?.stop());

  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${url}${path}`, init);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const expectCatalogError = ({ status, body }: { status: number; body: unknown }, code: string) => {
    const parsed = parseContract(errorBodySchema, body, 'the error body');
    expect(parsed.error.code).toBe(code);
    expect(isCatalogCode(WAS_ERRORS, code)).toBe(true);
    expect(status).toBe(WAS_ERRORS[code as keyof typeof WAS_ERRORS].status);
  };

  it('a classification answers the classify contract, in both languages', async () => {
    for (const lang of ['en', 'ko'] as const) {
      const image = await makeImage('jpeg', 128);
      const { status, body } = await json(`/classify/image?lang=${lang}`, { method: 'POST', body: multipartForm([{ field: 'file', bytes: image, filename: 'p.jpg' }]) });
      expect(status).toBe(200);
      const answer = parseContract(classifyAnswerSchema, body, 'the classify answer');
      expect(answer.lang).toBe(lang);
      expect(answer.model.name).toBe('flower-classifier');
    }
  });

  it('catalog, health and readiness answer their contracts', async () => {
    parseContract(flowersAnswerSchema, (await json('/flowers?lang=ko')).body, '/flowers');
    parseContract(flowerAnswerSchema, (await json('/flowers/1')).body, '/flowers/1');
    parseContract(healthBodySchema, (await json('/health')).body, '/health');
    const ready = parseContract(wasReadinessSchema, (await json('/health/ready')).body, '/health/ready');
    expect(ready).toMatchObject({ status: 'ready', checks: { circuit: 'closed', endpoint: 'reachable' }, model: { name: 'flower-classifier' } });
  });

  it('refusals carry a WAS catalog code with its status', async () => {
    expectCatalogError(await json('/flowers/99'), 'FLOWER_NOT_FOUND');
    expectCatalogError(await json('/flowers?lang=fr'), 'VALIDATION_ERROR');
    const form = (bytes: Uint8Array, field = 'file') => ({ method: 'POST', body: multipartForm([{ field, bytes, filename: 'p.jpg' }]) });
    expectCatalogError(await json('/classify/image', form(new Uint8Array(0))), 'EMPTY_FILE');
    expectCatalogError(await json('/classify/image', form(await makeImage('png'), 'photo')), 'UNEXPECTED_FIELD');
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic'), Buffer.alloc(64)]);
    const refused = await json('/classify/image', form(heic));
    expectCatalogError(refused, 'UNSUPPORTED_IMAGE_TYPE');
    // The words @petal/imaging uses for every tier, not a generic "not an image".
    expect(parseContract(errorBodySchema, refused.body, 'x').error.message).toMatch(/^HEIC\/HEIF images are not supported/);
  });

  it("the framework's own errors keep the error contract", async () => {
    const big = new Uint8Array(UPLOAD_LIMIT + 1024).fill(0xff);
    const tooLarge = multipartForm([{ field: 'file', bytes: big, filename: 'p.jpg' }]);
    const request = new Request('http://x/', { method: 'POST', body: tooLarge });
    const problems = await frameworkErrorProblems(url, {
      getPath: '/flowers',
      post: {
        path: '/classify/image',
        tooLarge: { contentType: request.headers.get('content-type')!, body: new Uint8Array(await request.arrayBuffer()) },
      },
    }, WAS_ERRORS, { 'body too large': 'FILE_TOO_LARGE' });
    expect(problems).toEqual([]);
  });
});
