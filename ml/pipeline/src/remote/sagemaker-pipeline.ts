import { createHash, randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreatePipelineCommand, StartPipelineExecutionCommand, UpdatePipelineCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { definitionJson, type CompiledPipeline } from '../compile/compile.js';
import type { ParameterValue } from '../parameters.js';
import { placeDefinition } from './definition-location.js';

export interface UpsertOptions {
  sagemaker: SageMakerClient;
  /** Only created when a definition is too large to send inline. */
  s3: () => S3Client;
  pipelineName: string;
  description: string;
  compiled: CompiledPipeline;
  /** The role SageMaker Pipelines runs the pipeline as. */
  roleArn: string;
  artifactS3Uri: string | undefined;
  inlineLimitBytes?: number;
}

export interface UpsertResult {
  action: 'created' | 'updated';
  pipelineArn: string | undefined;
}

// CreatePipeline answers a ValidationException when the name is taken (the SDK's upsert reads it the same way).
const alreadyExists = (err: unknown) => (err as Error).name === 'ValidationException' && /already exists/i.test((err as Error).message);

/**
 * CreatePipeline, or UpdatePipeline when a pipeline of that name exists. Refuses a definition that
 * still has placeholders for settings it was compiled without: SageMaker would accept it and fail at
 * run time.
 */
export async function upsertPipeline(options: UpsertOptions): Promise<UpsertResult> {
  if (options.compiled.missingSettings.length) {
    throw new Error(`cannot upsert: the definition was compiled without ${options.compiled.missingSettings.join(', ')} (flags --<setting>, or the PETAL_… variables in pipeline --help)`);
  }
  const json = definitionJson(options.compiled);
  const placement = await placeDefinition(json, {
    pipelineName: options.pipelineName,
    artifactS3Uri: options.artifactS3Uri,
    s3: options.s3,
    ...(options.inlineLimitBytes !== undefined ? { inlineLimitBytes: options.inlineLimitBytes } : {}),
  });
  const common = { PipelineName: options.pipelineName, PipelineDescription: options.description, RoleArn: options.roleArn, ...placement };
  try {
    // The same definition gives the same token, so a retried create is idempotent.
    const token = createHash('sha256').update(`${options.pipelineName}\n${json}`).digest('hex').slice(0, 64);
    const created = await options.sagemaker.send(new CreatePipelineCommand({ ...common, ClientRequestToken: token }));
    return { action: 'created', pipelineArn: created.PipelineArn };
  } catch (err) {
    if (!alreadyExists(err)) throw err;
  }
  const updated = await options.sagemaker.send(new UpdatePipelineCommand(common));
  return { action: 'updated', pipelineArn: updated.PipelineArn };
}

export interface StartOptions {
  sagemaker: SageMakerClient;
  pipelineName: string;
  /** Every parameter's value for this execution (resolveParameters). */
  parameters: Readonly<Record<string, ParameterValue>>;
  displayName?: string;
  clientRequestToken?: string;
}

/** StartPipelineExecution with every parameter's value, as strings (PipelineParameters are Name/Value strings). */
export async function startPipelineExecution(options: StartOptions): Promise<{ executionArn: string | undefined }> {
  const answer = await options.sagemaker.send(
    new StartPipelineExecutionCommand({
      PipelineName: options.pipelineName,
      ...(options.displayName ? { PipelineExecutionDisplayName: options.displayName } : {}),
      PipelineParameters: Object.entries(options.parameters).map(([Name, value]) => ({ Name, Value: String(value) })),
      ClientRequestToken: options.clientRequestToken ?? randomUUID(),
    }),
  );
  return { executionArn: answer.PipelineExecutionArn };
}
