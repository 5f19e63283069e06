import * as z from 'zod/mini';
import { describe } from './describe.js';
import { modelIdentitySchema } from './model-identity.js';

const probability = z.number().check(z.gte(0), z.lte(1));

/**
 * Where the model's out-of-scope score puts an input: `in-scope` (looks like the photos it was trained
 * on), `unsure` (above the threshold that keeps ~99% of held-out in-scope photos), `unknown` (not one of
 * its classes).
 */
export const OUT_OF_SCOPE_LEVELS = ['in-scope', 'unsure', 'unknown'] as const;
export const outOfScopeLevelSchema = z.enum(OUT_OF_SCOPE_LEVELS);
export type OutOfScopeLevel = z.infer<typeof outOfScopeLevelSchema>;

const threshold = z.number().check(z.nonnegative());

/** A model's out-of-scope calibration, as `/models` and the invocation answer state it. */
export const outOfScopeCalibrationSchema = z.object({
  method: describe(z.string(), 'How the score is computed, e.g. class-mahalanobis-diagonal-sqrt'),
  thresholds: z.object({ unsure: threshold, unknown: threshold }),
  /** The held-out in-scope photos the thresholds were set on, and the share of them at or below each. */
  calibration: z.object({
    subset: z.enum(['validation', 'test']),
    size: z.number().check(z.int(), z.positive()),
    truePositiveRate: z.object({ unsure: z.number().check(z.gte(0), z.lte(1)), unknown: z.number().check(z.gte(0), z.lte(1)) }),
  }),
  /** Present when the score has a term learned against example images of other things: how many, which. */
  outlierExamples: z.optional(z.object({ count: z.number().check(z.int(), z.positive()), fingerprint: z.string() })),
});
export type OutOfScopeCalibrationInfo = z.infer<typeof outOfScopeCalibrationSchema>;

/**
 * The model endpoint's answer to an invocation (`POST /invocations`, or InvokeEndpoint through the
 * `sagemaker-runtime` API) with `Accept: application/json`: TF-Serving's `{"predictions": [[…]]}`, one row
 * of class probabilities per input, in label order. Petal's endpoint adds the label keys, the model that
 * answered and, for a model with an out-of-scope calibration, each input's score and level; a bare
 * TF-Serving answer (no labels, no model, no score) stays valid, as the reference sent it.
 */
export const invocationAnswerSchema = z.object({
  predictions: z.array(z.array(probability).check(z.minLength(1))).check(z.minLength(1)),
  labels: z.optional(describe(z.array(z.string()), 'Label key of each probability column')),
  model: z.optional(modelIdentitySchema),
  outOfScope: z.optional(
    describe(
      z.object({
        /** One per prediction row: distance from the photos the model was trained on (larger: further). */
        scores: z.array(z.number().check(z.nonnegative())),
        levels: z.array(outOfScopeLevelSchema),
        method: z.string(),
        thresholds: z.object({ unsure: threshold, unknown: threshold }),
      }),
      'Out-of-scope score and level of each input, in prediction order (models with a calibration only)',
    ),
  ),
});
export type InvocationAnswer = z.infer<typeof invocationAnswerSchema>;

/** The model a running endpoint serves, as its `/ping`, `/models` and the admin API describe it. */
export const servedModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  labels: z.array(z.string()),
  inputSize: z.number().check(z.int(), z.positive()),
  /** The directory or model.tar.gz it was loaded from. */
  location: z.string(),
  loadedAt: z.string(),
  /** The evaluation numbers recorded in the artifact's manifest (e.g. `testAccuracy`), when it has them. */
  metrics: z.optional(z.record(z.string(), z.number())),
  /**
   * The model's out-of-scope calibration; `null` for a model trained before the score existed, whose
   * answers carry probabilities alone (verdicts then never say `unknown`). Absent from older endpoints.
   */
  outOfScope: z.optional(z.nullable(outOfScopeCalibrationSchema)),
});
export type ServedModel = z.infer<typeof servedModelSchema>;

export const ENDPOINT_STATES = ['loading', 'ready', 'failed'] as const;

/** `GET /ping` (200 once a warmed model serves, 503 before): the SageMaker health check, with a body. */
export const endpointPingSchema = z.object({
  status: z.enum(ENDPOINT_STATES),
  model: z.nullable(servedModelSchema),
  /** Why the last load failed, when it did. */
  lastError: z.optional(z.string()),
});
export type EndpointPing = z.infer<typeof endpointPingSchema>;

/** `GET /models`: what the endpoint serves and how loaded it is. */
export const endpointModelsSchema = z.extend(endpointPingSchema, {
  endpointName: z.string(),
  queue: z.object({
    depth: z.number().check(z.int(), z.nonnegative()),
    inFlight: z.number().check(z.int(), z.nonnegative()),
    /** Batches still running on models that a swap retired. */
    retiringLeases: z.number().check(z.int(), z.nonnegative()),
  }),
});
export type EndpointModels = z.infer<typeof endpointModelsSchema>;

/** `POST /admin/models`: load and warm the model at `modelDir`, then switch traffic to it. */
export const modelSwapRequestSchema = z.strictObject({ modelDir: z.string().check(z.minLength(1)) });
export type ModelSwapRequest = z.infer<typeof modelSwapRequestSchema>;

export const modelSwapAnswerSchema = z.object({ model: servedModelSchema, previous: z.nullable(servedModelSchema) });
export type ModelSwapAnswer = z.infer<typeof modelSwapAnswerSchema>;

/**
 * An error from the `sagemaker-runtime` API, shaped as SageMaker's (the AWS SDK reads the error name from
 * the `x-amzn-ErrorType` header and these fields from the body). A `ModelError` carries the container's
 * own answer, a Petal error body, in `OriginalMessage`.
 */
export const runtimeErrorBodySchema = z.object({
  message: z.optional(z.string()),
  ErrorCode: z.optional(z.string()),
  Message: z.optional(z.string()),
  OriginalStatusCode: z.optional(z.number()),
  OriginalMessage: z.optional(z.string()),
  LogStreamArn: z.optional(z.string()),
});
export type RuntimeErrorBody = z.infer<typeof runtimeErrorBodySchema>;
