import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ArtifactStore } from '@petal/store';
import { z } from 'zod';

/**
 * One local execution, as recorded in the store at `executions/<id>/execution.json` and rewritten
 * (atomically: the store's writes are) after every state change, so `pipeline list/show/retry` read
 * it across restarts and from other processes.
 */
export const EXECUTIONS_PREFIX = 'executions/';
export const executionPrefix = (id: string) => `${EXECUTIONS_PREFIX}${id}`;
export const executionRecordKey = (id: string) => `${executionPrefix(id)}/execution.json`;
export const executionPageKey = (id: string) => `${executionPrefix(id)}/index.html`;
export const stepOutputKey = (id: string, step: string, output: string) => `${executionPrefix(id)}/steps/${step}/${output}`;
export const stepLogKey = (id: string, step: string) => `${executionPrefix(id)}/logs/${step}.log`;

export const STEP_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cached', 'stopped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const EXECUTION_STATUSES = ['running', 'succeeded', 'rejected', 'failed', 'interrupted'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const stepOutputSchema = z.object({ key: z.string(), uri: z.string() });
export type StepOutput = z.infer<typeof stepOutputSchema>;

export const stepRecordSchema = z.object({
  name: z.string(),
  kind: z.string(),
  status: z.enum(STEP_STATUSES),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  /** The child's command line (job steps). */
  command: z.string().optional(),
  /** Directories of the step's outputs in the store (job steps), by output name. */
  outputs: z.record(z.string(), stepOutputSchema).optional(),
  /** What the step returned: a condition's Outcome, the registry's ModelPackageArn, … */
  result: z.record(z.string(), scalar).optional(),
  /** The step's log in the store (job steps). */
  log: stepOutputSchema.optional(),
  /** Why it failed, why it was skipped, the Fail step's message, the last line of progress. */
  message: z.string().optional(),
  /** The execution whose finished Train this one reused, and the cache key that matched. */
  cachedFrom: z.object({ execution: z.string(), key: z.string() }).optional(),
  /** The cache key of a cacheable job step (also when it missed). */
  cacheKey: z.string().optional(),
  attempts: z.number().int().nonnegative().default(0),
  /** A job step's process group while it runs (npm and the job under it) and its private work folder. */
  process: z.object({ pid: z.number().int(), workDir: z.string() }).optional(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const executionRecordSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  pipeline: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  /** Rejected: the Fail step's message; failed: the error; interrupted: the signal. */
  message: z.string().optional(),
  parameters: z.record(z.string(), scalar),
  createdAt: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  /** The process running it now (or last): a running record whose pid is gone reads as interrupted. */
  runner: z.object({ pid: z.number().int(), host: z.string() }),
  /** 1 for the first run, +1 per `pipeline retry`. */
  attempt: z.number().int().positive(),
  /** The step order (upstream first), for display. */
  order: z.array(z.string()),
  steps: z.record(z.string(), stepRecordSchema),
  metrics: z
    .object({
      accuracy: z.number(),
      macroF1: z.number().optional(),
      testSize: z.number().optional(),
      /** The two out-of-scope numbers CheckQuality gates on (absent in records from before the gate). */
      inScopeFlowerRate: z.number().optional(),
      outOfScopeDetectionRate: z.number().optional(),
    })
    .optional(),
  registered: z.object({ group: z.string(), version: z.number(), arn: z.string(), approval: z.string() }).optional(),
  deployed: z.object({ endpoint: z.string(), version: z.number(), message: z.string() }).optional(),
  /** The evaluation report (report.html) and the execution page, in the store. */
  report: z.string().optional(),
  page: z.string().optional(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/** Sortable and unique across processes: `20261125-193012-3fa9c1`. */
export function newExecutionId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export const EXECUTION_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The record as it should be read: a `running` execution whose runner process (on this host) is gone
 * was killed or crashed before it could say so, so it reads as interrupted, its running step stopped.
 */
export function effectiveRecord(record: ExecutionRecord): ExecutionRecord {
  if (record.status !== 'running') return record;
  if (record.runner.host !== hostname() || pidAlive(record.runner.pid)) return record;
  const steps = Object.fromEntries(
    Object.entries(record.steps).map(([name, s]) => [name, s.status === 'running' ? { ...s, status: 'stopped' as const, message: 'its runner process is gone' } : s]),
  );
  return { ...record, status: 'interrupted', message: `the runner (pid ${record.runner.pid}) is gone: killed or crashed`, steps };
}

export async function readExecution(store: ArtifactStore, id: string): Promise<ExecutionRecord | undefined> {
  const record = await store.readJson(executionRecordKey(id), executionRecordSchema);
  return record && effectiveRecord(record);
}

/** Every recorded execution, newest first. */
export async function listExecutions(store: ArtifactStore): Promise<ExecutionRecord[]> {
  const keys = (await store.list(EXECUTIONS_PREFIX)).filter((k) => /^executions\/[^/]+\/execution\.json$/.test(k));
  const records = await Promise.all(keys.map((k) => store.readJson(k, executionRecordSchema).catch(() => undefined)));
  return records
    .filter((r): r is ExecutionRecord => r !== undefined)
    .map(effectiveRecord)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export const runnerHere = () => ({ pid: process.pid, host: hostname() });
