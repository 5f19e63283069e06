// The whole local pipeline on real flowers: a small stratified subset of the shared data set is trained,
// evaluated, gated, registered as Approved and deployed into a running endpoint, while a client keeps
// classifying through the WAS; afterwards the WAS answers with the registered version and no request failed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR, MODEL_DIR, REPO_ROOT, hasModelAt, repoPath, spawnService, wiringEnv, type ServiceProcess } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionRecordSchema } from './record.js';

const PER_CLASS = 8;
const TOKEN = 'pipeline-flowers-token';

/** The first `perClass` photos of every class (sorted by name): the same subset on every machine. */
async function stratifiedSubset(source: string, perClass: number): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'petal-pipeline-flowers-'));
  for (const entry of (await readdir(source, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const photos = (await readdir(join(source, entry.name))).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort().slice(0, perClass);
    await mkdir(join(root, entry.name));
    for (const photo of photos) await copyFile(join(source, entry.name, photo), join(root, entry.name, photo));
  }
  return root;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', repoPath('ml/pipeline/src/cli.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Keeps classifying one photo through the WAS; records failures and each model identity that answered. */
function keepClassifying(wasUrl: string, photo: Buffer) {
  const seen: string[] = [];
  const failures: string[] = [];
  let ok = 0;
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'flower.jpg');
        const res = await fetch(`${wasUrl}/classify/image?lang=en`, { method: 'POST', body: form });
        const body = (await res.json()) as { model?: { name: string; version: string } };
        if (res.status !== 200) failures.push(`${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
        else {
          ok += 1;
          const model = `${body.model?.name}@${body.model?.version}`;
          if (seen.at(-1) !== model) seen.push(model);
        }
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const loops = [loop(), loop()];
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { ok, failures, seen };
    },
  };
}

describe.skipIf(!existsSync(DATA_DIR) || !hasModelAt(MODEL_DIR))(`the local pipeline on a stratified subset of ${DATA_DIR}, deployed under traffic`, () => {
  let data: string;
  let storeDir: string;
  let deployDir: string;
  let endpoint: ServiceProcess;
  let was: ServiceProcess;
  let endpointUrl: string;
  let wasUrl: string;

  beforeAll(async () => {
    data = await stratifiedSubset(DATA_DIR, PER_CLASS);
    storeDir = await mkdtemp(join(tmpdir(), 'petal-pipeline-store-'));
    deployDir = await mkdtemp(join(tmpdir(), 'petal-pipeline-deployments-'));
    endpoint = spawnService('endpoint', { MODEL_DIR, ADMIN_TOKEN: TOKEN });
    endpointUrl = await endpoint.ready();
    was = spawnService('was', { ...wiringEnv('was', { endpoint: endpointUrl }), RATE_LIMIT_MAX: '1000000' });
    wasUrl = await was.ready();
  });

  afterAll(async () => {
    await was?.stop();
    await endpoint?.stop();
    for (const dir of [data, storeDir, deployDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('trains, evaluates, registers version 1 as Approved and deploys it: no request fails, the WAS then names version 1', async () => {
    const classes = (await readdir(data)).sort();
    const photo = await readFile(join(data, classes[0]!, (await readdir(join(data, classes[0]!))).sort()[0]!));
    const traffic = keepClassifying(wasUrl, photo);
    // A model from 8 photos a class clears no production gate: the point here is the deployment under traffic.
    const gates = ['accuracy-threshold=0.3', 'min-in-scope-flower-rate=0', 'min-out-of-scope-detection=0'];
    const params = ['max-iterations=10', 'augment=1', 'test-split=0.25', ...gates, 'approval=Approved', `data=${data}`];
    const run = await runCli(['run', ...params.flatMap((p) => ['--param', p])], {
      PETAL_STORE: storeDir,
      PETAL_REGISTRY: 'local',
      PETAL_ENDPOINT_URL: endpointUrl,
      ADMIN_TOKEN: TOKEN,
      PETAL_DEPLOY_DIR: deployDir,
    });
    const seen = await traffic.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const id = /execution (\d{8}-\d{6}-[0-9a-f]{6})/.exec(run.stdout)![1]!;
    const record = executionRecordSchema.parse(JSON.parse((await runCli(['show', id, '--json'], { PETAL_STORE: storeDir })).stdout));
    expect(record.status).toBe('succeeded');
    expect(record.metrics!.testSize).toBe(classes.length * 2);
    expect(record.registered).toMatchObject({ version: 1, approval: 'Approved' });
    expect(record.steps.Deploy!.status).toBe('succeeded');

    expect(seen.failures).toEqual([]);
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.seen.at(-1)).toBe('flower-classifier@1');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'flower.jpg');
    const answer = (await (await fetch(`${wasUrl}/classify/image?lang=en`, { method: 'POST', body: form })).json()) as { model: unknown };
    expect(answer.model).toEqual({ name: 'flower-classifier', version: '1' });
  }, 240_000);
});
