import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3Store, parseS3Uri } from '@petal/store';

/** CreatePipeline/UpdatePipeline take at most this much definition inline; larger ones go through S3. */
export const INLINE_DEFINITION_LIMIT_BYTES = 1024 * 1024;

export type DefinitionPlacement =
  | { PipelineDefinition: string }
  | { PipelineDefinitionS3Location: { Bucket: string; ObjectKey: string } };

export interface PlaceDefinitionOptions {
  pipelineName: string;
  /** `s3://bucket/prefix` where a large definition is uploaded (the artifact-s3-uri setting). */
  artifactS3Uri: string | undefined;
  s3: () => S3Client;
  /** Lowered by tests; the API's limit otherwise. */
  inlineLimitBytes?: number;
}

/**
 * The definition inline when it fits the API's limit, else uploaded through the artifact store to
 * `<artifact-s3-uri>/pipeline-definitions/<pipeline>/<sha256>.json` and passed by location (what the
 * SDK's `Pipeline.create` does for large pipelines). The key is the content's hash, so uploading the
 * same definition again writes the same bytes to the same object.
 */
export async function placeDefinition(json: string, options: PlaceDefinitionOptions): Promise<DefinitionPlacement> {
  const limit = options.inlineLimitBytes ?? INLINE_DEFINITION_LIMIT_BYTES;
  const size = Buffer.byteLength(json, 'utf8');
  if (size <= limit) return { PipelineDefinition: json };
  if (!options.artifactS3Uri) {
    throw new Error(`the pipeline definition is ${size} bytes, over the ${limit}-byte inline limit, and goes through S3: set --artifact-s3-uri (PETAL_PIPELINE_S3_URI)`);
  }
  const store = new S3Store(options.artifactS3Uri, options.s3());
  const digest = createHash('sha256').update(json).digest('hex');
  const uri = await store.putBytes(`pipeline-definitions/${options.pipelineName}/${digest}.json`, json);
  const { bucket, prefix } = parseS3Uri(uri);
  return { PipelineDefinitionS3Location: { Bucket: bucket, ObjectKey: prefix.replace(/\/$/, '') } };
}
