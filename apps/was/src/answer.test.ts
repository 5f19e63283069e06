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

  describe('verdict', () => {
    const labels = ['astilbe', 'bellflower', 'black_eyed_susan'];
    const ood = (level: 'in-scope' | 'unsure' | 'unknown', score: number) => ({
      scores: [score],
      levels: [level],
      method: 'class-mahalanobis-diagonal-sqrt',
      thresholds: { unsure: 1.5, unknown: 2 },
    });

    it('is flower for a confident, in-scope answer, naming the flower', () => {
      const a = buildAnswer({ predictions: [[0.9, 0.05, 0.05]], labels, model, outOfScope: ood('in-scope', 1) }, 'en', 0.6, 1);
      expect(a.verdict).toBe('flower');
      expect(a.confident).toBe(true);
      expect(a.result).toMatchObject({ no: 0, name: 'Astilbe' });
    });

    it('is unknown when the model says out of scope, however sure the softmax is, and names no flower', () => {
      for (const lang of ['en', 'ko'] as const) {
        const a = buildAnswer({ predictions: [[0.999, 0.0005, 0.0005]], labels, model, outOfScope: ood('unknown', 40) }, lang, 0.6, 1);
        expect(a.verdict).toBe('unknown');
        expect(a.confident).toBe(false);
        expect(a.result.no).toBe(-1);
        for (const flower of ['Astilbe', '아스틸베']) expect(a.result.name).not.toContain(flower);
        // The count and the names come from the model's labels.
        expect(a.result.description).toContain(lang === 'en' ? "doesn't look like one of the 3 flowers Petal knows" : '3종');
        expect(a.result.description).toContain(lang === 'en' ? 'Astilbe, Bellflower, Black-eyed Susan' : '아스틸베');
        expect(a.top[0]!.key).toBe('astilbe');
      }
    });

    it('counts the model’s own labels in the unknown text', () => {
      const a = buildAnswer(
        { predictions: [[0.5, 0.5]], labels: ['tulip', 'iris'], model, outOfScope: { ...ood('unknown', 9), scores: [9] } },
        'en',
        0.6,
        1,
      );
      expect(a.result.description).toContain('one of the 2 flowers Petal knows (Tulip, Iris)');
    });

    it('is unsure when the score is in the unsure band, even with a confident softmax', () => {
      const a = buildAnswer({ predictions: [[0.95, 0.03, 0.02]], labels, model, outOfScope: ood('unsure', 1.7) }, 'en', 0.6, 1);
      expect(a.verdict).toBe('unsure');
      expect(a.result.name).toBe('Not sure (maybe Astilbe)');
    });

    it('is unsure for an in-scope answer under the confidence threshold', () => {
      const a = buildAnswer({ predictions: [[0.5, 0.3, 0.2]], labels, model, outOfScope: ood('in-scope', 1) }, 'en', 0.6, 1);
      expect(a.verdict).toBe('unsure');
    });

    it('comes from the probabilities alone for a model without a calibration: flower or unsure, never unknown', () => {
      expect(buildAnswer({ predictions: [[0.999, 0.0005, 0.0005]], labels, model }, 'en', 0.6, 1).verdict).toBe('flower');
      expect(buildAnswer({ predictions: [[0.4, 0.3, 0.3]], labels, model }, 'en', 0.6, 1).verdict).toBe('unsure');
    });
  });
});
