import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findRepoRoot } from '@petal/stack/repo-root';
import { LocalStore } from '@petal/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { approvalOutputSchema, deployOutputSchema, errorOutputSchema, listOutputSchema, showOutputSchema } from './cli-output.js';
import { LocalModelRegistry } from './local-registry.js';
import { samplePackage } from './testing/sample.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = findRepoRoot(here);
const cli = join(here, 'cli.ts');
/** The Deployer seam, faked: src/testing/fake-deployer.ts logs what it is asked to deploy. */
const fakeDeployer = pathToFileURL(join(here, 'testing', 'fake-deployer.ts')).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('npm run registry (the CLI, spawned with tsx on a temp PETAL_STORE)', () => {
  let store: string;
  let log: string;
  let env: NodeJS.ProcessEnv;
  const registry = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<Run>((ok) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], { cwd: repo, env: { ...env, ...extra } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => ok({ code, stdout, stderr }));
    });
  const json = <T>(schema: z.ZodType<T>, run: Run): T => schema.parse(JSON.parse(run.stdout));

  beforeAll(async () => {
    store = await mkdtemp(join(tmpdir(), 'petal-registry-cli-'));
    log = join(store, 'deploys.log');
    env = { ...process.env, PETAL_STORE: store, PETAL_USER: 'carol', PETAL_DEPLOYER_MODULE: fakeDeployer, FAKE_DEPLOY_LOG: log, PETAL_REGISTRY_HOOK: '' };
    const seed = new LocalModelRegistry(new LocalStore(store));
    await seed.register(samplePackage({ approval: 'Approved' }));
    await seed.register(samplePackage({ metrics: { accuracy: 0.9601, macroF1: 0.955, testSize: 351 }, modelVersion: '1.1.0' }));
  });
  afterAll(() => rm(store, { recursive: true, force: true }));

  it('lists the versions as a table, and as contract-shaped JSON', async () => {
    const text = await registry(['list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('flower-classifier: 2 versions, none deployed');
    expect(text.stdout).toMatch(/version\s+approval\s+deployed\s+accuracy\s+macro F1\s+test\s+model/);
    expect(text.stdout).toMatch(/\n1\s+Approved\s+97\.72%\s+97\.53%\s+351\s+flower-classifier 1\.0\.0/);
    expect(text.stdout).toMatch(/\n2\s+PendingManualApproval\s+96\.01%/);
    const out = json(listOutputSchema, await registry(['list', '--json']));
    expect(out.packages.map((p) => [p.version, p.approval])).toEqual([
      [1, 'Approved'],
      [2, 'PendingManualApproval'],
    ]);
    expect(out.deployed).toBeNull();
  });

  it('shows one version with its history', async () => {
    const text = await registry(['show', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/approval\s+PendingManualApproval/);
    expect(text.stdout).toMatch(/artifact\s+s3:\/\/petal-artifacts\/runs\/r1\/model\.tar\.gz/);
    expect(text.stdout).toMatch(/history\n.*PendingManualApproval\s+pipeline: registered/);
    expect(json(showOutputSchema, await registry(['show', '2', '--json'])).package.modelVersion).toBe('1.1.0');
  });

  it('refuses bad input with a clear message and exit 2', async () => {
    const unknown = await registry(['show', '9']);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([2, 'registry: flower-classifier has no version 9 (versions: 1, 2)']);
    const again = await registry(['approve', '1', '--json']);
    expect(again.code).toBe(2);
    expect(json(errorOutputSchema, again)).toEqual({ error: { code: 'INVALID_TRANSITION', message: 'flower-classifier version 1 is already Approved' } });
    expect((await registry(['approve', 'two'])).stderr).toContain('"two" is not a version number');
    expect((await registry(['promote', '1'])).code).toBe(2);
    expect((await registry(['list', '--colour'])).code).toBe(2);
    const undeployable = await registry(['deploy', '2']);
    expect([undeployable.code, undeployable.stderr]).toEqual([2, expect.stringContaining('version 2 is PendingManualApproval: only an Approved version can be deployed')]);
  });

  it('says "no deployer installed" (exit 2) where no deploy package can be loaded', async () => {
    const run = await registry(['deploy', '1'], { PETAL_DEPLOYER_MODULE: '@petal/no-such-deployer' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no deployer installed: @petal/no-such-deployer is not available');
    const approveAndDeploy = await registry(['approve', '2', '--deploy'], { PETAL_DEPLOYER_MODULE: '@petal/no-such-deployer' });
    expect(approveAndDeploy.code).toBe(2);
    expect(json(showOutputSchema, await registry(['show', '2', '--json'])).package.approval).toBe('PendingManualApproval'); // not approved half-way
  });

  it('approves then deploys, deploys, and rolls back when the deployed version is rejected', async () => {
    const approved = json(approvalOutputSchema, await registry(['approve', '2', '--reason', 'better on roses', '--deploy', '--json']));
    expect(approved.package.history.at(-1)).toMatchObject({ status: 'Approved', by: 'carol', reason: 'better on roses' });
    expect(approved.event.detail).toMatchObject({ ModelPackageVersion: 2, ModelApprovalStatus: 'Approved' });
    expect(approved.deployment?.record).toMatchObject({ version: 2, by: 'carol' });

    const deployed = await registry(['deploy', '1']);
    expect([deployed.code, deployed.stdout.trim()]).toEqual([0, 'flower-classifier version 1 deployed (replacing version 2): endpoint serves flower-classifier 1.0.0']);

    const rejected = await registry(['reject', '1', '--reason', 'drift']);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout.trim()).toBe(
      'flower-classifier version 1: Approved → Rejected; it was deployed: rolled back to version 2 (endpoint serves flower-classifier 1.1.0)',
    );
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual(['deployed flower-classifier 2', 'deployed flower-classifier 1', 'deployed flower-classifier 2']);
    expect(json(listOutputSchema, await registry(['list', '--json'])).deployed).toMatchObject({ version: 2, previous: 1 });
  });

  it('reports a deployment the deployer refused (exit 1) and leaves the record alone', async () => {
    await registry(['approve', '1', '--reason', 'false alarm']);
    const run = await registry(['deploy', '1', '--json'], { FAKE_DEPLOY_FAIL: '1' });
    expect(run.code).toBe(1);
    const out = json(deployOutputSchema, run);
    expect(out.record).toBeUndefined();
    expect(out.message).toBe('flower-classifier version 1 was not deployed: smoke test failed: 2 of 16 photos misclassified; rolled back to version 2');
    expect(json(listOutputSchema, await registry(['list', '--json'])).deployed?.version).toBe(2);
  });

  it('runs PETAL_REGISTRY_HOOK with the event on stdin', async () => {
    const out = join(store, 'hook.json');
    const run = await registry(['reject', '1', '--json'], { PETAL_REGISTRY_HOOK: `cat > '${out}'` });
    expect(run.code).toBe(0);
    const event = JSON.parse(await readFile(out, 'utf8')) as { detail: { ModelPackageVersion: number; ModelApprovalStatus: string } };
    expect(event.detail).toMatchObject({ ModelPackageVersion: 1, ModelApprovalStatus: 'Rejected' });
  });
});
