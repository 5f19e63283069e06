import type { Value } from '../expressions.js';
import { renderRecord, renderString, renderValue, type Json, type RenderContext } from '../compile/render.js';
import type { PropertyLookup, StepBase } from './step.js';

/** SageMaker Model Registry approval statuses a new version can start in. */
export const APPROVAL_STATUSES = ['PendingManualApproval', 'Approved'] as const;

/**
 * A new version in a model package group. On SageMaker: a `RegisterModel` step whose Arguments are a
 * CreateModelPackage request (the SDK's test_step_collections.py `test_register_model`). Locally: the
 * executor registers the version in the local registry with the same fields, resolved; the registry's
 * answer gives `ModelPackageArn` (and `ModelPackageVersion`).
 */
export interface RegisterModelStep extends StepBase {
  kind: 'registerModel';
  group: string;
  approval: Value;
  /** The serving container that runs the model. */
  image: Value;
  /** The model.tar.gz. */
  modelData: Value;
  contentTypes: string[];
  responseTypes: string[];
  inferenceInstanceTypes: string[];
  /** The evaluation report (SageMaker's model-quality statistics shape). */
  modelQuality: { s3Uri: Value; contentType: string };
  /** String facts recorded with the version (CustomerMetadataProperties): data fingerprint, git commit, … */
  metadata: Record<string, Value>;
}

export function registerModelStep(step: Omit<RegisterModelStep, 'kind'>): RegisterModelStep {
  return { kind: 'registerModel', ...step };
}

const RESULTS = ['ModelPackageArn', 'ModelPackageName', 'ModelPackageVersion', 'ModelApprovalStatus'];

export function registerModelProperty(_step: RegisterModelStep, path: string): PropertyLookup {
  if (RESULTS.includes(path)) return { ok: true, local: { result: path } };
  return { ok: false, problem: `a register-model step has no property ${path} (known: ${RESULTS.join(', ')})` };
}

export function compileRegisterModelArguments(step: RegisterModelStep, context: RenderContext): Record<string, Json> {
  return {
    ModelPackageGroupName: step.group,
    ...(step.description ? { ModelPackageDescription: step.description } : {}),
    ModelApprovalStatus: renderValue(step.approval, context),
    InferenceSpecification: {
      Containers: [{ Image: renderValue(step.image, context), ModelDataUrl: renderValue(step.modelData, context) }],
      SupportedContentTypes: step.contentTypes,
      SupportedResponseMIMETypes: step.responseTypes,
      SupportedRealtimeInferenceInstanceTypes: step.inferenceInstanceTypes,
    },
    ModelMetrics: {
      ModelQuality: { Statistics: { ContentType: step.modelQuality.contentType, S3Uri: renderValue(step.modelQuality.s3Uri, context) } },
    },
    CustomerMetadataProperties: renderRecord(step.metadata, context, renderString),
  };
}
