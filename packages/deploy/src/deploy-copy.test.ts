import { readdir, readFile, mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HEAD_WEIGHTS_FILE, MANIFEST_FILE, packModelArchive, readArtifact } from '@petal/model';
import { MODEL_DIR, hasModelAt } from '@petal/stack';
import { startS3Loopback, type S3Loopback } from '@petal/store/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storeDownloader } from './artifact-download.js';
import { prepareDeployCopy, pruneDeployCopies } from './deploy-copy.js';
import { copyModel } from './testing/model-copies.js';

describe.skipIf(!hasModelAt(MODEL_DIR))('prepareDeployCopy', () => {
  let work: string;
  let archive: string;
  let s3: S3Loopback;
  const root = () => join(work, 'deployments');
  const pkg = (artifactUri: string, version = 4) => ({ group: 'flower-classifier', version, artifactUri });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'petal-deploy-copy-'));
    const model = await copyModel(MODEL_DIR, join(work, 'model'));
    const files = (await readdir(model)).sort();
    archive = await packModelArchive(model, files, join(work, 'model.tar.gz'));
    s3 = await startS3Loopback({ bucket: 'petal-artifacts' });
    s3.objects.set('flower-classifier/4/model.tar.gz', { body: await readFile(archive), etag: '"a"', lastModified: new Date() });
    for (const name of files) s3.objects.set(`flower-classifier/4/model/${name}`, { body: await readFile(join(model, name)), etag: '"b"', lastModified: new Date() });
  });

  afterAll(async () => {
    await s3?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const expectRegisteredCopy = async (dir: string, version: number) => {
    const { manifest, head } = await readArtifact(dir);
    expect(manifest).toMatchObject({ name: 'flower-classifier', version: String(version) });
    expect(head).toBeDefined();
    // The weights are the trained ones, byte for byte; only the manifest's identity changed.
    expect(await readFile(join(dir, HEAD_WEIGHTS_FILE))).toEqual(await readFile(join(MODEL_DIR, HEAD_WEIGHTS_FILE)));
    const shipped = JSON.parse(await readFile(join(MODEL_DIR, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
    expect({ ...manifest, name: shipped.name, version: shipped.version }).toEqual(shipped);
    expect((await readdir(dir)).sort()).not.toContain('model.tar.gz');
    expect(await readdir(dir)).toContain('test-split.json');
  };

  test('a file:// model folder: copied under <root>/<group>/v<version>-<stamp>, manifest name = group, version = registry number', async () => {
    const copy = await prepareDeployCopy(pkg(pathToFileURL(MODEL_DIR).href), root());
    expect(copy.dir).toMatch(/deployments\/flower-classifier\/v4-[0-9a-z]+$/);
    await expectRegisteredCopy(copy.dir, 4);
  });

  test('a model.tar.gz by plain path, unpacked into the folder', async () => {
    await expectRegisteredCopy((await prepareDeployCopy(pkg(archive, 5), root())).dir, 5);
  });

  test('s3:// model.tar.gz and s3:// model folder, fetched through @petal/store (its loopback S3 stand-in), download removed afterwards', async () => {
    const download = storeDownloader({ s3Client: s3.client() });
    await expectRegisteredCopy((await prepareDeployCopy(pkg('s3://petal-artifacts/flower-classifier/4/model.tar.gz', 6), root(), download)).dir, 6);
    await expectRegisteredCopy((await prepareDeployCopy(pkg('s3://petal-artifacts/flower-classifier/4/model', 7), root(), download)).dir, 7);
    expect((await readdir(join(root(), 'flower-classifier'))).filter((d) => !/^v\d+-[0-9a-z]+$/.test(d))).toEqual([]);
  });

  test('refusals say what is wrong and leave nothing half-made behind', async () => {
    const empty = join(work, 'refusals');
    await expect(prepareDeployCopy(pkg('s3://petal-artifacts/x/model.tar.gz'), empty)).rejects.toThrow('cannot fetch s3://petal-artifacts/x/model.tar.gz: this deployer was given no s3:// downloader');
    await expect(prepareDeployCopy(pkg('s3://petal-artifacts/missing/model.tar.gz'), empty, storeDownloader({ s3Client: s3.client() }))).rejects.toThrow(/cannot fetch s3:\/\/petal-artifacts\/missing\/model\.tar\.gz: /);
    await expect(prepareDeployCopy(pkg('https://example.com/model.tar.gz'), empty)).rejects.toThrow('only file:// and s3:// URIs are supported');
    await expect(prepareDeployCopy(pkg(pathToFileURL(join(work, 'nowhere')).href), empty)).rejects.toThrow(/cannot be opened: model location .* does not exist/);
    const noManifest = join(work, 'no-manifest');
    await mkdir(noManifest);
    await writeFile(join(noManifest, HEAD_WEIGHTS_FILE), 'x');
    await expect(prepareDeployCopy(pkg(noManifest), empty)).rejects.toThrow(/has no readable manifest\.json/);
    await expect(prepareDeployCopy({ ...pkg(MODEL_DIR), group: '../escape' }, empty)).rejects.toThrow('is not a plain name');
    expect(await readdir(join(empty, 'flower-classifier'))).toEqual([]);
  });
});

describe('pruneDeployCopies', () => {
  test('removes old copies of the group except the kept ones and young ones; never a partial or foreign folder', async () => {
    const root = await mkdtemp(join(tmpdir(), 'petal-prune-'));
    const group = join(root, 'flower-classifier');
    const names = ['v1-aaa', 'v2-bbb', 'v3-ccc', 'v4-ddd', 'v5-eee.partial', 'notes'];
    for (const name of names) await mkdir(join(group, name), { recursive: true });
    const old = new Date(Date.now() - 3600_000);
    for (const name of ['v1-aaa', 'v2-bbb', 'v3-ccc', 'v5-eee.partial', 'notes']) await utimes(join(group, name), old, old);

    const removed = await pruneDeployCopies(root, 'flower-classifier', [join(group, 'v3-ccc')]);
    expect(removed.map((d) => d.slice(group.length + 1)).sort()).toEqual(['v1-aaa', 'v2-bbb']);
    expect((await readdir(group)).sort()).toEqual(['notes', 'v3-ccc', 'v4-ddd', 'v5-eee.partial']);
    await rm(root, { recursive: true, force: true });
  });
});
