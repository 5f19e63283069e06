import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { loadDeployer, openRegistry, type ModelRegistry } from '@petal/registry';
import { repoPath } from '@petal/stack';
import { openStore, storeRootFromEnv, type ArtifactStore } from '@petal/store';
import type { PipelineDefinition } from '../definition.js';
import { MODEL_PACKAGE_GROUP } from '../flower-pipeline.js';
import { ParameterError, parseParameterAssignments, resolveParameters, type ParameterValue, type StartContext } from '../parameters.js';
import { deployedModel } from '../start-context.js';
import { LocalExecutor, RetryRefusedError } from './executor.js';
import { EXECUTION_ID, executionRecordKey, listExecutions, readExecution, type ExecutionRecord } from './record.js';
import { drawExecution, executionsTable, outcomeLine, terminalView } from './terminal.js';

/** What the local commands need from outside. */
export interface LocalIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  isTTY: boolean;
  columns?: number;
  gitCommit: () => string | undefined;
  /** The repository root, where `npm run train|evaluate` run. */
  repoRoot: string;
  /** The folder relative --param data=… paths are read from (npm's INIT_CWD). */
  cwd: string;
}

/** Exits the CLI with `exitCode` (1: failed or rejected, 130: interrupted) after the outcome is printed. */
export class ExecutionOutcomeError extends Error {
  override name = 'ExecutionOutcomeError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const storeOf = (io: LocalIo): ArtifactStore => openStore(storeRootFromEnv(io.env));
const registryOf = (io: LocalIo): ModelRegistry => openRegistry(io.env);

function executor(io: LocalIo, definition: PipelineDefinition, store: ArtifactStore, registry: ModelRegistry) {
  const view = terminalView({ write: io.stdout, isTTY: io.isTTY, ...(io.columns ? { columns: io.columns } : {}) });
  const exec = new LocalExecutor({ store, registry, definition, repoRoot: io.repoRoot, env: io.env, deployer: () => loadDeployer(io.env), view });
  return { exec, view };
}

/** Runs `fn` with SIGINT/SIGTERM recorded as an interruption (a second signal exits at once). */
async function withSignals<T>(exec: LocalExecutor, fn: () => Promise<T>): Promise<T> {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count > 1) process.exit(130);
    exec.interrupt(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function conclude(io: LocalIo, record: ExecutionRecord, view: { stop(): void }): void {
  view.stop();
  io.stdout(`${outcomeLine(record)}\n`);
  if (record.report) io.stdout(`report: ${record.report}\n`);
  if (record.page) io.stdout(`page:   ${record.page}\n`);
  if (record.status === 'succeeded') return;
  const code = record.status === 'interrupted' ? 130 : 1;
  throw new ExecutionOutcomeError(`execution ${record.id} ${record.status}${record.message ? `: ${record.message}` : ''}`, code);
}

/**
 * One execution's parameter values from `name=value` assignments, as `pipeline run` resolves them: the
 * shared data set when none is named, deployed-accuracy from the registry, relative data paths from
 * `io.cwd`. The web console starts runs with the same values.
 */
export async function resolveRunParameters(
  io: Pick<LocalIo, 'env' | 'gitCommit' | 'cwd'>,
  definition: PipelineDefinition,
  given: Readonly<Record<string, unknown>>,
  registry: ModelRegistry,
  note: (line: string) => void = () => undefined,
): Promise<Record<string, ParameterValue>> {
  const context: StartContext = {};
  // Outside a git checkout the registered version says so rather than refusing to run.
  context.gitCommit = io.gitCommit() ?? 'unknown';
  const shared = io.env.PETAL_DATA_DIR ?? repoPath('../shared/datasets/flowers');
  if (existsSync(shared)) context.data = shared;
  if (given['deployed-accuracy'] === undefined && definition.parameters.some((p) => p.name === 'deployed-accuracy')) {
    const deployed = await deployedModel(registry, MODEL_PACKAGE_GROUP);
    context.deployedAccuracy = deployed?.accuracy ?? 0;
    note(
      deployed
        ? `deployed-accuracy ${deployed.accuracy}: ${MODEL_PACKAGE_GROUP} version ${deployed.version} is deployed`
        : `deployed-accuracy 0: no ${MODEL_PACKAGE_GROUP} version is deployed`,
    );
  }
  if (given.data === undefined && context.data === undefined && definition.parameters.some((p) => p.name === 'data')) {
    throw new ParameterError(`parameter data has no value and the shared data set is not at ${shared}: pass --param data=<dir or s3://…> (or set PETAL_DATA_DIR)`);
  }
  const parameters = resolveParameters(definition.parameters, given, context);
  if (typeof parameters.data === 'string' && !parameters.data.startsWith('s3://')) {
    const data = isAbsolute(parameters.data) ? parameters.data : resolve(io.cwd, parameters.data);
    if (!existsSync(data)) throw new ParameterError(`parameter data: ${data} does not exist`);
    parameters.data = data;
  }
  return parameters;
}

/** `pipeline run [--param name=value …]`. */
export async function runLocal(io: LocalIo, definition: PipelineDefinition, assignments: readonly string[]): Promise<ExecutionRecord> {
  const store = storeOf(io);
  const registry = registryOf(io);
  const parameters = await resolveRunParameters(io, definition, parseParameterAssignments(assignments), registry, (line) => io.stdout(`${line}\n`));
  const { exec, view } = executor(io, definition, store, registry);
  const record = await withSignals(exec, () => exec.start(parameters));
  conclude(io, record, view);
  return record;
}

/** `pipeline retry <id>`: resume a failed or interrupted execution, reusing its finished steps. */
export async function retryLocal(io: LocalIo, definition: PipelineDefinition, id: string): Promise<ExecutionRecord> {
  checkId(id);
  const store = storeOf(io);
  const { exec, view } = executor(io, definition, store, registryOf(io));
  let record: ExecutionRecord;
  try {
    record = await withSignals(exec, () => exec.resume(id));
  } catch (err) {
    if (err instanceof RetryRefusedError) throw new ExecutionOutcomeError(err.message, 2);
    throw err;
  }
  conclude(io, record, view);
  return record;
}

function checkId(id: string | undefined): asserts id is string {
  if (!id || !EXECUTION_ID.test(id)) throw new ParameterError(`expected an execution id like 20261125-193012-3fa9c1, got ${JSON.stringify(id ?? '')}`);
}

/** `pipeline list [--json]`. */
export async function listLocal(io: LocalIo, json: boolean): Promise<void> {
  const records = await listExecutions(storeOf(io));
  io.stdout(json ? `${JSON.stringify(records, null, 2)}\n` : executionsTable(records));
}

/** `pipeline show <id> [--json]`. */
export async function showLocal(io: LocalIo, definition: PipelineDefinition, id: string | undefined, json: boolean): Promise<void> {
  checkId(id);
  const store = storeOf(io);
  const record = await readExecution(store, id);
  if (!record) throw new ExecutionOutcomeError(`no execution ${id} at ${store.uri(executionRecordKey(id))}`, 2);
  io.stdout(json ? `${JSON.stringify(record, null, 2)}\n` : drawExecution(record, definition));
}
