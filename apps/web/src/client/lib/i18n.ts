import type { Lang } from '@petal/catalog';
import { MESSAGES, type Messages } from './messages.js';

export type { Lang };
export const LANGS: readonly Lang[] = ['ko', 'en'];
export const LANG_STORAGE_KEY = 'petal.lang';

export function isLang(value: unknown): value is Lang {
  return value === 'ko' || value === 'en';
}

/**
 * The first of the browser's preferred languages that Petal speaks (navigator.languages is already in
 * preference order); English for everyone else.
 */
export function detectLang(preferred: readonly string[] | undefined): Lang {
  for (const tag of preferred ?? []) {
    const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
    if (isLang(primary)) return primary;
  }
  return 'en';
}

/** Storage can throw (Safari private mode, disabled cookies); the language choice is then just not remembered. */
function safeGet(storage: Storage | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** A remembered choice wins; the browser's languages decide on the first visit. */
export function initialLang(storage: Storage | undefined, preferred: readonly string[] | undefined): Lang {
  const saved = safeGet(storage, LANG_STORAGE_KEY);
  return isLang(saved) ? saved : detectLang(preferred);
}

export function rememberLang(storage: Storage | undefined, lang: Lang): void {
  try {
    storage?.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    // not remembered; the UI still switches
  }
}

export function messagesFor(lang: Lang): Messages {
  return MESSAGES[lang];
}

export function formatPercent(p: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US', { style: 'percent', maximumFractionDigits: 1 }).format(p);
}

/**
 * A probability as people should read it: whole percent, and never "100%" or "0%" for what a model only
 * believes strongly (">99%", "<1%").
 */
export function formatConfidence(p: number, lang: Lang): string {
  const fmt = (v: number) => new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US', { style: 'percent', maximumFractionDigits: 0 }).format(v);
  if (p > 0.99) return `>${fmt(0.99)}`;
  if (p < 0.01) return `<${fmt(0.01)}`;
  return fmt(Math.round(p * 100) / 100);
}

export function formatBytes(bytes: number, lang: Lang): string {
  const fmt = new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US', { maximumFractionDigits: 1 });
  if (bytes < 1024) return `${fmt.format(bytes)} B`;
  if (bytes < 1024 * 1024) return `${fmt.format(bytes / 1024)} KB`;
  return `${fmt.format(bytes / (1024 * 1024))} MB`;
}

export function formatTime(epochMs: number, lang: Lang, withSeconds = false): string {
  return new Intl.DateTimeFormat(lang === 'ko' ? 'ko-KR' : 'en-US', { hour: '2-digit', minute: '2-digit', ...(withSeconds ? { second: '2-digit' } : {}) }).format(epochMs);
}
