import { describe, expect, it } from 'vitest';
import { FLOWERS, flowerByKey, flowerByNo, localize, negotiateLang } from './index.js';

describe('flower catalog', () => {
  it('keeps the reference label map: 16 flowers, ids 0–15 in order, unique keys', () => {
    expect(FLOWERS.map((f) => f.no)).toEqual([...Array(16).keys()]);
    expect(new Set(FLOWERS.map((f) => f.key)).size).toBe(16);
    expect(flowerByNo(2)?.key).toBe('black_eyed_susan');
    expect(flowerByKey('water_lily')?.no).toBe(15);
  });

  it('has a name and a description in both languages for every flower', () => {
    for (const f of FLOWERS) {
      for (const lang of ['ko', 'en'] as const) {
        expect(f.name[lang].length).toBeGreaterThan(1);
        expect(f.description[lang].length).toBeGreaterThan(20);
      }
      expect(f.name.ko).toMatch(/[\uac00-\ud7a3]/);
    }
  });

  it('localizes', () => {
    expect(localize(flowerByNo(0)!, 'ko').name).toBe('아스틸베');
  });

  it('negotiates the language from Accept-Language with quality values', () => {
    expect(negotiateLang(undefined)).toBe('en');
    expect(negotiateLang('ko-KR,ko;q=0.9,en-US;q=0.8')).toBe('ko');
    expect(negotiateLang('fr-FR, en;q=0.5, ko;q=0.7')).toBe('ko');
    expect(negotiateLang('de, fr')).toBe('en');
    expect(negotiateLang('ko;q=0, en')).toBe('en');
  });
});
