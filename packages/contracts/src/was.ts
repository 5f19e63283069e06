import { LANGUAGES } from '@petal/catalog';
import * as z from 'zod/mini';
import { describe } from './describe.js';
import type { OutOfScopeLevel } from './endpoint.js';
import { modelIdentitySchema } from './model-identity.js';

export const langSchema = z.enum(LANGUAGES);

/** One ranked class in a classification answer. */
export const candidateSchema = z.object({
  no: describe(z.number().check(z.int()), 'Class id (0–15), -1 for a label the catalog does not know'),
  key: z.string(),
  name: z.string(),
  probability: z.number().check(z.gte(0), z.lte(1)),
});
export type Candidate = z.infer<typeof candidateSchema>;

/** The reference API's answer shape, kept so its clients keep working. */
export const classifyResultSchema = describe(
  z.object({
    no: z.number().check(z.int()),
    name: z.string(),
    acc: describe(z.number(), 'Probability of the top class'),
    description: z.string(),
  }),
  'The reference API shape. When not confident, `name` says so and `no` is the closest candidate.',
);
export type ClassifyResult = z.infer<typeof classifyResultSchema>;

export const TOP_CANDIDATES = 3;

/**
 * What the answer means: `flower`, a known flower said with confidence; `unsure`, probably one of the known
 * flowers but not certainly; `unknown`, not one of the flowers this model knows (the answer then names no
 * flower as the answer). Models without an out-of-scope calibration decide from the probabilities alone,
 * so they never say `unknown`.
 */
export const VERDICTS = ['flower', 'unsure', 'unknown'] as const;
export const verdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof verdictSchema>;

/** The WAS's default confidence threshold (`CONFIDENCE_THRESHOLD`): the evaluation job judges with the same. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.6;

/**
 * The verdict, decided once for every tier that needs it (the WAS's answer, the evaluation job's
 * in-scope and out-of-scope rates): the model's out-of-scope level when it sends one, then confidence.
 * Without a level (a model with no calibration) the probabilities are all there is: never `unknown`.
 */
export function decideVerdict(topProbability: number, confidenceThreshold: number, scope?: OutOfScopeLevel): Verdict {
  if (scope === 'unknown') return 'unknown';
  if (scope === 'unsure') return 'unsure';
  return topProbability >= confidenceThreshold ? 'flower' : 'unsure';
}

/** `POST /classify/image` (WAS, relayed unchanged by the web BFF). */
export const classifyAnswerSchema = z.object({
  result: classifyResultSchema,
  top: describe(z.array(candidateSchema).check(z.minLength(1), z.maxLength(TOP_CANDIDATES)), 'The most likely classes, best first'),
  model: modelIdentitySchema,
  lang: langSchema,
  elapsedMs: z.number().check(z.nonnegative()),
  confident: describe(z.boolean(), 'False when the top probability is under the service’s confidence threshold'),
  verdict: describe(verdictSchema, 'flower: a known flower, said with confidence; unsure: probably a known flower; unknown: not one of the flowers the model knows'),
});
export type ClassifyAnswer = z.infer<typeof classifyAnswerSchema>;

/** A catalog flower with its texts in one language. */
export const localizedFlowerSchema = z.object({
  no: z.number().check(z.int()),
  key: z.string(),
  name: z.string(),
  description: z.string(),
});

/** `GET /flowers`. */
export const flowersAnswerSchema = z.object({ lang: langSchema, flowers: z.array(localizedFlowerSchema) });
export type FlowersAnswer = z.infer<typeof flowersAnswerSchema>;

/** `GET /flowers/:no`. */
export const flowerAnswerSchema = z.object({ lang: langSchema, flower: localizedFlowerSchema });
export type FlowerAnswer = z.infer<typeof flowerAnswerSchema>;

export const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;
/** How the WAS sees its endpoint: `not_checked` on AWS, where sagemaker-runtime has no ping. */
export const ENDPOINT_REACHABILITY = ['reachable', 'unreachable', 'not_checked'] as const;

/** `GET /health/ready` (200 ready, 503 not): can a classification work now? */
export const wasReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    circuit: z.enum(CIRCUIT_STATES),
    endpoint: z.enum(ENDPOINT_REACHABILITY),
  }),
  model: z.optional(
    describe(
      z.extend(modelIdentitySchema, { labels: z.optional(describe(z.array(z.string()), 'The label keys the model answers with, in order')) }),
      'The model that answered most recently (absent until one has answered)',
    ),
  ),
});
export type WasReadiness = z.infer<typeof wasReadinessSchema>;
