/**
 * The local deployer against a REAL endpoint: the endpoint's own entry point spawned through
 * @petal/stack with the shipped model, flowers drawn with sharp as the smoke photos (no data set
 * needed), and a client classifying during every swap.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { classifyAnswerSchema, endpointModelsSchema, parseContract } from '@petal/contracts';
import { EVALUATION_FILE, TEST_SPLIT_FILE, fileDigest, type TestSplit } from '@petal/evaluation';
import { MANIFEST_FILE } from '@petal/model';
import { MODEL_DIR, hasModelAt, spawnService, wiringEnv, type ServiceProcess } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalDeployer, type LocalDeployerOptions, type LocalDeployResult } from './local-deployer.js';
import type { SmokeCase } from './smoke-set.js';
import { topLabel } from './smoke-test.js';
import { drawnFlowers } from './testing/drawn-flowers.js';
import { brokenModel, copyModel, mislabelledModel } from './testing/model-copies.js';
import { keepClassifying } from './testing/traffic.js';
import { EndpointClient } from './endpoint-client.js';

const TOKEN = 'deploy-test-token';
const GROUP = 'flower-classifier';
const uriOf = (dir: string) => pathToFileURL(dir).href;
// The shipped model's own version, whatever retraining last set it to.
const SHIPPED_VERSION = hasModelAt(MODEL_DIR) ? (JSON.parse(readFileSync(join(MODEL_DIR, MANIFEST_FILE), 'utf8')) as { version: string }).version : '';

describe.skipIf(!hasModelAt(MODEL_DIR))(`LocalDeployer against a running endpoint serving ${MODEL_DIR}`, () => {
  let endpoint: ServiceProcess;
  let was: ServiceProcess;
  let url: string;
  let wasUrl: string;
  let work: string;
  let smoke: SmokeCase[];
  const timings: Array<{ what: string; result: LocalDeployResult }> = [];

  const deployer = (overrides: Partial<LocalDeployerOptions> = {}) =>
    new LocalDeployer({ endpointUrl: url, adminToken: TOKEN, deployRoot: join(work, 'deployments'), smoke, ...overrides });

  const served = async () => {
    const res = await fetch(`${url}/models`);
    return endpointModelsSchema.parse(await res.json()).model;
  };

  /** Deploys while a client keeps classifying; returns both. */
  const deployUnderTraffic = async (what: string, run: () => Promise<LocalDeployResult>) => {
    const traffic = keepClassifying(url, smoke[0]!.image);
    const result = await run();
    const record = await traffic.stop();
    timings.push({ what, result });
    return { result, record };
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'petal-deploy-'));
    smoke = await drawnFlowers();
    endpoint = spawnService('endpoint', { MODEL_DIR, ADMIN_TOKEN: TOKEN });
    url = await endpoint.ready();
    // The WAS in front of it, wired as `npm start` wires it, to see the identity a person's answer carries.
    was = spawnService('was', wiringEnv('was', { endpoint: url }));
    wasUrl = await was.ready();
  });

  afterAll(async () => {
    await was?.stop();
    await endpoint?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    for (const { what, result } of timings) {
      const t = result.timings;
      console.log(`${what}: copy ${t.copyMs.toFixed(0)} ms, swap ${t.swapMs?.toFixed(0) ?? '-'} ms, smoke ${t.smokeMs?.toFixed(0) ?? '-'} ms (${result.smoke?.total ?? 0} photos), rollback ${t.rollbackMs?.toFixed(0) ?? '-'} ms`);
    }
  });

  test('the shipped model names every drawn flower correctly (what the smoke tests below rely on)', async () => {
    const client = new EndpointClient({ url });
    for (const flower of smoke) expect(topLabel(await client.classify(flower.image)), flower.name).toBe(flower.label);
  });

  test('current() is undefined while a model the registry did not number serves (the shipped one)', async () => {
    expect((await served())?.version).toBe(SHIPPED_VERSION);
    expect(await deployer().current()).toBeUndefined();
  });

  test('deploys a copy as version 7: /models, every answer and the WAS name flower-classifier@7, and no request fails during the swap', async () => {
    const { result, record } = await deployUnderTraffic('good copy v7', () => deployer().deploy({ group: GROUP, version: 7, artifactUri: uriOf(MODEL_DIR) }));

    expect(result.deployed, result.message).toBe(true);
    expect(result.message).toContain('flower-classifier v7 serves');
    expect(result.smoke).toMatchObject({ passed: true, total: smoke.length, failures: [] });
    // Public answers name the model folder, never its absolute path.
    expect(await served()).toMatchObject({ name: GROUP, version: '7', location: basename(result.modelDir!) });
    expect(await deployer().current()).toEqual({ group: GROUP, version: 7 });
    // The deploy copy carries the registered identity; the shipped model's folder is untouched.
    const copied = JSON.parse(await readFile(join(result.modelDir!, MANIFEST_FILE), 'utf8')) as { name: string; version: string };
    expect(copied).toMatchObject({ name: GROUP, version: '7' });
    expect(JSON.parse(await readFile(join(MODEL_DIR, MANIFEST_FILE), 'utf8'))).toMatchObject({ version: SHIPPED_VERSION });

    expect(record.failures).toEqual([]);
    expect(record.ok).toBeGreaterThan(0);
    expect(record.models.at(-1)).toBe(`${GROUP}@7`);

    // What a person sees: the WAS's answer names the registered version.
    const form = new FormData();
    form.append('file', new Blob([smoke[0]!.image], { type: 'image/jpeg' }), 'flower.jpg');
    const res = await fetch(`${wasUrl}/classify/image?lang=en`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(parseContract(classifyAnswerSchema, await res.json(), 'the WAS answer').model).toEqual({ name: GROUP, version: '7' });
  });

  test('a copy whose labels are permuted loads, fails the smoke test and is rolled back: version 7 serves again, no request fails', async () => {
    const artifact = await mislabelledModel(MODEL_DIR, join(work, 'mislabelled'));
    const { result, record } = await deployUnderTraffic('mislabelled v8 (rolled back)', () => deployer().deploy({ group: GROUP, version: 8, artifactUri: uriOf(artifact) }));

    expect(result.deployed).toBe(false);
    expect(result.rolledBackTo).toEqual({ group: GROUP, version: 7 });
    expect(result.message).toMatch(/smoke test failed: 6 of 6 smoke photos wrong \(drawn-susan-1: expected black_eyed_susan, got astilbe/);
    expect(result.message).toContain('rolled back to flower-classifier@7');
    expect(result.timings.rollbackMs).toBeGreaterThan(0);
    expect(await served()).toMatchObject({ name: GROUP, version: '7' });
    expect(await deployer().current()).toEqual({ group: GROUP, version: 7 });
    // The failed copy is gone; the serving one stays.
    const copies = await readdir(join(work, 'deployments', GROUP));
    expect(copies.filter((d) => d.startsWith('v8-'))).toEqual([]);
    expect(copies.filter((d) => d.startsWith('v7-'))).toHaveLength(1);

    expect(record.failures).toEqual([]);
    expect(record.models.at(-1)).toBe(`${GROUP}@7`);
  });

  test('an artifact the endpoint cannot load is refused by the endpoint and version 7 keeps serving', async () => {
    const artifact = await brokenModel(MODEL_DIR, join(work, 'broken'));
    const { result, record } = await deployUnderTraffic('broken v9 (refused)', () => deployer().deploy({ group: GROUP, version: 9, artifactUri: uriOf(artifact) }));

    expect(result.deployed).toBe(false);
    expect(result.rolledBackTo).toBeUndefined();
    expect(result.message).toMatch(/flower-classifier v9 not deployed: .*422 \(MODEL_LOAD_FAILED: .*still serving flower-classifier@7\)$/);
    expect((await readdir(join(work, 'deployments', GROUP))).filter((d) => d.startsWith('v9-'))).toEqual([]);
    expect(await served()).toMatchObject({ name: GROUP, version: '7' });
    expect(record.failures).toEqual([]);
  });

  test('a wrong admin token deploys nothing and says so', async () => {
    const result = await deployer({ adminToken: 'wrong' }).deploy({ group: GROUP, version: 11, artifactUri: uriOf(MODEL_DIR) });
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/v11 not deployed: POST .*\/admin\/models answered 403 \(FORBIDDEN: wrong admin token\)/);
    expect(await served()).toMatchObject({ version: '7' });
  });

  test('an unreachable endpoint deploys nothing; the copy is kept, since without an answer the swap may yet happen', async () => {
    const root = join(work, 'unreachable');
    const result = await deployer({ endpointUrl: 'http://127.0.0.1:9', deployRoot: root }).deploy({ group: GROUP, version: 12, artifactUri: uriOf(MODEL_DIR) });
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/flower-classifier v12 not deployed: POST http:\/\/127\.0\.0\.1:9\/admin\/models failed: .*; whether http:\/\/127\.0\.0\.1:9 switched is unknown/);
    expect(await readdir(join(root, GROUP))).toEqual([expect.stringMatching(/^v12-/)]);
  });

  test('an empty smoke set refuses the deploy before the swap', async () => {
    const result = await deployer({ smoke: [] }).deploy({ group: GROUP, version: 17, artifactUri: uriOf(MODEL_DIR) });
    expect(result.deployed).toBe(false);
    expect(result.message).toMatch(/v17 not deployed, .* unchanged: the smoke set is empty/);
    expect(await served()).toMatchObject({ version: '7' });
  });

  describe('the default smoke set: held-out photos named by the artifact’s test-split.json', () => {
    /**
     * An artifact whose split names the drawn flowers in a data folder, plus one photo filed under the
     * wrong class (a black-eyed Susan labelled astilbe), which its evaluation.json lists as a mistake.
     */
    const heldOutArtifact = async (name: string, evaluation: 'registered' | 'inside' | 'none') => {
      const dataRoot = join(work, `${name}-data`);
      const files: TestSplit['files'] = [];
      const put = async (path: string, label: string, image: Uint8Array) => {
        await mkdir(join(dataRoot, label), { recursive: true });
        await writeFile(join(dataRoot, path), image);
        files.push({ path, label, sha256: fileDigest(image) });
      };
      for (const flower of smoke) await put(`${flower.label}/${flower.name}.jpg`, flower.label, flower.image);
      await put('astilbe/zz-mistake.jpg', 'astilbe', smoke.find((f) => f.label === 'black_eyed_susan')!.image);
      const dir = await copyModel(MODEL_DIR, join(work, name));
      const split: TestSplit = { version: 1, subset: 'test', source: dataRoot, datasetFingerprint: 'sha256:test', fingerprint: 'sha256:test', classes: ['astilbe', 'bellflower', 'black_eyed_susan'], files };
      await writeFile(join(dir, TEST_SPLIT_FILE), JSON.stringify(split));
      await rm(join(dir, EVALUATION_FILE), { force: true });
      const shipped = JSON.parse(await readFile(join(MODEL_DIR, EVALUATION_FILE), 'utf8')) as Record<string, unknown>;
      const mistakes = [{ path: 'astilbe/zz-mistake.jpg', actual: 'astilbe', predicted: 'black_eyed_susan', probability: 1 }];
      const evaluationFile = evaluation === 'inside' ? join(dir, EVALUATION_FILE) : join(work, `${name}-evaluation.json`);
      if (evaluation !== 'none') await writeFile(evaluationFile, JSON.stringify({ ...shipped, mistakes }));
      return { artifactUri: uriOf(dir), ...(evaluation === 'registered' ? { evaluationUri: uriOf(evaluationFile) } : {}) };
    };

    test('leaves out the mistakes of the registered evaluation.json (evaluationUri), so the evaluated model passes; data root from the split’s source', async () => {
      const artifact = await heldOutArtifact('held-out', 'registered');
      const lines: string[] = [];
      const { result, record } = await deployUnderTraffic('held-out smoke set v13', () =>
        deployer({ smoke: undefined, smokePerClass: 3, log: (l) => lines.push(l) }).deploy({ group: GROUP, version: 13, ...artifact }),
      );
      expect(result.deployed, result.message).toBe(true);
      expect(result.smoke?.total).toBe(6);
      expect(lines.join('\n')).toMatch(/smoke set 6 held-out photos from .*held-out-data\n/);
      expect(await served()).toMatchObject({ version: '13' });
      expect(record.failures).toEqual([]);
    });

    test('an evaluation.json inside the artifact screens the set the same way', async () => {
      const result = await deployer({ smoke: undefined, smokePerClass: 3 }).deploy({ group: GROUP, version: 14, ...(await heldOutArtifact('inside', 'inside')) });
      expect(result.deployed, result.message).toBe(true);
      expect(result.smoke?.total).toBe(6);
    });

    test('without any evaluation.json the mislabelled photo is in the set, fails the smoke test, and version 14 comes back', async () => {
      const artifact = await heldOutArtifact('unscreened', 'none');
      const lines: string[] = [];
      const result = await deployer({ smoke: undefined, smokePerClass: 3, log: (l) => lines.push(l) }).deploy({ group: GROUP, version: 15, ...artifact });
      expect(lines.join('\n')).toContain('no evaluation.json');
      expect(result.deployed).toBe(false);
      expect(result.message).toContain('1 of 7 smoke photos wrong (astilbe/zz-mistake.jpg: expected astilbe, got black_eyed_susan)');
      expect(result.rolledBackTo).toEqual({ group: GROUP, version: 14 });
      expect(await served()).toMatchObject({ version: '14' });
    });

    test('a held-out photo that changed since training refuses the deploy before anything is swapped', async () => {
      const artifact = await heldOutArtifact('changed', 'registered');
      await writeFile(join(work, 'changed-data', 'bellflower', 'drawn-bellflower-1.jpg'), smoke[0]!.image);
      const root = join(work, 'changed-deployments');
      const result = await deployer({ smoke: undefined, deployRoot: root }).deploy({ group: GROUP, version: 16, ...artifact });
      expect(result.deployed).toBe(false);
      expect(result.message).toMatch(/v16 not deployed, http:\/\/127\.0\.0\.1:\d+ unchanged: smoke photo bellflower\/drawn-bellflower-1\.jpg in .* is not the photo the model held out \(sha256 differs\)/);
      expect(result.timings.swapMs).toBeUndefined();
      expect(await served()).toMatchObject({ version: '14' });
      expect(existsSync(join(root, GROUP)) ? await readdir(join(root, GROUP)) : []).toEqual([]);
    });
  });
});
