// The local executor end to end: `npm run pipeline -- run|list|show|retry` as real processes (the CLI, and
// under it the training and evaluation jobs as child processes) on tiny generated image sets, with a
// temporary PETAL_STORE holding the records, artifacts and the local registry.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOutOfScopeSet } from '@petal/evaluation';
import { makeImageFolder, THREE_COLOURS } from '@petal/evaluation/testing';
import { LocalModelRegistry } from '@petal/registry';
import { MODEL_DIR, REPO_ROOT, hasModelAt, repoPath, spawnService } from '@petal/stack';
import { openStore } from '@petal/store';
import { startS3Loopback, type S3Loopback } from '@petal/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionRecordSchema, listExecutions, type ExecutionRecord } from './record.js';

const CLI = repoPath('ml/pipeline/src/cli.ts');
// Few iterations on 24 generated images per class: the real jobs, in seconds. Not fewer: the out-of-scope
// thresholds are calibrated on the validation photos, and with 2 per class a test photo beyond all of
// them (answered unknown) is common enough to fail min-in-scope-flower-rate at its default now and then.
const PER_CLASS = 24;
const QUICK = ['max-iterations=6', 'augment=1', 'test-split=0.25', 'validation-split=0.25'];

interface CliRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function cli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

const params = (data: string, extra: string[] = []) => ['run', ...[`data=${data}`, ...QUICK, ...extra].flatMap((p) => ['--param', p])];
const executionId = (stdout: string) => /execution (\d{8}-\d{6}-[0-9a-f]{6})/.exec(stdout)?.[1];

describe('the local executor (npm run pipeline -- run)', () => {
  let storeDir: string;
  let env: Record<string, string>;
  let data: string;
  const store = () => openStore(storeDir);
  const registry = () => new LocalModelRegistry(store());
  const record = async (id: string): Promise<ExecutionRecord> => {
    const shown = await cli(['show', id, '--json'], env).done;
    expect(shown.code, shown.stderr).toBe(0);
    return executionRecordSchema.parse(JSON.parse(shown.stdout));
  };
  /** Resolves once an execution's record shows `step`'s job started (its process recorded); returns the execution's id. */
  const whenRunning = async (step: string, timeoutMs = 60_000): Promise<string> => {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      for (const r of await listExecutions(store())) {
        if (r.status === 'running' && r.steps[step]?.status === 'running' && r.steps[step]?.process) return r.id;
      }
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    throw new Error(`${step} never ran`);
  };

  beforeAll(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'petal-pipeline-store-'));
    env = { PETAL_STORE: storeDir, PETAL_REGISTRY: 'local', PETAL_REGISTRY_HOOK: '' };
    data = await makeImageFolder(THREE_COLOURS, PER_CLASS);
  });

  afterAll(async () => {
    for (const dir of [storeDir, data]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('trains, evaluates, passes the gate and registers version 1 (PendingManualApproval: no deploy); list and show read the record', async () => {
    const run = await cli(params(data), env).done;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const id = executionId(run.stdout)!;
    const r = await record(id);
    expect(r.status).toBe('succeeded');
    expect(Object.fromEntries(r.order.map((n) => [n, r.steps[n]!.status]))).toEqual({
      Train: 'succeeded',
      Evaluate: 'succeeded',
      CheckQuality: 'succeeded',
      ExplainRejection: 'skipped',
      RejectedBelowThreshold: 'skipped',
      ExplainRegression: 'skipped',
      RejectedForRegression: 'skipped',
      ExplainOutOfScope: 'skipped',
      RejectedInScopeFlowerRate: 'skipped',
      RejectedOutOfScopeDetection: 'skipped',
      RegisterModel: 'succeeded',
      CheckApproval: 'succeeded',
      Deploy: 'skipped',
    });
    expect(r.steps.Train!.command).toMatch(/^npm run train -- --train-only --quiet --data /);
    expect(r.steps.CheckQuality!.result).toEqual({ Outcome: true });
    expect(r.registered).toMatchObject({ group: 'flower-classifier', version: 1, approval: 'PendingManualApproval' });
    expect(r.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
    // Passed at the defaults, on numbers the Evaluate step measured on the generated out-of-scope set too.
    expect(r.parameters).toMatchObject({ 'regression-floor': 0, 'min-in-scope-flower-rate': 0.9, 'min-out-of-scope-detection': 0.9 });
    expect(r.metrics!.inScopeFlowerRate).toBeGreaterThanOrEqual(0.9);
    expect(r.metrics!.outOfScopeDetectionRate).toBeGreaterThanOrEqual(0.9);
    expect(r.steps.Evaluate!.command).toMatch(/ --ood generated /);

    // Artifacts, logs and the page under executions/<id>/; the registered version points at them.
    const keys = await store().list(`executions/${id}/`);
    for (const key of ['execution.json', 'index.html', 'logs/Train.log', 'logs/Evaluate.log', 'steps/Train/model/model.tar.gz', 'steps/Evaluate/evaluation/evaluation.json', 'steps/Evaluate/evaluation/report.html']) {
      expect(keys).toContain(`executions/${id}/${key}`);
    }
    const pkg = await registry().get('flower-classifier', 1);
    expect(pkg.artifactUri).toBe(store().uri(`executions/${id}/steps/Train/model/model.tar.gz`));
    expect(pkg.evaluationUri).toBe(store().uri(`executions/${id}/steps/Evaluate/evaluation/evaluation.json`));
    expect(pkg.metrics.accuracy).toBe(r.metrics!.accuracy);
    expect(await registry().deployed('flower-classifier')).toBeUndefined();
    const page = await readFile(fileURLToPath(store().uri(`executions/${id}/index.html`)), 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('href="steps/Evaluate/evaluation/report.html"');
    expect(await readFile(fileURLToPath(r.steps.Train!.log!.uri), 'utf8')).toMatch(/^epoch=1 train_loss=[\d.]+ .* validation_accuracy=[\d.]+$/m);

    const list = await cli(['list', '--json'], env).done;
    expect(JSON.parse(list.stdout).map((e: ExecutionRecord) => e.id)).toEqual([id]);
    const show = await cli(['show', id], env).done;
    expect(show.stdout).toMatch(/✓ Train\s+succeeded/);
    expect(show.stdout).toMatch(/\[if\] – Deploy\s+skipped/);
  }, 120_000);

  it('reuses Train on an unchanged re-run (cached) and finishes well under 20 s', async () => {
    const started = Date.now();
    const run = await cli(params(data), env).done;
    const wall = Date.now() - started;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const r = await record(executionId(run.stdout)!);
    expect(r.steps.Train!.status).toBe('cached');
    expect(r.steps.Train!.cachedFrom!.execution).not.toBe(r.id);
    expect(r.registered!.version).toBe(2);
    expect((await registry().get('flower-classifier', 2)).artifactUri).toContain(`executions/${r.steps.Train!.cachedFrom!.execution}/`);
    expect(wall).toBeLessThan(20_000);
  }, 60_000);

  it('a failing quality gate leaves the registry unchanged and the record says which number failed', async () => {
    // Two classes of the same colour: no model tells them apart, so the accuracy stays far below the threshold.
    const confusable = await makeImageFolder({ red: [210, 40, 50], scarlet: [210, 40, 50], blue: [40, 70, 200] }, 8);
    const before = await registry().list('flower-classifier');
    const run = await cli(params(confusable, ['accuracy-threshold=0.99']), env).done;
    expect(run.code).toBe(1);
    const r = await record(executionId(run.stdout)!);
    expect(r.status).toBe('rejected');
    expect(r.message).toMatch(/^rejected: accuracy 0\.\d+ is below accuracy-threshold 0\.99$/);
    expect(r.steps.RejectedBelowThreshold!.status).toBe('failed');
    expect(r.steps.RegisterModel!.status).toBe('skipped');
    expect(r.registered).toBeUndefined();
    expect(await registry().list('flower-classifier')).toEqual(before);
    await rm(confusable, { recursive: true, force: true });
  }, 60_000);

  it('a model that takes out-of-scope images for flowers is not registered, and the record names the detection rate', async () => {
    // A fourth class made of the generated set's own renders: accurate on its test photos, but much of
    // the out-of-scope set now looks like one of its classes (measured: 5 of its 43 images answered unknown).
    const renders = await makeImageFolder(THREE_COLOURS, PER_CLASS);
    await mkdir(join(renders, 'render'));
    for (const image of (await generateOutOfScopeSet()).filter((i) => i.kind === 'render')) {
      await writeFile(join(renders, 'render', image.id.split('/').at(-1)!), image.bytes);
    }
    const before = await registry().list('flower-classifier');
    // Accuracy and the in-scope rate let through, so the out-of-scope number is the one left to fail.
    const gates = ['accuracy-threshold=0', 'min-in-scope-flower-rate=0', 'min-out-of-scope-detection=0.99'];
    const run = await cli(params(renders, gates), env).done;
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const r = await record(executionId(run.stdout)!);
    expect(r.status).toBe('rejected');
    expect(r.message).toMatch(/^rejected: out-of-scope detection rate 0\.\d+ \(out-of-scope images answered unknown or unsure\) is below min-out-of-scope-detection 0\.99$/);
    expect(r.metrics!.outOfScopeDetectionRate).toBeLessThan(0.99);
    expect(r.message).toContain(`rate ${r.metrics!.outOfScopeDetectionRate} `);
    for (const step of ['ExplainRejection', 'ExplainRegression', 'ExplainOutOfScope']) expect(r.steps[step]!.result, step).toEqual({ Outcome: true });
    expect(r.steps.RejectedOutOfScopeDetection!.status).toBe('failed');
    expect(r.steps.RegisterModel!.status).toBe('skipped');
    expect(r.registered).toBeUndefined();
    expect(await registry().list('flower-classifier')).toEqual(before);

    // The same model is rejected at the default minimum too: the gate catches it without being tightened.
    const atDefaults = await cli(params(renders, ['accuracy-threshold=0', 'min-in-scope-flower-rate=0']), env).done;
    expect(atDefaults.code, atDefaults.stdout + atDefaults.stderr).toBe(1);
    expect((await record(executionId(atDefaults.stdout)!)).message).toMatch(/is below min-out-of-scope-detection 0\.9$/);
    await rm(renders, { recursive: true, force: true });
  }, 120_000);

  it('Ctrl-C marks the execution interrupted; retry resumes it, reusing the finished Train', async () => {
    const run = cli(params(data, ['seed=21']), env);
    const id = await whenRunning('Evaluate');
    run.child.kill('SIGINT');
    const ended = await run.done;
    expect(ended.code, ended.stdout + ended.stderr).toBe(130);
    const interrupted = await record(id);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.steps.Train!.status).toBe('succeeded');
    expect(interrupted.steps.Evaluate!.status).toBe('stopped');
    expect(interrupted.steps.RegisterModel!.status).toBe('queued');
    const before = await registry().list('flower-classifier');

    const retry = await cli(['retry', id], env).done;
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    const done = await record(id);
    expect(done.status).toBe('succeeded');
    expect(done.attempt).toBe(2);
    expect(done.steps.Train).toEqual(interrupted.steps.Train); // reused as it was: same outputs, same times
    expect(done.steps.Evaluate!.attempts).toBe(2);
    expect(done.registered!.version).toBe(before.length + 1);
    // A finished execution has nothing to retry.
    const again = await cli(['retry', id], env).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/succeeded: there is nothing to retry/);
  }, 120_000);

  it('a runner killed outright (SIGKILL mid-Train) reads as interrupted, and retry finishes it', async () => {
    const run = cli(params(data, ['seed=31']), env);
    const id = await whenRunning('Train');
    run.child.kill('SIGKILL');
    await run.done;
    const dead = await record(id);
    const orphan = dead.steps.Train!.process!; // the job outlived its runner
    expect(dead.status).toBe('interrupted');
    expect(dead.message).toMatch(/runner .* is gone/);
    expect(dead.steps.Train!.status).toBe('stopped');
    const retry = await cli(['retry', id], env).done;
    expect(retry.code, retry.stdout + retry.stderr).toBe(0);
    const done = await record(id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.Train!.process).toBeUndefined();
    expect(existsSync(orphan.workDir)).toBe(false); // retry stopped the leftover job (or it had ended) and removed its folder
  }, 120_000);

  it('two executions at once both finish with consistent records and distinct versions', async () => {
    const before = (await registry().list('flower-classifier')).length;
    const [a, b] = await Promise.all([cli(params(data, ['seed=43']), env).done, cli(params(data, ['seed=44']), env).done]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const ra = await record(executionId(a.stdout)!);
    const rb = await record(executionId(b.stdout)!);
    expect(ra.id).not.toBe(rb.id);
    for (const r of [ra, rb]) {
      expect(r.status).toBe('succeeded');
      expect(r.steps.Train!.status, JSON.stringify(r.steps.Train)).toBe('succeeded');
      const pkg = await registry().get('flower-classifier', r.registered!.version);
      expect(pkg.artifactUri).toBe(store().uri(`executions/${r.id}/steps/Train/model/model.tar.gz`));
      expect(existsSync(fileURLToPath(pkg.artifactUri))).toBe(true);
    }
    expect([ra.registered!.version, rb.registered!.version].sort()).toEqual([before + 1, before + 2]);
    expect((await registry().list('flower-classifier')).length).toBe(before + 2);
  }, 120_000);

  // Last: it leaves a deployed version, which sets deployed-accuracy for any later run.
  it.skipIf(!hasModelAt(MODEL_DIR))('approval=Approved deploys the registered version into a running endpoint, whose /models then names it', async () => {
    const token = 'pipeline-test-token';
    const endpoint = spawnService('endpoint', { MODEL_DIR, ADMIN_TOKEN: token });
    const deployDir = await mkdtemp(join(tmpdir(), 'petal-pipeline-deployments-'));
    try {
      const url = await endpoint.ready();
      const run = await cli(params(data, ['approval=Approved', 'seed=45']), { ...env, PETAL_ENDPOINT_URL: url, ADMIN_TOKEN: token, PETAL_DEPLOY_DIR: deployDir }).done;
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const r = await record(executionId(run.stdout)!);
      expect(r.steps.CheckApproval!.result).toEqual({ Outcome: true });
      expect(r.steps.Deploy!.status).toBe('succeeded');
      const version = r.registered!.version;
      expect(r.registered!.approval).toBe('Approved');
      expect(r.deployed).toMatchObject({ endpoint: 'image-classifier', version });
      expect((await registry().deployed('flower-classifier'))?.version).toBe(version);
      const models = (await (await fetch(`${url}/models`)).json()) as { model?: { name: string; version: string } };
      expect(models.model).toMatchObject({ name: 'flower-classifier', version: String(version) });
    } finally {
      await endpoint.stop();
      await rm(deployDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('the local executor on an s3:// store (a loopback S3 stand-in, the real AWS SDK)', () => {
  let s3: S3Loopback;
  let data: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startS3Loopback({ bucket: 'petal-pipeline', pageSize: 50 });
    data = await makeImageFolder(THREE_COLOURS, PER_CLASS);
    env = {
      PETAL_STORE: 's3://petal-pipeline/team',
      PETAL_REGISTRY: 'local',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
  });

  afterAll(async () => {
    await s3?.close();
    if (data) await rm(data, { recursive: true, force: true });
  });

  it('runs the same way: artifacts, logs, record and registry in the bucket; Evaluate reads the model from S3; a re-run reuses Train', async () => {
    const first = await cli(params(data), env).done;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const id = executionId(first.stdout)!;
    for (const key of ['execution.json', 'index.html', 'logs/Train.log', 'logs/Evaluate.log', 'steps/Train/model/model.tar.gz', 'steps/Evaluate/evaluation/evaluation.json']) {
      expect(s3.objects.has(`team/executions/${id}/${key}`), key).toBe(true);
    }
    const pkg = JSON.parse(s3.objects.get('team/registry/flower-classifier/versions/1.json')!.body.toString()) as { artifactUri: string };
    expect(pkg.artifactUri).toBe(`s3://petal-pipeline/team/executions/${id}/steps/Train/model/model.tar.gz`);

    const second = await cli(params(data), env).done;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const shown = await cli(['show', executionId(second.stdout)!, '--json'], env).done;
    const r = executionRecordSchema.parse(JSON.parse(shown.stdout));
    expect(r.steps.Train!.status).toBe('cached');
    expect(r.steps.Evaluate!.command).toMatch(/--model \S+\/inputs\/executions\/\S+\/model\.tar\.gz /); // downloaded for the job
    expect(r.registered!.version).toBe(2);
  }, 120_000);
});
