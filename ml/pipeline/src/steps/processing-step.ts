import type { Value } from '../expressions.js';
import { renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { CacheSetting, LocalCommand, PropertyLookup, StepBase } from './step.js';

/** A file among a processing step's outputs whose JSON later steps read (`Std:JsonGet`). */
export interface PropertyFile {
  name: string;
  /** The output it is in. */
  output: string;
  /** Its path inside that output. */
  path: string;
}

/**
 * A processing job. On SageMaker: a `Processing` step whose Arguments are a CreateProcessingJob
 * request and whose `PropertyFiles` name JSON outputs later steps read (the SDK's test_steps.py
 * `test_processing_step`, test_processing_step.py). Locally: `local`, a root npm script; each
 * `{output: name}` argument is the directory standing in for that output's container path.
 */
export interface ProcessingStep extends StepBase {
  kind: 'processing';
  image: Value;
  roleArn: Value;
  instanceType: Value;
  instanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  containerArguments: string[];
  /** Copied to `destination` inside the container before the job starts. */
  inputs: { name: string; source: Value; destination: string }[];
  /** Uploaded from `source` inside the container to `destination` when it ends. */
  outputs: { name: string; source: string; destination: Value }[];
  propertyFiles: PropertyFile[];
  cache?: CacheSetting;
  local: LocalCommand;
}

export function processingStep(step: Omit<ProcessingStep, 'kind'>): ProcessingStep {
  return { kind: 'processing', ...step };
}

const OUTPUT_URI = /^ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri$/;

export function processingProperty(step: ProcessingStep, path: string): PropertyLookup {
  const match = OUTPUT_URI.exec(path);
  if (match) {
    const name = match[1]!;
    if (step.outputs.some((o) => o.name === name)) return { ok: true, local: { output: name } };
    return { ok: false, problem: `processing step ${step.name} has no output "${name}" (outputs: ${step.outputs.map((o) => o.name).join(', ') || 'none'})` };
  }
  if (path === 'ProcessingJobName') return { ok: true, local: { result: 'ProcessingJobName' } };
  return { ok: false, problem: `a processing step has no property ${path} (known: ProcessingOutputConfig.Outputs['<output>'].S3Output.S3Uri, ProcessingJobName)` };
}

/** `{"Get": "Steps.<step>.ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri"}`'s path. */
export const processingOutputPath = (output: string) => `ProcessingOutputConfig.Outputs['${output}'].S3Output.S3Uri`;

export function compileProcessingArguments(step: ProcessingStep, context: RenderContext): Record<string, Json> {
  return {
    AppSpecification: {
      ImageUri: renderValue(step.image, context),
      ...(step.containerArguments.length ? { ContainerArguments: step.containerArguments } : {}),
    },
    ProcessingInputs: step.inputs.map((input) => ({
      InputName: input.name,
      AppManaged: false,
      S3Input: {
        S3Uri: renderValue(input.source, context),
        LocalPath: input.destination,
        S3DataType: 'S3Prefix',
        S3InputMode: 'File',
        S3DataDistributionType: 'FullyReplicated',
        S3CompressionType: 'None',
      },
    })),
    ProcessingOutputConfig: {
      Outputs: step.outputs.map((o) => ({
        OutputName: o.name,
        AppManaged: false,
        S3Output: { S3Uri: renderValue(o.destination, context), LocalPath: o.source, S3UploadMode: 'EndOfJob' },
      })),
    },
    ProcessingResources: {
      ClusterConfig: {
        InstanceCount: step.instanceCount,
        InstanceType: renderValue(step.instanceType, context),
        VolumeSizeInGB: step.volumeSizeGb,
      },
    },
    RoleArn: renderValue(step.roleArn, context),
    StoppingCondition: { MaxRuntimeInSeconds: step.maxRuntimeSeconds },
  };
}

export function compilePropertyFiles(step: ProcessingStep): Json[] {
  return step.propertyFiles.map((f) => ({ PropertyFileName: f.name, OutputName: f.output, FilePath: f.path }));
}
