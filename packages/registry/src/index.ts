export type {
  ApprovalChange,
  ApprovalResult,
  ApprovalStatus,
  Deployer,
  DeployerSource,
  DeployOutcome,
  DeploymentRecord,
  ModelPackage,
  ModelRegistry,
  PackageMetrics,
  RegisterInput,
  RollbackReport,
  StateChangeHandler,
} from './types.js';
export { APPROVAL_STATUSES } from './types.js';
export { RegistryError, type RegistryErrorCode } from './errors.js';
export { GROUP_NAME, LOCAL_ARN_PREFIX, checkGroup, modelPackageArn, parseModelPackageArn, type ParsedPackageArn } from './arn.js';
export {
  approvalChangeSchema,
  approvalStatusSchema,
  deploymentRecordSchema,
  modelPackageSchema,
  parseRegisterInput,
  registerInputSchema,
} from './schema.js';
export {
  MODEL_PACKAGE_STATE_CHANGE,
  METADATA_KEYS,
  modelPackageStateChangeEventSchema,
  stateChangeEvent,
  type ModelPackageStateChangeEvent,
} from './events.js';
export { DEFAULT_IMAGE, RegistryCore, checkTransition, type RegistryOptions } from './registry-core.js';
export { LocalModelRegistry } from './local-registry.js';
export { SageMakerModelRegistry, toModelPackage, type SageMakerRegistryOptions } from './sagemaker-registry.js';
export { commandHook, hookFromEnv } from './hook.js';
export { deployVersion, type DeployVersionResult } from './deploy-version.js';
export { DEPLOY_PACKAGE, loadDeployer } from './load-deployer.js';
export { DEFAULT_GROUP, openRegistry } from './open-registry.js';
export { approvalOutputSchema, deployOutputSchema, errorOutputSchema, listOutputSchema, showOutputSchema } from './cli-output.js';
