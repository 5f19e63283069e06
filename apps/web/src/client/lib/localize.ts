import { flowerByNo, localize } from '@petal/catalog';
import type { Lang } from '@petal/catalog';
import type { Candidate, ClassifyAnswer } from '@petal/contracts';

/**
 * Shows an answer in the language picked now, not the one asked in: the catalog knows every flower's
 * names in both languages, so switching language does not need a new classification. Flowers the
 * catalog does not know keep the service's text.
 */
export function localizeResponse(response: ClassifyAnswer, lang: Lang): ClassifyAnswer {
  const flower = flowerByNo(response.result.no);
  const result = flower ? { ...response.result, ...pick(localize(flower, lang)) } : response.result;
  return { ...response, result, top: response.top.map((c) => localizeCandidate(c, lang)) };
}

function pick(f: { name: string; description: string }) {
  return { name: f.name, description: f.description };
}

export function localizeCandidate(c: Candidate, lang: Lang): Candidate {
  const flower = flowerByNo(c.no);
  return flower ? { ...c, name: flower.name[lang] } : c;
}

export function flowerName(no: number, fallback: string, lang: Lang): string {
  return flowerByNo(no)?.name[lang] ?? fallback;
}
