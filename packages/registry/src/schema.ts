import { z } from 'zod';
import { GROUP_NAME } from './arn.js';
import { RegistryError } from './errors.js';
import type { ApprovalStatus, DeploymentRecord, ModelPackage, RegisterInput } from './types.js';

export const approvalStatusSchema = z.enum(['PendingManualApproval', 'Approved', 'Rejected']) satisfies z.ZodType<ApprovalStatus>;

const groupSchema = z.string().regex(GROUP_NAME, 'a model package group name (letters, digits and single hyphens, at most 63)');
const uriSchema = z.string().regex(/^(s3|file):\/\/.+/, 'an s3:// or file:// URI');
const metricsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  macroF1: z.number().min(0).max(1),
  testSize: z.number().int().nonnegative(),
});

export const approvalChangeSchema = z.object({
  status: approvalStatusSchema,
  at: z.string(),
  by: z.string(),
  reason: z.string().optional(),
});

/** A version as the local registry stores it: `registry/<group>/versions/<version>.json`. */
export const modelPackageSchema = z.object({
  group: groupSchema,
  version: z.number().int().positive(),
  arn: z.string(),
  artifactUri: uriSchema,
  evaluationUri: uriSchema,
  metrics: metricsSchema,
  dataFingerprint: z.string().min(1),
  gitCommit: z.string().min(1),
  modelName: z.string().min(1),
  modelVersion: z.string().min(1),
  approval: approvalStatusSchema,
  createdAt: z.string(),
  description: z.string().optional(),
  history: z.array(approvalChangeSchema).min(1),
}) satisfies z.ZodType<ModelPackage>;

/** `registry/<group>/deployment.json`. */
export const deploymentRecordSchema = z.object({
  group: groupSchema,
  version: z.number().int().positive(),
  arn: z.string(),
  deployedAt: z.string(),
  by: z.string(),
  previous: z.number().int().positive().optional(),
}) satisfies z.ZodType<DeploymentRecord>;

export const registerInputSchema = z.object({
  group: groupSchema,
  artifactUri: uriSchema,
  evaluationUri: uriSchema,
  metrics: metricsSchema,
  dataFingerprint: z.string().min(1),
  gitCommit: z.string().min(1),
  modelName: z.string().min(1),
  modelVersion: z.string().min(1),
  approval: approvalStatusSchema.optional(),
  description: z.string().max(1024).optional(),
  by: z.string().optional(),
}) satisfies z.ZodType<RegisterInput>;

/** Checks a registration before anything is written; a bad one names each wrong field. */
export function parseRegisterInput(input: unknown): RegisterInput {
  const parsed = registerInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RegistryError('INVALID_INPUT', `cannot register this model: ${issues}`);
  }
  return parsed.data;
}
