import { describe, expect, it } from 'vitest';
import { buildAnswer } from './answer.js';

const model = { name: 'flower-classifier', version: '3' };

describe('buildAnswer', () => {
  it('names the top class in the requested language and lists the top 3', () => {
    const a = buildAnswer(
      { predictions: [[0.05, 0.15, 0.7, 0.1]], labels: ['astilbe', 'bellflower', 'black_eyed_susan', 'rose'], model },
      'ko',
      0.6,
      12.34,
    );
    expect(a.confident).toBe(true);
    expect(a.result).toMatchObject({ no: 2, name: '루드베키아', acc: 0.7 });
    expect(a.result.description).toContain('루드베키아');
    expect(a.top.map((c) => c.key)).toEqual(['black_eyed_susan', 'bellflower', 'rose']);
    expect(a.top[2]).toEqual({ no: 12, key: 'rose', name: '장미', probability: 0.1 });
    expect(a.model).toEqual(model);
    expect(a.lang).toBe('ko');
    expect(a.elapsedMs).toBe(12.3);
  });

  it('maps by the endpoint label keys, not by position, when labels are sent', () => {
    const a = buildAnswer({ predictions: [[0.2, 0.8]], labels: ['tulip', 'iris'] }, 'en', 0.6, 1);
    expect(a.result).toMatchObject({ no: 10, name: 'Iris' });
    expect(a.top[1]).toMatchObject({ no: 14, key: 'tulip' });
  });

  it('uses reference ids when no labels are sent', () => {
    const a = buildAnswer({ predictions: [[0.1, 0.9]] }, 'en', 0.6, 1);
    expect(a.result).toMatchObject({ no: 1, name: 'Bellflower' });
    expect(a.model).toEqual({ name: 'unknown', version: 'unknown' });
  });

  it('says "not sure" under the confidence threshold instead of a confident wrong name', () => {
    const labels = ['astilbe', 'bellflower', 'black_eyed_susan'];
    const en = buildAnswer({ predictions: [[0.45, 0.35, 0.2]], labels, model }, 'en', 0.6, 1);
    expect(en.confident).toBe(false);
    expect(en.result.name).toBe('Not sure (maybe Astilbe)');
    expect(en.result.description).toContain('Astilbe 45%, Bellflower 35%, Black-eyed Susan 20%');
    expect(en.top).toHaveLength(3);
    const ko = buildAnswer({ predictions: [[0.45, 0.35, 0.2]], labels, model }, 'ko', 0.6, 1);
    expect(ko.result.name).toContain('잘 모르겠어요');
    expect(ko.result.name).toContain('아스틸베');
  });

  it('keeps labels the catalog does not know, with no = -1', () => {
    const a = buildAnswer({ predictions: [[0.9, 0.1]], labels: ['edelweiss', 'rose'] }, 'en', 0.6, 1);
    expect(a.result).toMatchObject({ no: -1, name: 'edelweiss' });
  });
});
