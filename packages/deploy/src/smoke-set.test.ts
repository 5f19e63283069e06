import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileDigest, type TestSplit } from '@petal/evaluation';
import { DATA_DIR } from '@petal/stack';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chooseSmokePhotos, readSmokePhotos, smokeDataRoot } from './smoke-set.js';

const file = (label: string, n: number) => ({ path: `${label}/${n}.jpg`, label, sha256: n.toString(16).padStart(64, '0') });
const split = (files: TestSplit['files'], source = 'data'): TestSplit => ({
  version: 1,
  subset: 'test',
  source,
  datasetFingerprint: 'sha256:x',
  fingerprint: 'sha256:y',
  classes: ['astilbe', 'bellflower'],
  files,
});

describe('chooseSmokePhotos', () => {
  const files = [file('astilbe', 5), file('astilbe', 1), file('astilbe', 3), file('bellflower', 9), file('bellflower', 2)];

  test('takes perClass photos of every class, the lowest sha256 first, whatever order the split lists them in', () => {
    const chosen = chooseSmokePhotos(split(files), { perClass: 2 });
    expect(chosen.map((p) => p.path)).toEqual(['astilbe/1.jpg', 'astilbe/3.jpg', 'bellflower/2.jpg', 'bellflower/9.jpg']);
    expect(chooseSmokePhotos(split([...files].reverse()), { perClass: 2 })).toEqual(chosen);
  });

  test('leaves out the photos the evaluation got wrong', () => {
    const chosen = chooseSmokePhotos(split(files), { perClass: 1, exclude: ['astilbe/1.jpg'] });
    expect(chosen.map((p) => p.path)).toEqual(['astilbe/3.jpg', 'bellflower/2.jpg']);
  });

  test('refuses an empty choice and a nonsense perClass', () => {
    expect(() => chooseSmokePhotos(split([file('astilbe', 1)]), { exclude: ['astilbe/1.jpg'] })).toThrow(/nothing to smoke-test with/);
    expect(() => chooseSmokePhotos(split(files), { perClass: 0 })).toThrow(/positive integer/);
  });
});

describe('readSmokePhotos and smokeDataRoot', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'petal-smoke-'));
    await mkdir(join(root, 'astilbe'));
    await writeFile(join(root, 'astilbe', 'a.jpg'), 'photo bytes');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  test('reads a photo whose sha256 matches, with its label', async () => {
    const sha256 = fileDigest(new TextEncoder().encode('photo bytes'));
    const [smoke] = await readSmokePhotos([{ path: 'astilbe/a.jpg', label: 'astilbe', sha256 }], root);
    expect(smoke).toMatchObject({ name: 'astilbe/a.jpg', label: 'astilbe' });
    expect(Buffer.from(smoke!.image).toString()).toBe('photo bytes');
  });

  test('refuses a changed or missing photo, naming it', async () => {
    await expect(readSmokePhotos([{ path: 'astilbe/a.jpg', label: 'astilbe', sha256: '0'.repeat(64) }], root)).rejects.toThrow(/astilbe\/a\.jpg in .* is not the photo the model held out \(sha256 differs\)/);
    await expect(readSmokePhotos([{ path: 'astilbe/b.jpg', label: 'astilbe', sha256: '0'.repeat(64) }], root)).rejects.toThrow(/astilbe\/b\.jpg is missing from/);
  });

  test('the data root: explicit, else the split’s source when it exists locally, else the local data set', () => {
    expect(smokeDataRoot(split([], root), '/explicit')).toBe('/explicit');
    expect(smokeDataRoot(split([], root))).toBe(root);
    expect(smokeDataRoot(split([], join(root, 'gone')))).toBe(DATA_DIR);
    expect(smokeDataRoot(split([], 's3://bucket/flowers'))).toBe(DATA_DIR);
  });
});
