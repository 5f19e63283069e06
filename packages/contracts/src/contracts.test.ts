import { describe, expect, it } from 'vitest';
import {
  COMMON_ERRORS,
  ENDPOINT_ERRORS,
  WAS_ERRORS,
  WEB_ERRORS,
  ContractViolation,
  checkContract,
  classifyAnswerSchema,
  errorBodySchema,
  invocationAnswerSchema,
  isCatalogCode,
  jsonSchemaOf,
  parseContract,
} from './index.js';

const answer = {
  result: { no: 0, name: 'Astilbe', acc: 0.93, description: '…' },
  top: [{ no: 0, key: 'astilbe', name: 'Astilbe', probability: 0.93 }],
  model: { name: 'flower-classifier', version: '1.0.0' },
  lang: 'en',
  elapsedMs: 12.5,
  confident: true,
  verdict: 'flower',
};

describe('contract checks', () => {
  it('accept a valid answer and name every wrong field of an invalid one', () => {
    expect(checkContract(classifyAnswerSchema, answer)).toEqual({ ok: true, value: answer });
    const broken = { ...answer, result: { ...answer.result, acc: '93%' }, lang: 'fr' };
    const checked = checkContract(classifyAnswerSchema, broken);
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problem).toContain('result.acc: expected number, got string');
    expect(checked.problem).toContain('lang: must be one of "ko", "en"');
  });

  it('parseContract throws a ContractViolation saying whose body was wrong', () => {
    expect(() => parseContract(invocationAnswerSchema, { predictions: [[1.5]] }, "the endpoint's answer")).toThrow(
      new ContractViolation("the endpoint's answer", 'predictions.0.0: must be <= 1'),
    );
    expect(() => parseContract(invocationAnswerSchema, { predictions: [] }, 'x')).toThrow(/predictions: must be at least 1 items/);
    // TF-Serving's bare answer, as the reference's endpoint sent it, stays valid.
    expect(parseContract(invocationAnswerSchema, { predictions: [[0.2, 0.8]] }, 'x')).toEqual({ predictions: [[0.2, 0.8]] });
  });

  it('error bodies need a code and a message', () => {
    expect(errorBodySchema.safeParse({ error: { code: 'NOT_FOUND', message: 'no route' } }).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: 'Not Found', message: 'no route', statusCode: 404 }).success).toBe(false);
  });

  it('JSON Schema for serializers and OpenAPI comes from the same schema', () => {
    const json = jsonSchemaOf(classifyAnswerSchema, { id: 'ClassifyAnswer' });
    expect(json).toMatchObject({ $id: 'ClassifyAnswer', type: 'object', required: expect.arrayContaining(['result', 'top', 'confident']) });
    expect(json).not.toHaveProperty('$schema');
  });
});

describe('error catalog', () => {
  it('every boundary carries the common errors with the same status', () => {
    for (const catalog of [ENDPOINT_ERRORS, WAS_ERRORS, WEB_ERRORS]) {
      for (const [code, spec] of Object.entries(COMMON_ERRORS)) expect(catalog[code as keyof typeof catalog]).toEqual(spec);
    }
  });

  it('codes are SCREAMING_SNAKE_CASE with a 4xx/5xx status and a message', () => {
    for (const catalog of [ENDPOINT_ERRORS, WAS_ERRORS, WEB_ERRORS]) {
      for (const [code, spec] of Object.entries(catalog)) {
        expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
        expect(spec.status).toBeGreaterThanOrEqual(400);
        expect(spec.status).toBeLessThan(600);
        expect(spec.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('isCatalogCode tells declared codes from others', () => {
    expect(isCatalogCode(WAS_ERRORS, 'FILE_TOO_LARGE')).toBe(true);
    expect(isCatalogCode(WAS_ERRORS, 'QUEUE_FULL')).toBe(false);
    expect(isCatalogCode(WAS_ERRORS, 'toString')).toBe(false);
  });
});
