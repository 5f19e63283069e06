import { FLOWERS } from './flowers.js';
import { LANGUAGES, type Flower, type Lang, type LocalizedFlower } from './types.js';

export { FLOWERS, LANGUAGES };
export type { Flower, Lang, LocalizedFlower };

const byKey = new Map(FLOWERS.map((f) => [f.key, f]));
const byNo = new Map(FLOWERS.map((f) => [f.no, f]));

export function flowerByKey(key: string): Flower | undefined {
  return byKey.get(key);
}

export function flowerByNo(no: number): Flower | undefined {
  return byNo.get(no);
}

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export function localize(flower: Flower, lang: Lang): LocalizedFlower {
  return { no: flower.no, key: flower.key, name: flower.name[lang], description: flower.description[lang] };
}

/**
 * Picks ko or en from an Accept-Language header (RFC 9110 quality values honoured); English when
 * neither is acceptable.
 */
export function negotiateLang(acceptLanguage: string | undefined, fallback: Lang = 'en'): Lang {
  if (!acceptLanguage) return fallback;
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { primary: tag.toLowerCase().split('-')[0] ?? '', quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((r) => r.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const r of ranked) if (isLang(r.primary)) return r.primary;
  return fallback;
}
