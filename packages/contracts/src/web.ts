import * as z from 'zod/mini';

export const COMPONENT_STATES = ['up', 'degraded', 'down', 'unknown'] as const;
export type ComponentState = (typeof COMPONENT_STATES)[number];

export const componentStatusSchema = z.object({
  state: z.enum(COMPONENT_STATES),
  /** Round-trip time of the probe, when one answered. */
  latencyMs: z.optional(z.number().check(z.nonnegative())),
  /** Why the component is not up, in plain words (English; operators read it). */
  detail: z.optional(z.string()),
});
export type ComponentStatus = z.infer<typeof componentStatusSchema>;

/** The model as the status view shows it. */
export const modelInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** Held-out test accuracy 0..1 from the model's evaluation, when known. */
  accuracy: z.optional(z.number().check(z.gte(0), z.lte(1))),
  labels: z.optional(z.array(z.string())),
  /** Which probe told us: the endpoint's /models, the WAS readiness body, or the latest classification. */
  source: z.enum(['endpoint', 'was']),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

/** `GET /api/status` (web BFF): one view of the whole chain for the UI's status page. */
export const statusAnswerSchema = z.object({
  web: z.extend(componentStatusSchema, { uptimeS: z.number().check(z.nonnegative()), version: z.string() }),
  was: z.extend(componentStatusSchema, { ready: z.boolean() }),
  endpoint: componentStatusSchema,
  model: z.nullable(modelInfoSchema),
  checkedAt: z.string(),
});
export type StatusAnswer = z.infer<typeof statusAnswerSchema>;
