import type { Lang } from '../client/lib/i18n.js';

const locale = (lang: Lang) => (lang === 'ko' ? 'ko-KR' : 'en-US');

/** 850 ms, 4.2 s, 3 min 05 s: the precision a person reads a step's time with. */
export function formatDuration(ms: number | undefined, lang: Lang): string {
  if (ms === undefined) return '';
  const n = (v: number, digits = 0) => new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(v);
  if (ms < 1000) return `${n(ms)} ms`;
  if (ms < 60_000) return lang === 'ko' ? `${n(ms / 1000, 1)}초` : `${n(ms / 1000, 1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return lang === 'ko' ? `${min}분 ${s}초` : `${min} min ${String(s).padStart(2, '0')} s`;
}

export function formatDateTime(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

export function formatNumber(v: number, lang: Lang, digits = 3): string {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits, minimumFractionDigits: Math.min(digits, 1) }).format(v);
}

export function formatPercentOf(v: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(v);
}

export function formatBytes(bytes: number, lang: Lang): string {
  const n = (v: number) => new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 1 }).format(v);
  if (bytes < 1024) return `${n(bytes)} B`;
  if (bytes < 1024 * 1024) return `${n(bytes / 1024)} KB`;
  return `${n(bytes / (1024 * 1024))} MB`;
}

/** A step name over two lines at a CamelCase boundary near its middle, for the narrow graph. */
export function splitStepName(name: string, maxChars: number): [string] | [string, string] {
  if (name.length <= maxChars) return [name];
  const cuts = [...name.matchAll(/(?<=[a-z0-9])(?=[A-Z])/g)].map((m) => m.index);
  if (cuts.length === 0) return [name];
  const cut = cuts.reduce((best, c) => (Math.abs(c - name.length / 2) < Math.abs(best - name.length / 2) ? c : best));
  return [name.slice(0, cut), name.slice(cut)];
}
