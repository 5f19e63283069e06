// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { detectLang, formatConfidence, initialLang, LANG_STORAGE_KEY, messagesFor, rememberLang } from './i18n.js';
import { MESSAGES } from './messages.js';

describe('language detection and persistence', () => {
  beforeEach(() => localStorage.clear());

  it('follows the first browser language Petal speaks', () => {
    expect(detectLang(['ko-KR', 'en-US'])).toBe('ko');
    expect(detectLang(['fr-FR', 'ko', 'en'])).toBe('ko');
    expect(detectLang(['en-GB', 'ko'])).toBe('en');
    expect(detectLang(['ja-JP', 'zh-CN'])).toBe('en');
    expect(detectLang(['KO_kr'])).toBe('ko');
    expect(detectLang([])).toBe('en');
    expect(detectLang(undefined)).toBe('en');
  });

  it('remembers a choice in localStorage and prefers it over the browser on the next visit', () => {
    expect(initialLang(localStorage, ['ko-KR'])).toBe('ko');
    rememberLang(localStorage, 'en');
    expect(localStorage.getItem(LANG_STORAGE_KEY)).toBe('en');
    expect(initialLang(localStorage, ['ko-KR'])).toBe('en');
  });

  it('ignores a stored value it does not know', () => {
    localStorage.setItem(LANG_STORAGE_KEY, 'de');
    expect(initialLang(localStorage, ['ko'])).toBe('ko');
  });

  it('survives storage that throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    } as unknown as Storage;
    expect(initialLang(broken, ['ko'])).toBe('ko');
    expect(() => rememberLang(broken, 'en')).not.toThrow();
  });

  it('has every message in both languages, and they differ', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`]));
    expect(keys(MESSAGES.ko).sort()).toEqual(keys(MESSAGES.en).sort());
    expect(messagesFor('ko').classify.action).not.toBe(messagesFor('en').classify.action);
    expect(messagesFor('ko').errors.busy.title).toMatch(/[가-힣]/);
  });
});

describe('formatConfidence', () => {
  it('never claims certainty: >99% and <1% at the ends, whole percent between', () => {
    expect(formatConfidence(0.99999, 'en')).toBe('>99%');
    expect(formatConfidence(1, 'ko')).toBe('>99%');
    expect(formatConfidence(0.99, 'en')).toBe('99%');
    expect(formatConfidence(0.004, 'en')).toBe('<1%');
    expect(formatConfidence(0, 'en')).toBe('<1%');
    expect(formatConfidence(0.01, 'en')).toBe('1%');
    expect(formatConfidence(0.8649, 'en')).toBe('86%');
  });
});
