import * as z from 'zod/mini';

/** `GET /health` of every service: liveness only, nothing behind it is checked. */
export const healthBodySchema = z.object({ status: z.literal('ok') });
export type HealthBody = z.infer<typeof healthBodySchema>;
