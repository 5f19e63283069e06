import { flowerByKey, flowerByNo, type Lang } from '@petal/catalog';
import { TOP_CANDIDATES, decideVerdict, type Candidate, type ClassifyAnswer } from '@petal/contracts';
import type { EndpointPrediction } from './endpoint-client.js';

const NOT_SURE: Record<Lang, { name: (best: string) => string; description: (list: string) => string }> = {
  en: {
    name: (best) => `Not sure (maybe ${best})`,
    description: (list) =>
      `The model is not confident about this photo. Closest matches: ${list}. A closer, well-lit photo of one flower usually helps.`,
  },
  ko: {
    name: (best) => `잘 모르겠어요 (${best}일 수도 있어요)`,
    description: (list) => `이 사진은 확신하기 어려워요. 가장 가까운 후보: ${list}. 꽃 한 송이가 잘 보이도록 밝은 곳에서 가까이 찍으면 도움이 돼요.`,
  },
};

/**
 * An `unknown` answer names no flower as the answer: `no` is -1 (as for a label the catalog does not
 * know) and the words say what the model knows instead. The candidates stay in `top` for the curious.
 */
const UNKNOWN: Record<Lang, { name: string; description: (count: number, known: string) => string }> = {
  en: {
    name: 'Not a flower Petal knows',
    description: (count, known) =>
      `This doesn't look like one of the ${count} flowers Petal knows (${known}). Try a clear photo of one of them.`,
  },
  ko: {
    name: 'Petal이 아는 꽃이 아니에요',
    description: (count, known) => `Petal이 아는 꽃 ${count}종(${known}) 중 하나로 보이지 않아요. 그중 한 꽃이 잘 보이는 사진으로 다시 해 보세요.`,
  },
};

const percent = (p: number) => `${Math.round(p * 100)}%`;

/** Label i of the prediction: the endpoint's label key if it sent labels, else the reference id i. */
function candidate(index: number, probability: number, labels: string[] | undefined, lang: Lang): Candidate & { description: string } {
  const key = labels?.[index];
  const flower = key !== undefined ? flowerByKey(key) : flowerByNo(index);
  if (!flower) {
    // A model trained on classes the catalog does not know yet still answers, with its raw label.
    const raw = key ?? `class_${index}`;
    return { no: -1, key: raw, name: raw, description: '', probability };
  }
  return { no: flower.no, key: flower.key, name: flower.name[lang], description: flower.description[lang], probability };
}

/** Turns the endpoint's probabilities into the answer people read, in their language. */
export function buildAnswer(
  prediction: EndpointPrediction,
  lang: Lang,
  confidenceThreshold: number,
  elapsedMs: number,
): ClassifyAnswer {
  const probabilities = prediction.predictions[0] ?? [];
  const ranked = probabilities
    .map((p, index) => ({ p, index }))
    .sort((a, b) => b.p - a.p || a.index - b.index)
    .slice(0, TOP_CANDIDATES)
    .map(({ p, index }) => candidate(index, p, prediction.labels, lang));
  const best = ranked[0];
  if (!best) throw new Error('prediction without probabilities'); // excluded by the response schema
  const confident = best.probability >= confidenceThreshold;
  const verdict = decideVerdict(best.probability, confidenceThreshold, prediction.outOfScope?.levels[0]);
  const top = ranked.map(({ no, key, name, probability }) => ({ no, key, name, probability }));
  let result;
  if (verdict === 'unknown') {
    // The model's own classes, in its label order: the number and names come from the model, not from us.
    const known = probabilities.map((p, index) => candidate(index, p, prediction.labels, lang).name);
    result = { no: -1, name: UNKNOWN[lang].name, acc: best.probability, description: UNKNOWN[lang].description(known.length, known.join(', ')) };
  } else if (verdict === 'flower') {
    result = { no: best.no, name: best.name, acc: best.probability, description: best.description };
  } else {
    result = {
      no: best.no,
      name: NOT_SURE[lang].name(best.name),
      acc: best.probability,
      description: NOT_SURE[lang].description(top.map((c) => `${c.name} ${percent(c.probability)}`).join(', ')),
    };
  }
  return {
    result,
    top,
    model: { name: prediction.model?.name ?? 'unknown', version: prediction.model?.version ?? 'unknown' },
    lang,
    elapsedMs: Math.round(elapsedMs * 10) / 10,
    // Confidence in the top probability, as before; `verdict` says whether the answer is a flower at all.
    confident: confident && verdict !== 'unknown',
    verdict,
  };
}
