import { z } from 'zod';
import { modelPackageStateChangeEventSchema } from './events.js';
import { approvalStatusSchema, deploymentRecordSchema, modelPackageSchema } from './schema.js';

/**
 * What `npm run registry -- … --json` prints, as schemas: scripts and tests read the CLI through these.
 * Errors print `{"error": {"code", "message"}}` (exit 2 for a refused request, 1 for a failure).
 */
export const listOutputSchema = z.object({
  group: z.string(),
  deployed: deploymentRecordSchema.nullable(),
  packages: z.array(modelPackageSchema),
});

export const showOutputSchema = z.object({
  package: modelPackageSchema,
  deployed: z.boolean(),
  deployment: deploymentRecordSchema.nullable(),
});

const deployOutcomeSchema = z.object({
  deployed: z.boolean(),
  message: z.string(),
  rolledBackTo: z.object({ group: z.string(), version: z.number() }).optional(),
});

export const deployOutputSchema = z.object({
  package: modelPackageSchema,
  outcome: deployOutcomeSchema,
  record: deploymentRecordSchema.optional(),
  message: z.string(),
});

export const approvalOutputSchema = z.object({
  package: modelPackageSchema,
  previous: approvalStatusSchema,
  event: modelPackageStateChangeEventSchema,
  rollback: z
    .object({ from: z.number(), to: z.number().optional(), deployed: z.boolean(), message: z.string() })
    .optional(),
  warnings: z.array(z.string()),
  message: z.string(),
  /** `approve --deploy`: the deployment that followed. */
  deployment: deployOutputSchema.optional(),
});

export const errorOutputSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
