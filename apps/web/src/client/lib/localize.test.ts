import { describe, expect, it } from 'vitest';
import type { ClassifyAnswer } from '@petal/contracts';
import { localizeResponse } from './localize.js';

describe('answers follow the chosen language without a new request', () => {
  const en: ClassifyAnswer = {
    result: { no: 2, name: 'Black-eyed Susan', acc: 0.97, description: 'Rudbeckia…' },
    top: [
      { no: 2, key: 'black_eyed_susan', name: 'Black-eyed Susan', probability: 0.97 },
      { no: 0, key: 'astilbe', name: 'Astilbe', probability: 0.02 },
      { no: 99, key: 'mystery', name: 'Mystery flower', probability: 0.01 },
    ],
    model: { name: 'flower-classifier', version: '1.0.0' },
    lang: 'en',
    elapsedMs: 9,
    confident: true,
    verdict: 'flower',
  };

  it('re-localizes names and description from the catalog, keeps unknown flowers as sent', () => {
    const ko = localizeResponse(en, 'ko');
    expect(ko.result.name).toBe('루드베키아');
    expect(ko.result.description).toMatch(/루드베키아/);
    expect(ko.result.acc).toBe(0.97);
    expect(ko.top.map((c) => c.name)).toEqual(['루드베키아', '아스틸베', 'Mystery flower']);
    expect(localizeResponse(ko, 'en').result.name).toBe('Black-eyed Susan');
  });
});
