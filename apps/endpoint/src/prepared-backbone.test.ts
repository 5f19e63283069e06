/**
 * `npm run model:prepare` exists so that serving converts nothing: the endpoint image prepares the
 * backbone while it is built and carries no converter at all. These tests run the real command and the
 * real endpoint process on an empty cache (PETAL_CACHE_DIR in a temp dir) and watch the cache: after
 * prepare the endpoint must start even with @petal/model-convert unreachable and leave the cache
 * untouched; without prepare it converts at start-up (converter installed) or refuses with the command
 * to run (converter absent, as in the image).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@petal/stack';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyJson } from './testing/json.js';
import { listeningUrl, spawnEndpoint, waitForPing } from './testing/spawn.js';
import { MODEL_DIR, SKIP_MODEL_REASON, hasModel } from './testing/start.js';

const run = promisify(execFile);

/** Every file under the cache with what a rewrite would change: size, modification time, inode. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const entries = await Promise.all(
    files.map(async (e) => {
      const file = join(e.parentPath, e.name);
      const s = await stat(file);
      return [file.slice(dir.length + 1), `${s.size} bytes, mtime ${s.mtimeMs}, inode ${s.ino}`] as const;
    }),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * A module-resolution hook that makes @petal/model-convert impossible to import, the way it is absent
 * from the endpoint image: whatever starts with it can then neither convert nor use TF.js.
 */
const BLOCK_CONVERTER_HOOK = `
import { register } from 'node:module';
const hooks = \`export async function resolve(specifier, context, next) {
  if (specifier === '@petal/model-convert' || specifier.startsWith('@petal/model-convert/')) {
    throw Object.assign(new Error("Cannot find package '@petal/model-convert' imported from " + context.parentURL), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return next(specifier, context);
}\`;
register('data:text/javascript,' + encodeURIComponent(hooks));
`;

if (!hasModel) console.warn(`skipping prepared-backbone tests: ${SKIP_MODEL_REASON}`);

describe.skipIf(!hasModel)('endpoint start-up and npm run model:prepare (empty cache, real processes)', () => {
  let work: string;
  let blockHook: string;
  let jpeg: Buffer;
  let manifest: { backbone: { fingerprint: string; featureLayers: string[]; featureDim: number } };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'petal-prepared-'));
    blockHook = join(work, 'block-model-convert.mjs');
    await writeFile(blockHook, BLOCK_CONVERTER_HOOK);
    jpeg = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 190, g: 70, b: 140 } } }).jpeg().toBuffer();
    manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** A fresh, empty cache directory. */
  const emptyCache = (name: string) => mkdtemp(join(work, `${name}-`));

  /** Starts the endpoint on the shipped model; resolves once /ping is 200, with the wait from spawn. */
  async function startEndpoint(cacheDir: string, opts: { blockConverter: boolean }) {
    const nodeOptions = [process.env.NODE_OPTIONS, opts.blockConverter ? `--import=${blockHook}` : undefined].filter(Boolean).join(' ');
    const started = performance.now();
    const p = spawnEndpoint({ MODEL_DIR, PETAL_CACHE_DIR: cacheDir, NODE_OPTIONS: nodeOptions });
    try {
      const url = await listeningUrl(p);
      await waitForPing(url);
      return { p, url, startMs: performance.now() - started };
    } catch (err) {
      await p.stop();
      throw err;
    }
  }

  async function expectClassifies(url: string): Promise<void> {
    const res = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: jpeg });
    expect(res.status).toBe(200);
    const body = await res.json().then(anyJson);
    expect(body.predictions[0]).toHaveLength(body.labels.length);
  }

  it('after model:prepare the endpoint starts without converting: nothing written to the cache, converter unreachable', async () => {
    const cacheDir = await emptyCache('prepared');
    const prepareStarted = performance.now();
    const { stdout } = await run('npm', ['run', '--silent', 'model:prepare'], { cwd: REPO_ROOT, env: { ...process.env, PETAL_CACHE_DIR: cacheDir }, timeout: 120_000 });
    const prepareMs = performance.now() - prepareStarted;
    const prepared = JSON.parse(stdout);
    expect(prepared).toMatchObject({
      model: expect.stringMatching(/^flower-classifier@/),
      cacheDir,
      fingerprint: manifest.backbone.fingerprint,
      featureLayers: manifest.backbone.featureLayers,
      featureDim: manifest.backbone.featureDim,
      generated: true,
    });
    const afterPrepare = await snapshot(cacheDir);
    expect(Object.keys(afterPrepare)).toContain(prepared.onnxPath.slice(cacheDir.length + 1));

    const { p, url, startMs } = await startEndpoint(cacheDir, { blockConverter: true });
    try {
      await expectClassifies(url);
      expect(await snapshot(cacheDir)).toEqual(afterPrepare);
    } finally {
      await p.stop();
    }
    console.info(`empty cache: npm run model:prepare ${Math.round(prepareMs)} ms (conversion ${prepared.prepareMs} ms); endpoint spawn → /ping 200 after it: ${Math.round(startMs)} ms`);
  }, 240_000);

  it('without model:prepare the endpoint converts at start-up (where @petal/model-convert is installed)', async () => {
    const cacheDir = await emptyCache('unprepared');
    const { p, url, startMs } = await startEndpoint(cacheDir, { blockConverter: false });
    try {
      await expectClassifies(url);
    } finally {
      await p.stop();
    }
    const written = Object.keys(await snapshot(cacheDir));
    const graphs = written.filter((f) => f.endsWith('.onnx'));
    expect(graphs).toHaveLength(1);
    const sidecar = JSON.parse(await readFile(join(cacheDir, `${graphs[0]}.json`), 'utf8'));
    expect(sidecar).toMatchObject({ fingerprint: manifest.backbone.fingerprint, featureLayers: manifest.backbone.featureLayers, featureDim: manifest.backbone.featureDim });
    console.info(`empty cache, no prepare: endpoint spawn → /ping 200 (converting): ${Math.round(startMs)} ms`);
  }, 240_000);

  it('without model:prepare and without the converter (as in the endpoint image) it exits 1 saying what to run', async () => {
    const cacheDir = await emptyCache('no-converter');
    const p = spawnEndpoint({ MODEL_DIR, PETAL_CACHE_DIR: cacheDir, NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${blockHook}`].filter(Boolean).join(' ') });
    try {
      expect((await p.exited).code).toBe(1);
    } finally {
      await p.stop();
    }
    expect(p.output()).toContain(`with weights ${manifest.backbone.fingerprint} is not prepared in ${cacheDir}`);
    expect(p.output()).toContain('npm run model:prepare -- --model <model dir or model.tar.gz>');
    expect(await snapshot(cacheDir)).toEqual({});
  }, 120_000);
});
