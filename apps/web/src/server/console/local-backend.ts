import { execFileSync } from 'node:child_process';
import { posix } from 'node:path';
import type {
  ConsoleInfo,
  ConsoleParameterValue,
  ConsoleStep,
  ExecutionDetail,
  ExecutionSummary,
  ModelAction,
  ModelActionAnswer,
  ModelDetail,
  ModelList,
  ModelVersion,
  StepGraph,
  StepLog,
} from '@petal/contracts';
import { evaluationDocumentSchema } from '@petal/evaluation';
import {
  LocalExecutor,
  MODEL_PACKAGE_GROUP,
  ParameterError,
  executionRecordKey,
  flowerPipeline,
  layoutGraph,
  listExecutions,
  readExecution,
  resolveRunParameters,
  type ExecutionRecord,
} from '@petal/pipeline';
import { RegistryError, deployVersion, loadDeployer, openRegistry, type Deployer, type DeploymentRecord, type ModelPackage } from '@petal/registry';
import { repoPath } from '@petal/stack';
import { StoreNotFoundError, openStore, storeRootFromEnv } from '@petal/store';
import { ConsoleRefusal, type ConsoleBackend, type CreateConsoleBackend } from './backend.js';

/** The end of a step's log is what a person looks at (the error, the last epochs). */
const LOG_TAIL_BYTES = 64 * 1024;
const ACTOR = 'web-console';
/** How long a start waits for the new execution's first record (one small write). */
const RECORD_WAIT_MS = 10_000;
const FINISHED = new Set(['succeeded', 'cached', 'skipped', 'failed', 'stopped']);

const REGISTRY_CODES = {
  NOT_FOUND: 'CONSOLE_VERSION_NOT_FOUND',
  INVALID_TRANSITION: 'CONSOLE_INVALID_TRANSITION',
  NOT_APPROVED: 'CONSOLE_NOT_APPROVED',
  NO_DEPLOYER: 'CONSOLE_NO_DEPLOYER',
  INVALID_INPUT: 'VALIDATION_ERROR',
} as const satisfies Record<RegistryError['code'], ConsoleRefusal['code']>;

function gitCommit(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function summary(record: ExecutionRecord, now = Date.now()): ExecutionSummary {
  const steps = record.order.map((name) => record.steps[name]!);
  const current = steps.find((s) => s.status === 'running')?.name;
  return {
    id: record.id,
    pipeline: record.pipeline,
    status: record.status,
    ...(record.message ? { message: record.message } : {}),
    parameters: record.parameters,
    startedAt: record.startedAt,
    ...(record.endedAt ? { endedAt: record.endedAt } : {}),
    durationMs: Math.max(0, (record.endedAt ? Date.parse(record.endedAt) : now) - Date.parse(record.startedAt)),
    attempt: record.attempt,
    progress: { done: steps.filter((s) => FINISHED.has(s.status)).length, total: steps.length },
    ...(current ? { current } : {}),
    ...(record.metrics ? { metrics: record.metrics } : {}),
    ...(record.registered ? { registered: { group: record.registered.group, version: record.registered.version, approval: record.registered.approval } } : {}),
  };
}

function stepView(record: ExecutionRecord, name: string, now = Date.now()): ConsoleStep {
  const s = record.steps[name]!;
  const running = s.status === 'running' && s.startedAt ? now - Date.parse(s.startedAt) : undefined;
  const durationMs = s.durationMs ?? running;
  return {
    name,
    kind: s.kind,
    status: s.status,
    ...(s.startedAt ? { startedAt: s.startedAt } : {}),
    ...(durationMs !== undefined ? { durationMs: Math.max(0, durationMs) } : {}),
    ...(s.message ? { message: s.message } : {}),
    ...(s.result ? { result: s.result } : {}),
    ...(s.cachedFrom ? { cachedFrom: s.cachedFrom.execution } : {}),
    hasLog: s.log !== undefined,
  };
}

function graphOf(record: ExecutionRecord): StepGraph {
  const nodes = layoutGraph(flowerPipeline, record.order);
  return {
    nodes: nodes.map(({ name, depth, row }) => ({ name, depth, row })),
    edges: nodes.flatMap((node) =>
      node.upstream.filter((u) => node.direct.includes(u.name)).map((u) => ({ from: u.name, to: node.name, ...(u.branch ? { branch: u.branch } : {}) })),
    ),
  };
}

function versionView(pkg: ModelPackage, deployed: DeploymentRecord | undefined): ModelVersion {
  return {
    version: pkg.version,
    approval: pkg.approval,
    createdAt: pkg.createdAt,
    metrics: pkg.metrics,
    modelName: pkg.modelName,
    modelVersion: pkg.modelVersion,
    gitCommit: pkg.gitCommit,
    dataFingerprint: pkg.dataFingerprint,
    ...(pkg.description ? { description: pkg.description } : {}),
    deployed: deployed?.version === pkg.version,
    history: pkg.history.map((h) => ({ status: h.status, at: h.at, by: h.by, ...(h.reason ? { reason: h.reason } : {}) })),
  };
}

function refusalOf(err: unknown): unknown {
  if (err instanceof RegistryError) return new ConsoleRefusal(REGISTRY_CODES[err.code], err.message);
  if (err instanceof ParameterError) return new ConsoleRefusal('CONSOLE_INVALID_PARAMETERS', err.message);
  return err;
}

async function refusing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw refusalOf(err);
  }
}

/**
 * The console on this machine's pipeline and registry: executions from the artifact store (PETAL_STORE),
 * runs started with the local executor in this process (jobs as child processes, as `npm run pipeline --
 * run` does), versions from the registry PETAL_REGISTRY names, deployments through `@petal/deploy`.
 */
export const createConsoleBackend: CreateConsoleBackend = (env, log) => {
  const store = openStore(storeRootFromEnv(env));
  const repoRoot = repoPath();
  let deployer: Deployer | undefined;
  const getDeployer = async () => (deployer ??= await loadDeployer(env));
  const registry = openRegistry(env, { deployer: getDeployer, onWarning: log });
  const group = MODEL_PACKAGE_GROUP;
  const running = new Map<string, { executor: LocalExecutor; done: Promise<unknown> }>();
  // One deployment at a time from here: the endpoint swaps one model at a time anyway.
  let deploying = false;

  const keyOf = (uri: string) => (uri.startsWith(`${store.root}/`) ? uri.slice(store.root.length + 1) : undefined);
  const evaluationKey = async (version: number) => keyOf((await registry.get(group, version)).evaluationUri);

  const backend: ConsoleBackend = {
    async info(): Promise<ConsoleInfo> {
      return {
        pipeline: flowerPipeline.name,
        group,
        registry: registry.kind,
        actions: 'open', // replaced by the routes, which know the server's configuration
        parameters: flowerPipeline.parameters.map((p) => ({
          name: p.name,
          type: p.type,
          // Hyperparameters take their description from the training schema, which may not have one.
          description: p.description ?? '',
          ...(p.default !== undefined ? { default: p.default } : {}),
          ...(p.enumValues ? { enumValues: [...p.enumValues] } : {}),
          // `data` comes from the context too (the shared data set) but is the one a person often sets.
          automatic: p.derive !== undefined || (p.fromContext !== undefined && p.name !== 'data'),
        })),
      };
    },

    async executions() {
      const now = Date.now();
      return { executions: (await listExecutions(store)).map((r) => summary(r, now)) };
    },

    async execution(id) {
      const record = await readExecution(store, id);
      if (!record) return undefined;
      const now = Date.now();
      const detail: ExecutionDetail = {
        execution: summary(record, now),
        steps: record.order.map((name) => stepView(record, name, now)),
        graph: graphOf(record),
        ...(record.deployed ? { deployed: record.deployed } : {}),
      };
      return detail;
    },

    async stepLog(id, step): Promise<StepLog | undefined> {
      const record = await readExecution(store, id);
      const entry = record?.steps[step]?.log;
      if (!entry) return undefined;
      let bytes: Buffer;
      try {
        bytes = await store.getBytes(entry.key);
      } catch (err) {
        // The log is named in the record before the job writes its first line.
        if (err instanceof StoreNotFoundError) bytes = Buffer.alloc(0);
        else throw err;
      }
      const truncated = bytes.length > LOG_TAIL_BYTES;
      const text = (truncated ? bytes.subarray(bytes.length - LOG_TAIL_BYTES) : bytes).toString('utf8');
      // A cut through a multi-byte character or mid-line: start at the next whole line.
      return { step, text: truncated ? text.slice(text.indexOf('\n') + 1) : text, truncated, bytes: bytes.length };
    },

    async startRun(given) {
      const parameters = await refusing(() =>
        resolveRunParameters({ env, gitCommit: () => gitCommit(repoRoot), cwd: repoRoot }, flowerPipeline, given satisfies Record<string, ConsoleParameterValue>, registry),
      );
      let started!: (id: string) => void;
      const recorded = new Promise<string>((resolve) => (started = resolve));
      const executor = new LocalExecutor({
        store,
        registry,
        definition: flowerPipeline,
        repoRoot,
        env,
        deployer: getDeployer,
        actor: ACTOR,
        view: { started: (record) => started(record.id), update: () => undefined, line: () => undefined },
      });
      const done = executor.start(parameters);
      // The executor names the execution before its first write: answer once the record can be read, so the
      // page's first look finds it; the run itself goes on without the request.
      const id = await Promise.race([recorded, done.then((r) => r.id)]);
      let finished = false;
      void done.finally(() => (finished = true)).catch(() => undefined);
      const deadline = Date.now() + RECORD_WAIT_MS;
      while (!finished && Date.now() < deadline && !(await store.exists(executionRecordKey(id)))) await new Promise((r) => setTimeout(r, 20));
      const settled = done.then(
        (r) => log(`console run ${r.id} ended ${r.status}${r.message ? `: ${r.message}` : ''}`),
        (err: unknown) => log(`console run ${id} failed: ${(err as Error).message}`),
      );
      running.set(id, { executor, done: settled });
      void settled.finally(() => running.delete(id));
      return { id };
    },

    async models(): Promise<ModelList> {
      const [packages, deployed] = await Promise.all([registry.list(group), registry.deployed(group)]);
      return {
        group,
        deployed: deployed ? { version: deployed.version, deployedAt: deployed.deployedAt, by: deployed.by, ...(deployed.previous !== undefined ? { previous: deployed.previous } : {}) } : null,
        versions: packages.map((p) => versionView(p, deployed)).reverse(),
      };
    },

    async model(version): Promise<ModelDetail | undefined> {
      let pkg: ModelPackage;
      try {
        pkg = await registry.get(group, version);
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
      const deployed = await registry.deployed(group);
      const key = keyOf(pkg.evaluationUri);
      const doc = key ? await store.readJson(key, evaluationDocumentSchema).catch(() => undefined) : undefined;
      if (!doc) return { model: versionView(pkg, deployed), evaluation: null };
      const metrics = doc.multiclass_classification_metrics;
      return {
        model: versionView(pkg, deployed),
        evaluation: {
          labels: doc.labels,
          confusion: doc.labels.map((actual) => doc.labels.map((predicted) => metrics.confusion_matrix[actual]?.[predicted] ?? 0)),
          perClass: doc.per_class.map(({ label, precision, recall, f1, support }) => ({ label, precision, recall, f1, support })),
          accuracy: metrics.accuracy.value,
          macroF1: metrics.macro_f1.value,
          itemCount: doc.dataset.item_count,
          evaluatedAt: doc.dataset.evaluation_time,
          mistakes: doc.mistakes.length,
          report: await store.exists(posix.join(posix.dirname(key!), 'report.html')),
        },
      };
    },

    async report(version) {
      const key = await refusing(() => evaluationKey(version));
      if (!key) return undefined;
      const reportKey = posix.join(posix.dirname(key), 'report.html');
      return (await store.exists(reportKey)) ? (await store.getBytes(reportKey)).toString('utf8') : undefined;
    },

    async act(version: number, action: ModelAction, { reason, by }): Promise<ModelActionAnswer> {
      if (action !== 'approve' && deploying) throw new ConsoleRefusal('CONSOLE_BUSY', 'a deployment started from the console is still in progress');
      if (action !== 'approve') deploying = true;
      try {
        return await refusing(async () => {
          if (action === 'deploy') {
            await registry.get(group, version); // an unknown version is named before a deployer is loaded
            const result = await deployVersion(registry, await getDeployer(), group, version, { by });
            return { message: result.message, model: versionView(await registry.get(group, version), await registry.deployed(group)), deployed: result.record !== undefined };
          }
          const result = await registry.setApproval(group, version, action === 'approve' ? 'Approved' : 'Rejected', { by, ...(reason ? { reason } : {}) });
          return {
            message: result.message,
            model: versionView(result.package, await registry.deployed(group)),
            ...(result.rollback ? { rollback: result.rollback } : {}),
          };
        });
      } finally {
        if (action !== 'approve') deploying = false;
      }
    },

    async close() {
      for (const { executor } of running.values()) executor.interrupt('SIGTERM');
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
  return backend;
};
