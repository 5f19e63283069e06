import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StoreDataError } from './json.js';
import { normalizeStoreRoot, openStore, storeRootFromEnv } from './open-store.js';
import { StoreNotFoundError, type ArtifactStore } from './store.js';
import { startS3Loopback, type S3Loopback } from './testing/s3-loopback.js';

const docSchema = z.object({ name: z.string(), n: z.number() });

/**
 * The same behaviour on both backends: the file:// store on a temp folder, and the s3:// store against a
 * loopback stand-in for S3 (src/testing/s3-loopback.ts), driven by the real @aws-sdk/client-s3.
 */
function storeContract(label: string, open: () => Promise<{ store: ArtifactStore; uriPrefix: string }>) {
  describe(`${label} store`, () => {
    let store: ArtifactStore;
    let uriPrefix: string;
    let scratch: string;
    beforeAll(async () => {
      ({ store, uriPrefix } = await open());
      scratch = await mkdtemp(join(tmpdir(), 'petal-store-scratch-'));
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));

    it('puts and gets bytes, and names each object by URI', async () => {
      const uri = await store.putBytes('a/b/hello.txt', 'hello');
      expect(uri).toBe(`${uriPrefix}/a/b/hello.txt`);
      expect(store.uri('a/b/hello.txt')).toBe(uri);
      expect((await store.getBytes('a/b/hello.txt')).toString()).toBe('hello');
      await store.putBytes('a/b/hello.txt', new Uint8Array([104, 105]));
      expect((await store.getBytes('a/b/hello.txt')).toString()).toBe('hi');
    });

    it('reads back JSON through a schema: undefined when absent, a clear error when the shape is wrong', async () => {
      await store.writeJson('docs/one.json', { name: 'one', n: 1 });
      expect(await store.readJson('docs/one.json', docSchema)).toEqual({ name: 'one', n: 1 });
      expect(await store.readJson('docs/none.json', docSchema)).toBeUndefined();
      await store.writeJson('docs/bad.json', { name: 'bad' });
      await expect(store.readJson('docs/bad.json', docSchema)).rejects.toThrow(StoreDataError);
      await expect(store.readJson('docs/bad.json', docSchema)).rejects.toThrow(/docs\/bad\.json does not hold what was expected: n:/);
    });

    it('copies files and folders in and out', async () => {
      const src = join(scratch, 'model');
      await mkdir(join(src, 'sub'), { recursive: true });
      await writeFile(join(src, 'manifest.json'), '{"m":1}');
      await writeFile(join(src, 'sub', 'head.bin'), Buffer.from([1, 2, 3]));
      expect(await store.putDir('runs/r1/model', src)).toBe(`${uriPrefix}/runs/r1/model`);
      expect(await store.list('runs/r1/')).toEqual(['runs/r1/model/manifest.json', 'runs/r1/model/sub/head.bin']);
      const out = join(scratch, 'out');
      await store.getDir('runs/r1/model', out);
      expect(await readFile(join(out, 'sub', 'head.bin'))).toEqual(Buffer.from([1, 2, 3]));
      await store.putFile('runs/r1/model.tar.gz', join(src, 'manifest.json'));
      expect(await store.getFile('runs/r1/model.tar.gz', join(scratch, 'x', 'copy.json'))).toBe(join(scratch, 'x', 'copy.json'));
      expect(await readFile(join(scratch, 'x', 'copy.json'), 'utf8')).toBe('{"m":1}');
    });

    it('tells what exists, lists by string prefix (sorted, without locks) and deletes', async () => {
      await store.putBytes('list/b', 'b');
      await store.putBytes('list/a', 'a');
      await store.putBytes('list/ab/c', 'c');
      await store.withLock('list-test', async () => {
        expect(await store.list('list/')).toEqual(['list/a', 'list/ab/c', 'list/b']);
        expect(await store.list('list/a')).toEqual(['list/a', 'list/ab/c']);
      });
      expect(await store.list('nothing/')).toEqual([]);
      expect(await store.exists('list/a')).toBe(true);
      expect(await store.exists('list/ab')).toBe(false); // a "folder" is not an object
      await store.delete('list/a');
      await store.delete('list/a'); // deleting what is gone is fine
      expect(await store.exists('list/a')).toBe(false);
      await expect(store.getBytes('list/a')).rejects.toThrow(StoreNotFoundError);
      await expect(store.getBytes('list/a')).rejects.toThrow(`no object at ${uriPrefix}/list/a`);
    });

    it('refuses keys that would leave the root', async () => {
      await expect(store.putBytes('../escape', 'x')).rejects.toThrow(/store key/);
    });
  });
}

storeContract('file://', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'petal-store-'));
  return { store: openStore(pathToFileURL(dir).href), uriPrefix: pathToFileURL(dir).href };
});

let s3: S3Loopback;
beforeAll(async () => {
  s3 = await startS3Loopback({ bucket: 'petal-artifacts' });
});
afterAll(() => s3.close());
storeContract('s3://', async () => ({
  store: openStore('s3://petal-artifacts/team/store/', { s3Client: s3.client() }),
  uriPrefix: 's3://petal-artifacts/team/store',
}));

describe('store root', () => {
  it('comes from PETAL_STORE as an s3:// URI, a file:// URI or a plain path, else the repository .petal/store', () => {
    expect(storeRootFromEnv({ PETAL_STORE: 's3://bucket/pre/' })).toBe('s3://bucket/pre');
    expect(storeRootFromEnv({ PETAL_STORE: 'file:///tmp/x' })).toBe('file:///tmp/x');
    expect(storeRootFromEnv({ PETAL_STORE: '/tmp/y' })).toBe('file:///tmp/y');
    expect(storeRootFromEnv({})).toMatch(/^file:\/\/\/.*\/\.petal\/store$/);
    expect(() => normalizeStoreRoot('gs://bucket')).toThrow(/only file:\/\/ and s3:\/\//);
  });
  it('uses the S3 backend for s3:// roots and talks to the bucket under the prefix', async () => {
    const store = openStore('s3://petal-artifacts/other', { s3Client: s3.client() });
    await store.putBytes('k', 'v');
    expect(s3.objects.get('other/k')?.body.toString()).toBe('v');
  });
});
