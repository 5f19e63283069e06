// The executor's pure parts: the quick data fingerprint, cache expiry, how a record reads when its runner
// is gone, and the terminal drawings.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flowerPipeline } from '../flower-pipeline.js';
import { codeVersion, durationMs, quickFingerprint } from './fingerprint.js';
import { effectiveRecord, newExecutionId, EXECUTION_ID, type ExecutionRecord, type StepRecord } from './record.js';
import { drawExecution, executionsTable, stepTable } from './terminal.js';
import { topologicalOrder } from '../graph.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('quickFingerprint', () => {
  it('changes when a file is added, resized or touched, not when nothing changed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'petal-fp-'));
    dirs.push(root);
    await mkdir(join(root, 'a'));
    await writeFile(join(root, 'a', '1.jpg'), 'one');
    const first = await quickFingerprint(root);
    expect(await quickFingerprint(root)).toBe(first);
    await writeFile(join(root, 'a', '2.jpg'), 'two');
    const added = await quickFingerprint(root);
    expect(added).not.toBe(first);
    await utimes(join(root, 'a', '2.jpg'), new Date(1_000_000), new Date(1_000_000));
    expect(await quickFingerprint(root)).not.toBe(added);
  });
});

describe('codeVersion', () => {
  it('is the git commit in this checkout, and a fingerprint of the code folders outside git', async () => {
    expect(await codeVersion(process.cwd())).toMatch(/^[0-9a-f]{40}(\+dirty\.[0-9a-f]{12})?$/);
    const bare = await mkdtemp(join(tmpdir(), 'petal-nogit-'));
    dirs.push(bare);
    await mkdir(join(bare, 'ml', 'training'), { recursive: true });
    await writeFile(join(bare, 'ml', 'training', 'train.ts'), 'x');
    const version = await codeVersion(bare);
    expect(version).toMatch(/^files:[0-9a-f]{32}$/);
    expect(await codeVersion(bare)).toBe(version);
  });
});

describe('durationMs', () => {
  it('reads the ISO-8601 durations SageMaker cache settings use', () => {
    expect(durationMs('P30D')).toBe(30 * 86_400_000);
    expect(durationMs('PT1H')).toBe(3_600_000);
    expect(durationMs('P1DT12H')).toBe(36 * 3_600_000);
    expect(() => durationMs('30 days')).toThrow(/ISO-8601/);
  });
});

function sampleRecord(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const order = topologicalOrder(flowerPipeline);
  const steps: Record<string, StepRecord> = Object.fromEntries(order.map((name) => [name, { name, kind: 'x', status: 'queued', attempts: 0 }]));
  steps.Train = { ...steps.Train!, status: 'running', startedAt: new Date(Date.now() - 3000).toISOString(), attempts: 1 };
  return {
    version: 1,
    id: newExecutionId(),
    pipeline: flowerPipeline.name,
    status: 'running',
    parameters: { epochs: 6 },
    createdAt: new Date().toISOString(),
    startedAt: new Date().toISOString(),
    runner: { pid: process.pid, host: hostname() },
    attempt: 1,
    order,
    steps,
    ...overrides,
  };
}

describe('execution records', () => {
  it('ids sort by time and match the id pattern', () => {
    const a = newExecutionId(new Date('2026-11-25T19:30:12Z'));
    expect(a).toMatch(EXECUTION_ID);
    expect(a.startsWith('20261125-193012-')).toBe(true);
  });

  it('a running record whose runner is alive reads as running; one whose runner is gone as interrupted', () => {
    expect(effectiveRecord(sampleRecord()).status).toBe('running');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has exited
    const read = effectiveRecord(sampleRecord({ runner: { pid: gone, host: hostname() } }));
    expect(read.status).toBe('interrupted');
    expect(read.steps.Train!.status).toBe('stopped');
    // On another host nobody can tell: it stays running.
    expect(effectiveRecord(sampleRecord({ runner: { pid: gone, host: 'elsewhere' } })).status).toBe('running');
  });
});

describe('terminal drawings', () => {
  it('the step table has one line per step, the running one with its time and last line', () => {
    const record = sampleRecord();
    record.steps.Train!.message = 'epoch=3 validation_accuracy=0.9';
    const lines = stepTable(record);
    expect(lines).toHaveLength(record.order.length);
    expect(lines[0]).toMatch(/▶ Train\s+running\s+3\.\d s\s+epoch=3 validation_accuracy=0\.9/);
  });

  it('show draws the graph as a tree with the branches labelled', () => {
    const drawing = drawExecution(sampleRecord(), flowerPipeline);
    expect(drawing).toMatch(/^▶ Train/m);
    expect(drawing).toMatch(/└─ · Evaluate/);
    expect(drawing).toMatch(/\[else\] · ExplainRejection/);
    expect(drawing).toMatch(/\[if\] · Deploy\s+queued\s+after RegisterModel/);
  });

  it('list is a table, newest first as given', () => {
    const table = executionsTable([sampleRecord({ status: 'rejected', message: 'rejected: accuracy 0.5 is below accuracy-threshold 0.9' })]);
    expect(table.split('\n')[0]).toMatch(/^execution\s+status\s+time/);
    expect(table).toMatch(/rejected: accuracy 0\.5/);
  });
});
