import type {
  ConsoleErrorCode,
  ConsoleInfo,
  ConsoleParameterValue,
  ExecutionDetail,
  ExecutionList,
  ModelAction,
  ModelActionAnswer,
  ModelDetail,
  ModelList,
  StartRunAnswer,
  StepLog,
} from '@petal/contracts';

/**
 * What the console's routes need from the ML side. The implementation (local-backend.ts: the local
 * executor, the artifact store, the model registry and the deployer) is loaded only when the console is
 * on, so the classifier's server never loads the ML packages, and a build without them still serves the
 * classifier (the console then answers CONSOLE_UNAVAILABLE).
 */
export interface ConsoleBackend {
  info(): Promise<ConsoleInfo>;
  executions(): Promise<ExecutionList>;
  /** undefined: no such execution. */
  execution(id: string): Promise<ExecutionDetail | undefined>;
  /** undefined: no such execution, step or log. */
  stepLog(id: string, step: string): Promise<StepLog | undefined>;
  /** Starts a run and resolves once it is recorded, without waiting for it to finish. */
  startRun(parameters: Record<string, ConsoleParameterValue>): Promise<StartRunAnswer>;
  models(): Promise<ModelList>;
  /** undefined: no such version. */
  model(version: number): Promise<ModelDetail | undefined>;
  /** The evaluation's report.html; undefined when there is none. */
  report(version: number): Promise<string | undefined>;
  act(version: number, action: ModelAction, options: { reason?: string; by: string }): Promise<ModelActionAnswer>;
  /** Stops the runs this process started (recorded as interrupted). */
  close(): Promise<void>;
}

/** A request the backend refuses, with the catalog code the route answers. */
export class ConsoleRefusal extends Error {
  constructor(
    readonly code: ConsoleErrorCode | 'VALIDATION_ERROR',
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleRefusal';
  }
}

export type CreateConsoleBackend = (env: NodeJS.ProcessEnv, log: (message: string) => void) => ConsoleBackend;
