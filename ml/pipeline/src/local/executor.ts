import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVALUATION_JSON_PATHS } from '@petal/evaluation';
import { deployVersion, parseModelPackageArn, type Deployer, type ModelRegistry, type RegisterInput } from '@petal/registry';
import type { ArtifactStore } from '@petal/store';
import { z } from 'zod';
import { findStep, lookupProperty, type PipelineDefinition, type Step } from '../definition.js';
import { branchOwners, topologicalOrder, upstreamOf } from '../graph.js';
import { evaluateConditions, jsonPathGet, localCommandLine, LocalResolutionError, resolveValue, type LocalScope } from '../local-values.js';
import type { ParameterValue } from '../parameters.js';
import { DEPLOY_ACTION } from '../steps/deploy-step.js';
import type { ProcessingStep } from '../steps/processing-step.js';
import type { RegisterModelStep } from '../steps/register-model-step.js';
import type { TrainingStep } from '../steps/training-step.js';
import { runJob, type JobProcess } from './child.js';
import { cacheKey, codeVersion, durationMs, quickFingerprint } from './fingerprint.js';
import { executionPage } from './html.js';
import {
  executionPageKey,
  executionRecordKey,
  newExecutionId,
  readExecution,
  runnerHere,
  stepLogKey,
  stepOutputKey,
  stepOutputSchema,
  type ExecutionRecord,
  type StepOutput,
  type StepRecord,
} from './record.js';

/** Where finished cacheable steps are remembered: `pipeline-cache/<step>/<key>.json`. */
export const CACHE_PREFIX = 'pipeline-cache/';
const cacheEntryKey = (step: string, key: string) => `${CACHE_PREFIX}${step}/${key}.json`;
const cacheEntrySchema = z.object({
  key: z.string(),
  step: z.string(),
  execution: z.string(),
  createdAt: z.string(),
  outputs: z.record(z.string(), stepOutputSchema),
});

/** What the executor shows while it runs (the live table). */
export interface ExecutionView {
  /** The execution started (or resumed): its id and where its record is. */
  started?(record: ExecutionRecord, recordUri: string): void;
  /** The record changed (a step started, finished, …). */
  update(record: ExecutionRecord): void;
  /** A step's job printed a line. */
  line(step: string, line: string): void;
}

export interface ExecutorOptions {
  store: ArtifactStore;
  registry: ModelRegistry;
  definition: PipelineDefinition;
  /** Where `npm run train`/`evaluate` run (the repository root). */
  repoRoot: string;
  env?: NodeJS.ProcessEnv;
  /** The Deployer for a deploy step (`@petal/registry`'s `loadDeployer`, i.e. `@petal/deploy`). */
  deployer: () => Promise<Deployer>;
  view?: ExecutionView;
  /** Who registers and deploys (recorded in the registry's history). */
  actor?: string;
}

export class RetryRefusedError extends Error {
  override name = 'RetryRefusedError';
}

const now = () => new Date().toISOString();
const PROGRESS_SAVE_MS = 2000;
const isStoreUri = (store: ArtifactStore, value: string) => value.startsWith(`${store.root}/`);
const keyOfUri = (store: ArtifactStore, uri: string) => uri.slice(store.root.length + 1);
const DONE: ReadonlySet<StepRecord['status']> = new Set(['succeeded', 'cached']);

/**
 * A job a killed runner left behind (its own process group outlives it): stopped before the step runs
 * again, when the pid is still the job's (its command line names the step's private work folder; Linux).
 */
function stopOrphan(job: { pid: number; workDir: string }): void {
  try {
    if (!readFileSync(`/proc/${job.pid}/cmdline`, 'utf8').includes(job.workDir)) return;
    process.kill(-job.pid, 'SIGTERM');
  } catch {
    // gone, or not a system with /proc: nothing to stop
  }
}

/**
 * Runs a pipeline definition on this machine: job steps as child processes (`npm run train|evaluate`,
 * the `localCommandLine` of each), conditions and fail steps in-process, RegisterModel through the
 * registry, the deploy step through the Deployer; outputs, logs, the record and the page in the store
 * under `executions/<id>/`. One instance runs one execution once (`start` or `resume`).
 */
export class LocalExecutor {
  private record!: ExecutionRecord;
  private child: JobProcess | undefined;
  private interruptedBy: string | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly propertyFiles = new Map<string, unknown>();
  private readonly owners;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: ExecutorOptions) {
    this.owners = branchOwners(options.definition);
    this.env = options.env ?? process.env;
  }

  get current(): ExecutionRecord {
    return this.record;
  }

  /** A new execution with these (already resolved) parameter values; returns its final record. */
  async start(parameters: Record<string, ParameterValue>, id = newExecutionId()): Promise<ExecutionRecord> {
    const order = topologicalOrder(this.options.definition);
    const at = now();
    this.record = {
      version: 1,
      id,
      pipeline: this.options.definition.name,
      status: 'running',
      parameters,
      createdAt: at,
      startedAt: at,
      runner: runnerHere(),
      attempt: 1,
      order,
      steps: Object.fromEntries(order.map((name) => [name, { name, kind: findStep(this.options.definition, name).kind, status: 'queued', attempts: 0 }])),
      page: this.options.store.uri(executionPageKey(id)),
    };
    this.options.view?.started?.(this.record, this.options.store.uri(executionRecordKey(id)));
    await this.save(true);
    return this.run();
  }

  /**
   * Resumes a failed or interrupted execution in place (SageMaker's RetryPipelineExecution): finished
   * steps keep their outputs, the failed or stopped step and everything after it run again.
   */
  async resume(id: string): Promise<ExecutionRecord> {
    const { store } = this.options;
    this.record = await store.withLock(
      `execution-${id}`,
      async () => {
        const record = await readExecution(store, id);
        if (!record) throw new RetryRefusedError(`no execution ${id} in ${store.root}`);
        if (record.status === 'running') throw new RetryRefusedError(`execution ${id} is running (pid ${record.runner.pid} on ${record.runner.host})`);
        if (record.status === 'succeeded' || record.status === 'rejected') {
          throw new RetryRefusedError(`execution ${id} ${record.status === 'succeeded' ? 'succeeded' : `was rejected (${record.message ?? ''})`}: there is nothing to retry; start a new one with pipeline run`);
        }
        if (record.pipeline !== this.options.definition.name) throw new RetryRefusedError(`execution ${id} ran pipeline ${record.pipeline}, not ${this.options.definition.name}`);
        for (const s of Object.values(record.steps)) {
          if (!s.process || DONE.has(s.status)) continue;
          stopOrphan(s.process);
          if (s.process.workDir.startsWith(join(tmpdir(), 'petal-pipeline-'))) await rm(s.process.workDir, { recursive: true, force: true });
        }
        const steps = Object.fromEntries(
          Object.entries(record.steps).map(([name, s]): [string, StepRecord] => [
            name,
            DONE.has(s.status) ? s : { name, kind: s.kind, status: 'queued', attempts: s.attempts, ...(s.cacheKey ? { cacheKey: s.cacheKey } : {}) },
          ]),
        );
        const resumed: ExecutionRecord = { ...record, status: 'running', runner: runnerHere(), attempt: record.attempt + 1, startedAt: now(), steps };
        delete resumed.message;
        delete resumed.endedAt;
        await store.writeJson(executionRecordKey(id), resumed);
        return resumed;
      },
      { timeoutMs: 10_000 },
    );
    this.options.view?.started?.(this.record, store.uri(executionRecordKey(id)));
    this.options.view?.update(this.record);
    return this.run();
  }

  /** Ctrl-C, SIGTERM: stop the running job (its whole process group) and record the execution as interrupted. */
  interrupt(reason: string): void {
    if (this.interruptedBy) return;
    this.interruptedBy = reason;
    void this.child?.kill();
  }

  private async run(): Promise<ExecutionRecord> {
    try {
      for (const name of this.record.order) {
        if (this.interruptedBy) break;
        const step = this.record.steps[name]!;
        if (DONE.has(step.status)) continue;
        const skip = this.skipReason(name);
        if (skip) {
          this.setStep(name, { status: 'skipped', message: skip });
          await this.save();
          continue;
        }
        const ended = await this.runStep(findStep(this.options.definition, name));
        if (ended) break;
      }
      if (this.interruptedBy) {
        this.finish('interrupted', `interrupted by ${this.interruptedBy}`);
      } else if (this.record.status === 'running') {
        this.finish('succeeded');
      }
    } catch (err) {
      this.finish('failed', (err as Error).message);
    }
    await this.save(true);
    return this.record;
  }

  private finish(status: ExecutionRecord['status'], message?: string): void {
    for (const s of Object.values(this.record.steps)) {
      if (s.status === 'running') this.setStep(s.name, { status: 'stopped', message: message ?? 'stopped' });
      if (s.status === 'queued' && status === 'rejected') this.setStep(s.name, { status: 'skipped', message: 'the execution ended' });
    }
    this.record.status = status;
    if (message !== undefined) this.record.message = message;
    this.record.endedAt = now();
  }

  /** Why a step does not run: it sits on a branch its condition did not take, or what it needs was skipped. */
  private skipReason(name: string): string | undefined {
    const definition = this.options.definition;
    const owner = this.owners.get(name);
    if (owner) {
      const condition = this.record.steps[owner.condition]!;
      if (condition.status !== 'succeeded') return `${owner.condition} did not run`;
      const outcome = condition.result?.Outcome === true;
      if (outcome !== (owner.branch === 'if')) return `on the ${owner.branch} branch of ${owner.condition}, which was ${outcome}`;
    }
    for (const upstream of upstreamOf(definition, findStep(definition, name), this.owners)) {
      if (!DONE.has(this.record.steps[upstream]!.status)) return `${upstream} did not run`;
    }
    return undefined;
  }

  private setStep(name: string, patch: Partial<StepRecord>): void {
    const step = { ...this.record.steps[name]!, ...patch };
    if (patch.status && patch.status !== 'running' && patch.status !== 'queued' && step.startedAt && !step.endedAt) {
      step.endedAt = now();
      step.durationMs = Date.parse(step.endedAt) - Date.parse(step.startedAt);
    }
    this.record.steps[name] = step;
  }

  /** Runs one step; true when the execution ended with it (a fail step, a failure, an interruption). */
  private async runStep(step: Step): Promise<boolean> {
    const s = this.record.steps[step.name]!;
    const restarted: Partial<StepRecord> = { status: 'running', startedAt: now(), attempts: s.attempts + 1 };
    this.record.steps[step.name] = { name: s.name, kind: s.kind, attempts: s.attempts, status: 'running', ...restarted };
    await this.save();
    try {
      await this.loadPropertyFiles();
      switch (step.kind) {
        case 'training':
        case 'processing':
          await this.runJobStep(step);
          break;
        case 'condition': {
          const outcome = evaluateConditions(step.conditions, this.scope());
          const taken = outcome ? step.ifSteps : step.elseSteps;
          this.setStep(step.name, { status: 'succeeded', result: { Outcome: outcome }, message: `${outcome} → ${taken.join(', ') || 'nothing'}` });
          break;
        }
        case 'fail': {
          const message = String(resolveValue(step.message, this.scope()));
          this.setStep(step.name, { status: 'failed', message });
          this.finish('rejected', message);
          await this.save(true);
          return true;
        }
        case 'registerModel':
          await this.register(step);
          break;
        case 'lambda': {
          if (step.local.action !== DEPLOY_ACTION) throw new Error(`no local action ${step.local.action} (known: ${DEPLOY_ACTION})`);
          await this.deploy(step.name, step.arguments);
          break;
        }
      }
    } catch (err) {
      if (this.interruptedBy) return true;
      const message = (err as Error).message;
      this.setStep(step.name, { status: 'failed', message });
      this.finish('failed', `${step.name} failed: ${message}`);
      await this.save(true);
      return true;
    }
    if (this.interruptedBy) return true;
    await this.save(true);
    return false;
  }

  private scope(): LocalScope {
    const { definition } = this.options;
    return {
      parameters: this.record.parameters,
      property: (stepName, path) => {
        const lookup = lookupProperty(findStep(definition, stepName), path);
        if (!lookup.ok) throw new LocalResolutionError(lookup.problem);
        const rec = this.record.steps[stepName];
        if (!rec || !DONE.has(rec.status)) throw new LocalResolutionError(`${stepName} has not finished`);
        if ('output' in lookup.local) {
          const out = rec.outputs?.[lookup.local.output];
          if (!out) throw new LocalResolutionError(`${stepName} recorded no output ${lookup.local.output}`);
          return lookup.local.file ? `${out.uri}/${lookup.local.file}` : out.uri;
        }
        const value = rec.result?.[lookup.local.result];
        if (value === undefined) throw new LocalResolutionError(`${stepName} recorded no ${lookup.local.result}`);
        return value;
      },
      propertyFile: (stepName, file) => {
        const cached = this.propertyFiles.get(`${stepName}/${file}`);
        if (cached !== undefined) return cached;
        throw new LocalResolutionError(`${stepName}.${file} is not loaded`);
      },
      execution: (variable) => {
        switch (variable) {
          case 'PipelineExecutionId':
            return this.record.id;
          case 'PipelineExecutionArn':
            return `local:${definition.name}/execution/${this.record.id}`;
          case 'PipelineName':
            return definition.name;
          case 'PipelineArn':
            return `local:${definition.name}`;
          case 'StartDateTime':
            return this.record.startedAt;
          case 'CurrentDateTime':
            return now();
        }
      },
    };
  }

  /** Loads the property files of every finished processing step (from the store, where retries find them too). */
  private async loadPropertyFiles(): Promise<void> {
    const { store, definition } = this.options;
    for (const step of definition.steps) {
      if (step.kind !== 'processing') continue;
      const rec = this.record.steps[step.name];
      if (!rec || !DONE.has(rec.status)) continue;
      for (const file of step.propertyFiles) {
        if (this.propertyFiles.has(`${step.name}/${file.name}`)) continue;
        const out = rec.outputs?.[file.output];
        if (!out) continue;
        const bytes = await store.getBytes(`${out.key}/${file.path}`);
        this.propertyFiles.set(`${step.name}/${file.name}`, JSON.parse(bytes.toString('utf8')));
      }
    }
  }

  /** A value as a job's command line needs it: a store URI becomes a local path (downloaded from s3://). */
  private async localArg(arg: string, work: string): Promise<string> {
    const { store } = this.options;
    if (!isStoreUri(store, arg)) return arg;
    if (store.root.startsWith('file://')) return fileURLToPath(arg);
    const key = keyOfUri(store, arg);
    const local = join(work, 'inputs', key);
    if (await store.exists(key)) return store.getFile(key, local);
    return store.getDir(key, local);
  }

  private async runJobStep(step: TrainingStep | ProcessingStep): Promise<void> {
    const { store, repoRoot } = this.options;
    await this.loadPropertyFiles();
    const work = await mkdtemp(join(tmpdir(), `petal-pipeline-${step.name}-`));
    try {
      const outputDirs = new Map<string, string>();
      const line = localCommandLine(step, this.scope(), (o) => {
        const dir = join(work, 'outputs', o);
        outputDirs.set(o, dir);
        return dir;
      });
      const args = await Promise.all(line.args.map((a) => this.localArg(a, work)));
      const command = `npm run ${line.script} -- ${args.join(' ')}`;
      this.setStep(step.name, { command });

      const key = step.cache ? await this.cacheKeyOf(step, line.script, args, outputDirs) : undefined;
      if (key) {
        this.setStep(step.name, { cacheKey: key });
        const hit = await this.cacheHit(step, key);
        if (hit) {
          this.setStep(step.name, { status: 'cached', outputs: hit.outputs, cachedFrom: { execution: hit.execution, key }, message: `reused ${step.name} of execution ${hit.execution}` });
          await this.afterJob(step);
          return;
        }
      }

      for (const dir of outputDirs.values()) await mkdir(dir, { recursive: true });
      const logKey = stepLogKey(this.record.id, step.name);
      const fileStore = store.root.startsWith('file://');
      // On disk the log is written where the store keeps it, so it can be followed live; on S3 it is uploaded at the end.
      const logPath = fileStore ? fileURLToPath(store.uri(logKey)) : join(work, `${step.name}.log`);
      await mkdir(dirname(logPath), { recursive: true });
      this.setStep(step.name, { log: { key: logKey, uri: store.uri(logKey) } });
      await this.save();

      // The numbers a person wants to see once the job is done: the last epoch, the test accuracy.
      let summary: string | undefined;
      let lastProgressSave = Date.now();
      this.child = runJob({
        script: line.script,
        args,
        cwd: repoRoot,
        logPath,
        env: this.env,
        onLine: (text) => {
          if (/^(epoch|test_accuracy)=/.test(text)) summary = text;
          this.record.steps[step.name]!.message = text;
          // The last progress line reaches the record now and then, for `pipeline show` in another terminal.
          if (Date.now() - lastProgressSave > PROGRESS_SAVE_MS) {
            lastProgressSave = Date.now();
            this.save().catch(() => undefined);
          }
          this.options.view?.line(step.name, text);
        },
      });
      if (this.child.pid !== undefined) this.setStep(step.name, { process: { pid: this.child.pid, workDir: work } });
      await this.save();
      if (this.interruptedBy) void this.child.kill();
      const { code, signal } = await this.child.exited;
      this.child = undefined;
      this.setStep(step.name, { process: undefined });
      if (!fileStore) await store.putFile(logKey, logPath);
      if (this.interruptedBy) {
        this.setStep(step.name, { status: 'stopped', message: `stopped (${this.interruptedBy})` });
        return;
      }
      if (code !== 0) {
        const last = this.record.steps[step.name]!.message;
        throw new Error(`${command.split(' -- ')[0]} exited with ${code ?? signal}${last ? `: ${last}` : ''} (log: ${store.uri(logKey)})`);
      }
      const outputs: Record<string, StepOutput> = {};
      for (const [name, dir] of outputDirs) {
        const outKey = stepOutputKey(this.record.id, step.name, name);
        outputs[name] = { key: outKey, uri: await store.putDir(outKey, dir) };
      }
      this.setStep(step.name, { status: 'succeeded', outputs, message: summary ?? '' });
      if (key) {
        await store.writeJson(cacheEntryKey(step.name, key), { key, step: step.name, execution: this.record.id, createdAt: now(), outputs });
      }
      await this.afterJob(step);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** After a job step: its property files loaded, and the evaluation's numbers and report noted in the record. */
  private async afterJob(step: TrainingStep | ProcessingStep): Promise<void> {
    if (step.kind !== 'processing') return;
    await this.loadPropertyFiles();
    for (const file of step.propertyFiles) {
      const doc = this.propertyFiles.get(`${step.name}/${file.name}`);
      const accuracy = jsonPathGet(doc, EVALUATION_JSON_PATHS.accuracy);
      if (typeof accuracy !== 'number') continue;
      const macroF1 = jsonPathGet(doc, EVALUATION_JSON_PATHS.macroF1);
      const testSize = jsonPathGet(doc, EVALUATION_JSON_PATHS.itemCount);
      const inScopeFlowerRate = jsonPathGet(doc, EVALUATION_JSON_PATHS.inScopeFlowerRate);
      const outOfScopeDetectionRate = jsonPathGet(doc, EVALUATION_JSON_PATHS.outOfScopeDetectionRate);
      this.record.metrics = {
        accuracy,
        ...(typeof macroF1 === 'number' ? { macroF1 } : {}),
        ...(typeof testSize === 'number' ? { testSize } : {}),
        ...(typeof inScopeFlowerRate === 'number' ? { inScopeFlowerRate } : {}),
        ...(typeof outOfScopeDetectionRate === 'number' ? { outOfScopeDetectionRate } : {}),
      };
      const out = this.record.steps[step.name]!.outputs?.[file.output];
      if (out && (await this.options.store.exists(`${out.key}/report.html`))) this.record.report = this.options.store.uri(`${out.key}/report.html`);
    }
  }

  /**
   * What decides a cacheable job's outputs: the script, its arguments (output folders left out), a quick
   * fingerprint of every local file or folder among them (the data set), and the code version. Undefined
   * (no caching) when an argument is an s3:// location it cannot fingerprint cheaply.
   */
  private async cacheKeyOf(step: Step, script: string, args: string[], outputs: Map<string, string>): Promise<string | undefined> {
    const code = await codeVersion(this.options.repoRoot);
    const byDir = new Map([...outputs].map(([name, dir]) => [dir, name]));
    const material: unknown[] = [];
    for (const arg of args) {
      if (byDir.has(arg)) material.push(`<output ${byDir.get(arg)}>`);
      else if (arg.startsWith('s3://')) return undefined;
      else if (arg.startsWith('/')) material.push({ path: arg, fingerprint: await quickFingerprint(arg).catch(() => 'missing') });
      else material.push(arg);
    }
    return cacheKey({ pipeline: this.options.definition.name, step: step.name, script, args: material, code });
  }

  private async cacheHit(step: TrainingStep | ProcessingStep, key: string) {
    const { store } = this.options;
    const entry = await store.readJson(cacheEntryKey(step.name, key), cacheEntrySchema).catch(() => undefined);
    if (!entry || entry.execution === this.record.id) return undefined;
    if (Date.parse(entry.createdAt) + durationMs(step.cache!.expireAfter) < Date.now()) return undefined;
    for (const out of Object.values(entry.outputs)) {
      if ((await store.list(`${out.key}/`)).length === 0) return undefined;
    }
    return entry;
  }

  private async register(step: RegisterModelStep): Promise<void> {
    await this.loadPropertyFiles();
    const scope = this.scope();
    const text = (v: Parameters<typeof resolveValue>[0]) => String(resolveValue(v, scope));
    const meta = Object.fromEntries(Object.entries(step.metadata).map(([k, v]) => [k, text(v)]));
    const number = (key: string) => {
      const value = Number(meta[key]);
      if (!Number.isFinite(value)) throw new Error(`RegisterModel metadata ${key} is not a number: ${meta[key]}`);
      return value;
    };
    const input: RegisterInput = {
      group: step.group,
      artifactUri: text(step.modelData),
      evaluationUri: text(step.modelQuality.s3Uri),
      metrics: { accuracy: number('petal:accuracy'), macroF1: number('petal:macro-f1'), testSize: number('petal:test-size') },
      dataFingerprint: meta['petal:data-fingerprint'] ?? '',
      gitCommit: meta['petal:git-commit'] ?? '',
      modelName: meta['petal:model-name'] ?? '',
      modelVersion: meta['petal:model-version'] ?? '',
      approval: text(step.approval) as RegisterInput['approval'] & string,
      description: `${step.description ?? 'registered by the local pipeline'} (execution ${this.record.id})`,
      by: this.options.actor ?? `pipeline ${this.record.id}`,
    };
    const pkg = await this.options.registry.register(input);
    this.setStep(step.name, {
      status: 'succeeded',
      result: { ModelPackageArn: pkg.arn, ModelPackageVersion: pkg.version, ModelPackageName: `${pkg.group}/${pkg.version}`, ModelApprovalStatus: pkg.approval },
      message: `${pkg.group} version ${pkg.version} (${pkg.approval})`,
    });
    this.record.registered = { group: pkg.group, version: pkg.version, arn: pkg.arn, approval: pkg.approval };
  }

  private async deploy(name: string, args: Record<string, Parameters<typeof resolveValue>[0]>): Promise<void> {
    const scope = this.scope();
    const arn = String(resolveValue(args.model_package_arn!, scope));
    const endpoint = String(resolveValue(args.endpoint_name!, scope));
    const { group, version } = parseModelPackageArn(arn);
    const deployer = await this.options.deployer();
    const result = await deployVersion(this.options.registry, deployer, group, version, { by: this.options.actor ?? `pipeline ${this.record.id}` });
    if (!result.outcome.deployed) throw new Error(result.message);
    this.setStep(name, { status: 'succeeded', result: { endpoint_config_name: `${endpoint}/${group}-v${version}` }, message: result.message });
    this.record.deployed = { endpoint, version, message: result.message };
  }

  /** Writes the record (and, at step boundaries, the page) to the store; writes never overlap or reorder. */
  private save(page = false): Promise<void> {
    const snapshot = structuredClone(this.record);
    this.options.view?.update(snapshot);
    const { store } = this.options;
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        await store.writeJson(executionRecordKey(snapshot.id), snapshot);
        if (page) await store.putBytes(executionPageKey(snapshot.id), executionPage(snapshot, this.options.definition, store));
      });
    return this.saving;
  }
}
