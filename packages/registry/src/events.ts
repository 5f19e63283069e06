import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseModelPackageArn } from './arn.js';
import { approvalStatusSchema } from './schema.js';
import type { ModelPackage } from './types.js';

export const MODEL_PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

/** Content types the endpoint's /invocations accepts and answers with (its SageMaker container contract). */
export const SUPPORTED_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/x-image', 'application/json'];
export const SUPPORTED_RESPONSE_MIME_TYPES = ['application/json'];

/** Petal's facts about a version, as SageMaker CustomerMetadataProperties (string → string, keys ≤ 128). */
export const METADATA_KEYS = {
  dataFingerprint: 'petal:data-fingerprint',
  gitCommit: 'petal:git-commit',
  modelName: 'petal:model-name',
  modelVersion: 'petal:model-version',
  accuracy: 'petal:accuracy',
  macroF1: 'petal:macro-f1',
  testSize: 'petal:test-size',
} as const;

export function customerMetadata(pkg: Pick<ModelPackage, 'dataFingerprint' | 'gitCommit' | 'modelName' | 'modelVersion' | 'metrics'>): Record<string, string> {
  return {
    [METADATA_KEYS.dataFingerprint]: pkg.dataFingerprint,
    [METADATA_KEYS.gitCommit]: pkg.gitCommit,
    [METADATA_KEYS.modelName]: pkg.modelName,
    [METADATA_KEYS.modelVersion]: pkg.modelVersion,
    [METADATA_KEYS.accuracy]: String(pkg.metrics.accuracy),
    [METADATA_KEYS.macroF1]: String(pkg.metrics.macroF1),
    [METADATA_KEYS.testSize]: String(pkg.metrics.testSize),
  };
}

/**
 * The event EventBridge delivers for a model package (detail-type `SageMaker Model Package State Change`),
 * in the shape SageMaker's documentation shows: the detail is the package as DescribeModelPackage returns
 * it. Petal emits the same shape for its own registries, with `source: "petal.registry"` (the event did
 * not come from AWS), so one handler reads both: match on `detail-type` and `detail`.
 */
export const modelPackageStateChangeEventSchema = z.object({
  version: z.literal('0'),
  id: z.string(),
  'detail-type': z.literal(MODEL_PACKAGE_STATE_CHANGE),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    ModelPackageGroupName: z.string(),
    ModelPackageVersion: z.number().int(),
    ModelPackageArn: z.string(),
    ModelPackageDescription: z.string().optional(),
    CreationTime: z.string(),
    LastModifiedTime: z.string(),
    ModelPackageStatus: z.string(),
    ModelApprovalStatus: approvalStatusSchema,
    ApprovalDescription: z.string().optional(),
    InferenceSpecification: z.object({
      Containers: z.array(z.object({ Image: z.string(), ModelDataUrl: z.string() })),
      SupportedContentTypes: z.array(z.string()),
      SupportedResponseMIMETypes: z.array(z.string()),
    }),
    ModelMetrics: z.object({
      ModelQuality: z.object({ Statistics: z.object({ ContentType: z.string(), S3Uri: z.string() }) }),
    }),
    MetadataProperties: z.object({ CommitId: z.string() }).optional(),
    CustomerMetadataProperties: z.record(z.string(), z.string()),
  }),
});
export type ModelPackageStateChangeEvent = z.infer<typeof modelPackageStateChangeEventSchema>;

export function stateChangeEvent(pkg: ModelPackage, options: { image: string; source?: string; now?: Date }): ModelPackageStateChangeEvent {
  const { account, region } = parseModelPackageArn(pkg.arn);
  const last = pkg.history.at(-1);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': MODEL_PACKAGE_STATE_CHANGE,
    source: options.source ?? 'petal.registry',
    account,
    time: (options.now ?? new Date()).toISOString(),
    region,
    resources: [pkg.arn],
    detail: {
      ModelPackageGroupName: pkg.group,
      ModelPackageVersion: pkg.version,
      ModelPackageArn: pkg.arn,
      ...(pkg.description !== undefined ? { ModelPackageDescription: pkg.description } : {}),
      CreationTime: pkg.createdAt,
      LastModifiedTime: last?.at ?? pkg.createdAt,
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: pkg.approval,
      ...(last?.reason !== undefined ? { ApprovalDescription: last.reason } : {}),
      InferenceSpecification: {
        Containers: [{ Image: options.image, ModelDataUrl: pkg.artifactUri }],
        SupportedContentTypes: SUPPORTED_CONTENT_TYPES,
        SupportedResponseMIMETypes: SUPPORTED_RESPONSE_MIME_TYPES,
      },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: pkg.evaluationUri } } },
      MetadataProperties: { CommitId: pkg.gitCommit },
      CustomerMetadataProperties: customerMetadata(pkg),
    },
  };
}
