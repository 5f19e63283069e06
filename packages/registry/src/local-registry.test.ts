import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot } from '@petal/stack/repo-root';
import { LocalStore, openStore } from '@petal/store';
import { startS3Loopback } from '@petal/store/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { modelPackageStateChangeEventSchema, type ModelPackageStateChangeEvent } from './events.js';
import { commandHook } from './hook.js';
import { LocalModelRegistry } from './local-registry.js';
import { samplePackage } from './testing/sample.js';
import type { Deployer, ModelPackage } from './types.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A Deployer stand-in: the registry's seam to the deploy package, recording what it was asked to deploy. */
function fakeDeployer(options: { fail?: number } = {}): Deployer & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    async deploy(pkg: ModelPackage) {
      calls.push(pkg.version);
      if (pkg.version === options.fail) return { deployed: false, message: 'smoke test failed' };
      return { deployed: true, message: `serving ${pkg.version}` };
    },
    async current() {
      return calls.length ? { group: 'flower-classifier', version: calls.at(-1)! } : undefined;
    },
  };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err instanceof RegistryError ? `${err.code}: ${err.message}` : `other: ${(err as Error).message}`;
  }
  return 'resolved';
};

describe('LocalModelRegistry', () => {
  let dir: string;
  let registry: LocalModelRegistry;
  let events: ModelPackageStateChangeEvent[];
  let warnings: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petal-registry-'));
    events = [];
    warnings = [];
    registry = new LocalModelRegistry(new LocalStore(dir), { actor: 'alice', onWarning: (w) => warnings.push(w) });
    registry.onStateChange((e) => void events.push(e));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('numbers versions 1, 2, … per group and stores every field', async () => {
    const one = await registry.register(samplePackage({ description: 'first' }));
    const two = await registry.register(samplePackage({ approval: 'Approved' }));
    const other = await registry.register(samplePackage({ group: 'tulips' }));
    expect([one.version, two.version, other.version]).toEqual([1, 2, 1]);
    expect(one).toMatchObject({
      group: 'flower-classifier',
      arn: 'arn:petal:sagemaker:local:000000000000:model-package/flower-classifier/1',
      artifactUri: 's3://petal-artifacts/runs/r1/model.tar.gz',
      metrics: { accuracy: 0.9772, macroF1: 0.9753, testSize: 351 },
      approval: 'PendingManualApproval',
      description: 'first',
      history: [{ status: 'PendingManualApproval', by: 'pipeline', reason: 'registered' }],
    });
    expect(two.approval).toBe('Approved');
    expect((await registry.list('flower-classifier')).map((p) => p.version)).toEqual([1, 2]);
    expect(await registry.get('flower-classifier', 2)).toEqual(two);
    expect(JSON.parse(await readFile(join(dir, 'registry/flower-classifier/versions/1.json'), 'utf8'))).toEqual(one);
    expect(await registry.list('roses')).toEqual([]);
  });

  it('refuses bad input and unknown versions with clear messages', async () => {
    expect(await code(registry.register(samplePackage({ group: 'no spaces' })))).toMatch(/^INVALID_INPUT: cannot register this model: group:/);
    expect(await code(registry.register(samplePackage({ artifactUri: 'model.tar.gz' })))).toMatch(/artifactUri: an s3:\/\/ or file:\/\/ URI/);
    await registry.register(samplePackage());
    expect(await code(registry.get('flower-classifier', 7))).toBe('NOT_FOUND: flower-classifier has no version 7 (versions: 1)');
    expect(await code(registry.setApproval('flower-classifier', 7, 'Approved'))).toMatch(/^NOT_FOUND/);
  });

  it('moves approval as SageMaker does, keeps the history and emits the state-change event', async () => {
    await registry.register(samplePackage());
    expect(events).toHaveLength(1); // registration is a state change too
    const approved = await registry.setApproval('flower-classifier', 1, 'Approved', { reason: 'looks good' });
    expect(approved.previous).toBe('PendingManualApproval');
    expect(approved.message).toBe('flower-classifier version 1: PendingManualApproval → Approved');
    expect(approved.package.history.map((h) => [h.status, h.by, h.reason])).toEqual([
      ['PendingManualApproval', 'pipeline', 'registered'],
      ['Approved', 'alice', 'looks good'],
    ]);
    const event = events[1]!;
    expect(modelPackageStateChangeEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      'detail-type': 'SageMaker Model Package State Change',
      source: 'petal.registry',
      resources: ['arn:petal:sagemaker:local:000000000000:model-package/flower-classifier/1'],
      detail: {
        ModelPackageGroupName: 'flower-classifier',
        ModelPackageVersion: 1,
        ModelPackageArn: 'arn:petal:sagemaker:local:000000000000:model-package/flower-classifier/1',
        ModelApprovalStatus: 'Approved',
        ModelPackageStatus: 'Completed',
        ApprovalDescription: 'looks good',
        InferenceSpecification: { Containers: [{ ModelDataUrl: 's3://petal-artifacts/runs/r1/model.tar.gz' }] },
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://petal-artifacts/runs/r1/evaluation/evaluation.json' } } },
        CustomerMetadataProperties: { 'petal:data-fingerprint': 'sha256:5e58aa0c', 'petal:git-commit': 'b2c868b1e0c4' },
      },
    });

    expect(await code(registry.setApproval('flower-classifier', 1, 'Approved'))).toBe('INVALID_TRANSITION: flower-classifier version 1 is already Approved');
    expect(await code(registry.setApproval('flower-classifier', 1, 'PendingManualApproval'))).toMatch(/cannot go back to PendingManualApproval/);
    await registry.setApproval('flower-classifier', 1, 'Rejected');
    expect((await registry.setApproval('flower-classifier', 1, 'Approved', { reason: 'false alarm' })).package.approval).toBe('Approved');
    expect(events).toHaveLength(4); // refused changes emit nothing
  });

  it('records only an approved version as deployed, and which one it replaced', async () => {
    await registry.register(samplePackage({ approval: 'Approved' }));
    await registry.register(samplePackage());
    expect(await registry.deployed('flower-classifier')).toBeUndefined();
    expect(await code(registry.recordDeployment('flower-classifier', 2))).toMatch(/^NOT_APPROVED: flower-classifier version 2 is PendingManualApproval/);
    expect(await registry.recordDeployment('flower-classifier', 1)).toMatchObject({ version: 1, by: 'alice' });
    await registry.setApproval('flower-classifier', 2, 'Approved');
    expect(await registry.recordDeployment('flower-classifier', 2)).toMatchObject({ version: 2, previous: 1 });
    expect((await registry.latestApproved('flower-classifier'))?.version).toBe(2);
    expect((await registry.deployed('flower-classifier'))?.version).toBe(2);
  });

  it('rejecting the deployed version rolls back to the previous approved one through the Deployer, and says so', async () => {
    const deployer = fakeDeployer();
    registry = new LocalModelRegistry(new LocalStore(dir), { actor: 'alice', deployer });
    for (let i = 0; i < 3; i++) await registry.register(samplePackage({ approval: 'Approved' }));
    await registry.setApproval('flower-classifier', 2, 'Rejected'); // not deployed: no rollback
    await registry.recordDeployment('flower-classifier', 3);
    expect(deployer.calls).toEqual([]);
    const result = await registry.setApproval('flower-classifier', 3, 'Rejected', { reason: 'bad on tulips' });
    expect(deployer.calls).toEqual([1]); // 2 is rejected: the previous approved one is 1
    expect(result.rollback).toEqual({ from: 3, to: 1, deployed: true, message: 'rolled back to version 1 (serving 1)' });
    expect(result.message).toBe('flower-classifier version 3: Approved → Rejected; it was deployed: rolled back to version 1 (serving 1)');
    expect(await registry.deployed('flower-classifier')).toMatchObject({ version: 1, previous: 3 });
  });

  it('says when a rollback cannot happen: deployer failure, no deployer, nothing approved to go back to', async () => {
    for (let i = 0; i < 2; i++) await registry.register(samplePackage({ approval: 'Approved' }));
    const failing = new LocalModelRegistry(new LocalStore(dir), { deployer: fakeDeployer({ fail: 1 }) });
    await failing.recordDeployment('flower-classifier', 2);
    const failed = await failing.setApproval('flower-classifier', 2, 'Rejected');
    expect(failed.rollback).toEqual({ from: 2, to: 1, deployed: false, message: 'rolling back to version 1 failed: smoke test failed' });
    expect((await registry.deployed('flower-classifier'))?.version).toBe(2); // unchanged

    await registry.setApproval('flower-classifier', 2, 'Approved');
    const noDeployer = await registry.setApproval('flower-classifier', 2, 'Rejected');
    expect(noDeployer.rollback?.message).toBe('could not roll back to version 1 (no deployer configured): version 2 still serves');

    await registry.setApproval('flower-classifier', 1, 'Rejected');
    await registry.setApproval('flower-classifier', 2, 'Approved');
    const nothing = await registry.setApproval('flower-classifier', 2, 'Rejected');
    expect(nothing.rollback).toEqual({ from: 2, deployed: false, message: 'no other approved version to roll back to: version 2 still serves' });
  });

  it('runs the hook command with the event JSON on stdin; a failing hook is a warning, the change stands', async () => {
    const out = join(dir, 'hook-event.json');
    const hooked = new LocalModelRegistry(new LocalStore(dir), { handlers: [commandHook(`cat > '${out}'`)], onWarning: (w) => warnings.push(w) });
    await hooked.register(samplePackage());
    await hooked.setApproval('flower-classifier', 1, 'Approved');
    const event = modelPackageStateChangeEventSchema.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(event.detail).toMatchObject({ ModelPackageVersion: 1, ModelApprovalStatus: 'Approved' });

    const broken = new LocalModelRegistry(new LocalStore(dir), { handlers: [commandHook('echo cannot reach endpoint >&2; exit 3')], onWarning: (w) => warnings.push(w) });
    const result = await broken.setApproval('flower-classifier', 1, 'Rejected');
    expect(result.package.approval).toBe('Rejected');
    expect(result.warnings).toEqual([
      'a state-change handler failed for flower-classifier version 1 (Rejected; the change is recorded): registry hook `echo cannot reach endpoint >&2; exit 3` exited 3: cannot reach endpoint',
    ]);
    expect(warnings).toEqual(result.warnings);
    expect((await registry.get('flower-classifier', 1)).approval).toBe('Rejected');
  });

  it('gives concurrent registrations from separate processes distinct version numbers', async () => {
    const worker = join(here, 'testing', 'register-worker.ts');
    const startAt = String(Date.now() + 2_000); // after both have started
    const run = () =>
      new Promise<number[]>((ok, fail) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', worker, '5'], {
          cwd: findRepoRoot(here),
          env: { ...process.env, PETAL_STORE: dir, PETAL_REGISTRY_HOOK: '', START_AT: startAt },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (status) => (status === 0 ? ok(out.trim().split('\n').map(Number)) : fail(new Error(`worker exited ${status}: ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    const all = Array.from({ length: 10 }, (_, i) => i + 1);
    expect([...a!, ...b!].sort((x, y) => x - y)).toEqual(all);
    const stored = await registry.list('flower-classifier');
    expect(stored.map((p) => p.version)).toEqual(all);
    expect(new Set(stored.map((p) => p.description)).size).toBe(2); // both processes' registrations are there
  });
});

describe('LocalModelRegistry on an s3:// store (loopback S3 stand-in)', () => {
  it('registers, approves and records a deployment in the bucket', async () => {
    const s3 = await startS3Loopback({ bucket: 'petal-registry' });
    try {
      const registry = new LocalModelRegistry(openStore('s3://petal-registry/store', { s3Client: s3.client() }), { actor: 'bob' });
      expect((await registry.register(samplePackage())).version).toBe(1);
      expect((await registry.register(samplePackage())).version).toBe(2);
      await registry.setApproval('flower-classifier', 2, 'Approved');
      await registry.recordDeployment('flower-classifier', 2);
      expect([...s3.objects.keys()].sort()).toEqual([
        'store/registry/flower-classifier/deployment.json',
        'store/registry/flower-classifier/versions/1.json',
        'store/registry/flower-classifier/versions/2.json',
      ]);
      expect((await registry.latestApproved('flower-classifier'))?.version).toBe(2);
    } finally {
      await s3.close();
    }
  });
});
