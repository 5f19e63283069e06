import { decideVerdict, type Verdict } from '@petal/contracts';
import type { Classification } from '@petal/model';
import { z } from 'zod';

/** How one set of images was answered, verdict by verdict. */
export const verdictCountsSchema = z.object({
  size: z.number().int().nonnegative(),
  flower: z.number().int().nonnegative(),
  unsure: z.number().int().nonnegative(),
  unknown: z.number().int().nonnegative(),
});
export type VerdictCounts = z.infer<typeof verdictCountsSchema>;

/**
 * evaluation.json's `out_of_scope` block: the verdicts the service would give, with the model's
 * out-of-scope score and the WAS's confidence threshold, on the in-scope test photos and on each
 * out-of-scope set. `calibrated: false` marks a model without a score (verdicts from probabilities alone).
 */
export const outOfScopeSectionSchema = z.object({
  calibrated: z.boolean(),
  method: z.string().optional(),
  thresholds: z.object({ unsure: z.number(), unknown: z.number() }).optional(),
  confidence_threshold: z.number(),
  in_scope: verdictCountsSchema.extend({
    /** Answered `flower` and the right one: what a person with a photo of a known flower wants. */
    flower_correct: z.number().int().nonnegative(),
    flower_correct_rate: z.number(),
  }),
  sets: z.array(
    verdictCountsSchema.extend({
      name: z.string(),
      /** Answered `unknown` or `unsure`: not passed off as a known flower. */
      detection_rate: z.number(),
      unknown_rate: z.number(),
      by_kind: z.record(z.string(), verdictCountsSchema),
      /** Images answered `flower`, with the flower and the score. */
      missed: z.array(z.object({ id: z.string(), label: z.string(), probability: z.number(), score: z.number().optional() })),
      skipped: z.array(z.string()),
    }),
  ),
});
export type OutOfScopeSection = z.infer<typeof outOfScopeSectionSchema>;

export function verdictOf(c: Classification, confidenceThreshold: number): Verdict {
  return decideVerdict(Math.max(...c.probabilities), confidenceThreshold, c.outOfScope?.level);
}

export function countVerdicts(verdicts: readonly Verdict[]): VerdictCounts {
  const counts: VerdictCounts = { size: verdicts.length, flower: 0, unsure: 0, unknown: 0 };
  for (const v of verdicts) counts[v]++;
  return counts;
}

export function inScopeCounts(classifications: readonly Classification[], actual: readonly number[], confidenceThreshold: number): OutOfScopeSection['in_scope'] {
  const verdicts = classifications.map((c) => verdictOf(c, confidenceThreshold));
  const flowerCorrect = classifications.filter((c, i) => verdicts[i] === 'flower' && c.topK[0]!.index === actual[i]).length;
  return { ...countVerdicts(verdicts), flower_correct: flowerCorrect, flower_correct_rate: classifications.length ? flowerCorrect / classifications.length : Number.NaN };
}

export function outOfScopeSetCounts(
  name: string,
  images: ReadonlyArray<{ id: string; kind: string }>,
  classifications: ReadonlyArray<Classification | undefined>,
  confidenceThreshold: number,
): OutOfScopeSection['sets'][number] {
  const scored = images.map((image, i) => ({ image, c: classifications[i] })).filter((e): e is { image: { id: string; kind: string }; c: Classification } => e.c !== undefined);
  const verdicts = scored.map((e) => verdictOf(e.c, confidenceThreshold));
  const counts = countVerdicts(verdicts);
  const kinds = [...new Set(scored.map((e) => e.image.kind))];
  return {
    name,
    ...counts,
    detection_rate: counts.size ? (counts.unsure + counts.unknown) / counts.size : Number.NaN,
    unknown_rate: counts.size ? counts.unknown / counts.size : Number.NaN,
    by_kind: Object.fromEntries(kinds.map((kind) => [kind, countVerdicts(verdicts.filter((_, i) => scored[i]!.image.kind === kind))])),
    missed: scored
      .filter((_, i) => verdicts[i] === 'flower')
      .map((e) => ({
        id: e.image.id,
        label: e.c.topK[0]!.label,
        probability: e.c.topK[0]!.probability,
        ...(e.c.outOfScope ? { score: e.c.outOfScope.score } : {}),
      })),
    skipped: images.filter((_, i) => classifications[i] === undefined).map((image) => image.id),
  };
}
