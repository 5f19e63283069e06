/**
 * The Petal ML pipeline as one TypeScript definition: typed parameters and steps (Train → Evaluate →
 * CheckQuality → RegisterModel → Deploy) that a local executor runs and that compile to Amazon
 * SageMaker Pipelines.
 */
export * from './expressions.js';
export * from './conditions.js';
export * from './parameters.js';
export { definePipeline, findStep, lookupProperty, stepOutputs, PipelineDefinitionError, type PipelineDefinition, type Step } from './definition.js';
export { validatePipeline } from './validate.js';
export { branchOwners, dependencyGraph, findCycle, referencedSteps, topologicalOrder, upstreamOf, type BranchOwner } from './graph.js';
export { output, isLocalOutputArg, type CacheSetting, type LocalArg, type LocalCommand, type LocalOutputArg, type LocalPropertySource, type PropertyLookup, type StepBase } from './steps/step.js';
export { trainingStep, TRAINING_MODEL_ARCHIVE, TRAINING_MODEL_OUTPUT, type TrainingStep } from './steps/training-step.js';
export { processingStep, processingOutputPath, type ProcessingStep, type PropertyFile } from './steps/processing-step.js';
export { conditionStep, type ConditionStep } from './steps/condition-step.js';
export { registerModelStep, APPROVAL_STATUSES, type RegisterModelStep } from './steps/register-model-step.js';
export { lambdaStep, type LambdaOutputType, type LambdaStep } from './steps/lambda-step.js';
export { deployStep, DEPLOY_ACTION } from './steps/deploy-step.js';
export { failStep, type FailStep } from './steps/fail-step.js';
export { HYPERPARAMETER_PARAMETER_NAMES, hyperparameterParameters, type PipelineHyperparameter } from './hyperparameter-parameters.js';
export { flowerPipeline, FLOWER_PIPELINE_NAME, MODEL_PACKAGE_GROUP } from './flower-pipeline.js';
export {
  evaluateCondition,
  evaluateConditions,
  jsonPathGet,
  localCommandLine,
  resolveValue,
  LocalResolutionError,
  type LocalScope,
} from './local-values.js';
export { compilePipeline, definitionJson, placeholder, DEFINITION_VERSION, type CompiledPipeline, type CompileSettings } from './compile/compile.js';
export { checkCompiledDefinition } from './compile/structure.js';
export type { Json } from './compile/render.js';
export { describePipeline } from './describe.js';
export { readSettings, SETTING_SOURCES, SettingsError } from './settings.js';
export { placeDefinition, INLINE_DEFINITION_LIMIT_BYTES, type DefinitionPlacement } from './remote/definition-location.js';
export { startPipelineExecution, upsertPipeline, type UpsertResult } from './remote/sagemaker-pipeline.js';
export { runCommand, USAGE, UsageError, type CommandIo } from './commands.js';
export { deployedModel, type DeployedLookup, type DeployedModel } from './start-context.js';
export {
  LocalExecutor,
  RetryRefusedError,
  CACHE_PREFIX,
  EXECUTION_ID,
  EXECUTIONS_PREFIX,
  EXECUTION_STATUSES,
  STEP_STATUSES,
  effectiveRecord,
  executionPage,
  executionPageKey,
  executionRecordKey,
  executionRecordSchema,
  listExecutions,
  readExecution,
  resolveRunParameters,
  layoutGraph,
  stepLogKey,
  stepOutputKey,
  codeVersion,
  quickFingerprint,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionView,
  type GraphNode,
  type ExecutorOptions,
  type StepRecord,
  type StepStatus,
} from './local/index.js';
