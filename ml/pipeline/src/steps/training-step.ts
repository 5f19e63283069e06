import type { Value } from '../expressions.js';
import { renderRecord, renderString, renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { CacheSetting, LocalCommand, PropertyLookup, StepBase } from './step.js';

/**
 * A training job. On SageMaker: a `Training` step whose Arguments are a CreateTrainingJob request
 * (the shape of the SDK's test_steps.py `test_training_step_base_estimator`). Locally: `local`, a root
 * npm script the executor runs, whose `{output: 'model'}` argument is the directory standing in for
 * /opt/ml/model; `ModelArtifacts.S3ModelArtifacts` is then that directory's model.tar.gz.
 */
export interface TrainingStep extends StepBase {
  kind: 'training';
  image: Value;
  roleArn: Value;
  instanceType: Value;
  instanceCount: number;
  volumeSizeGb: number;
  maxRuntimeSeconds: number;
  /** Sent as strings, as SageMaker passes them to the container's hyperparameters.json. */
  hyperparameters: Record<string, Value>;
  /** Channel name → S3 prefix (locally: a directory or an s3:// URI). */
  channels: Record<string, Value>;
  /** Where SageMaker writes model.tar.gz (OutputDataConfig.S3OutputPath). */
  outputPath: Value;
  /** Log lines SageMaker turns into metrics (`validation_accuracy=0.96`). */
  metricDefinitions: { name: string; regex: string }[];
  cache?: CacheSetting;
  local: LocalCommand;
}

/** The one output a training job has: the model directory (SageMaker's /opt/ml/model). */
export const TRAINING_MODEL_OUTPUT = 'model';
export const TRAINING_MODEL_ARCHIVE = 'model.tar.gz';

export function trainingStep(step: Omit<TrainingStep, 'kind'>): TrainingStep {
  return { kind: 'training', ...step };
}

// DescribeTrainingJobResponse members a pipeline can read; the ones Petal's steps use are resolvable locally.
const TRAINING_PROPERTIES = ['TrainingJobName', 'TrainingJobArn', 'TrainingJobStatus', 'HyperParameters', 'OutputDataConfig.S3OutputPath', 'FinalMetricDataList'];

export function trainingProperty(_step: TrainingStep, path: string): PropertyLookup {
  if (path === 'ModelArtifacts.S3ModelArtifacts') return { ok: true, local: { output: TRAINING_MODEL_OUTPUT, file: TRAINING_MODEL_ARCHIVE } };
  if (path === 'TrainingJobName') return { ok: true, local: { result: 'TrainingJobName' } };
  if (TRAINING_PROPERTIES.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`))) {
    return { ok: false, problem: `${path} is a SageMaker-only property of a training step (the local executor cannot resolve it); use ModelArtifacts.S3ModelArtifacts or TrainingJobName` };
  }
  return { ok: false, problem: `a training step has no property ${path} (known: ModelArtifacts.S3ModelArtifacts, TrainingJobName)` };
}

export function compileTrainingArguments(step: TrainingStep, context: RenderContext): Record<string, Json> {
  return {
    AlgorithmSpecification: {
      TrainingImage: renderValue(step.image, context),
      TrainingInputMode: 'File',
      ...(step.metricDefinitions.length ? { MetricDefinitions: step.metricDefinitions.map((m) => ({ Name: m.name, Regex: m.regex })) } : {}),
    },
    HyperParameters: renderRecord(step.hyperparameters, context, renderString),
    InputDataConfig: Object.entries(step.channels).map(([name, uri]) => ({
      ChannelName: name,
      DataSource: {
        S3DataSource: { S3DataDistributionType: 'FullyReplicated', S3DataType: 'S3Prefix', S3Uri: renderValue(uri, context) },
      },
    })),
    OutputDataConfig: { S3OutputPath: renderValue(step.outputPath, context) },
    ResourceConfig: {
      InstanceCount: step.instanceCount,
      InstanceType: renderValue(step.instanceType, context),
      VolumeSizeInGB: step.volumeSizeGb,
    },
    RoleArn: renderValue(step.roleArn, context),
    StoppingCondition: { MaxRuntimeInSeconds: step.maxRuntimeSeconds },
  };
}
