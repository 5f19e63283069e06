/** The local executor: runs a pipeline definition on this machine, recording every execution in the store. */
export { LocalExecutor, RetryRefusedError, CACHE_PREFIX, type ExecutionView, type ExecutorOptions } from './executor.js';
export {
  EXECUTION_ID,
  EXECUTIONS_PREFIX,
  EXECUTION_STATUSES,
  STEP_STATUSES,
  effectiveRecord,
  executionPageKey,
  executionPrefix,
  executionRecordKey,
  executionRecordSchema,
  listExecutions,
  newExecutionId,
  readExecution,
  stepLogKey,
  stepOutputKey,
  type ExecutionRecord,
  type ExecutionStatus,
  type StepRecord,
  type StepStatus,
} from './record.js';
export { codeVersion, quickFingerprint, durationMs } from './fingerprint.js';
export { executionPage } from './html.js';
export { drawExecution, executionsTable, stepTable, terminalView } from './terminal.js';
export { ExecutionOutcomeError, listLocal, resolveRunParameters, retryLocal, runLocal, showLocal, type LocalIo } from './local-commands.js';
export { layoutGraph, type GraphNode } from './layout.js';
