import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintSamples, readImageFolder, stratifiedSplit } from './dataset.js';
import { UsageError, parseHyperparameters } from './hyperparameters.js';
import { createRng } from './rng.js';
import { makeImageFolder, THREE_COLOURS } from './test/fixtures.js';

describe('readImageFolder', () => {
  it('reads classes from sorted sub-folder names and ignores non-image files', async () => {
    const root = await makeImageFolder(THREE_COLOURS, 2);
    await writeFile(join(root, 'red', 'notes.txt'), 'not an image');
    const data = await readImageFolder(root);
    expect(data.classes).toEqual(['blue', 'green', 'red']);
    expect(data.samples).toHaveLength(6);
    expect(data.samples.map((s) => s.classIndex)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('refuses fewer than two classes, an empty class folder and a missing directory', async () => {
    const one = await makeImageFolder({ only: [1, 2, 3] }, 2);
    await expect(readImageFolder(one)).rejects.toThrow(/1 class folder\(s\) \(only\); training needs at least 2/);
    const root = await makeImageFolder(THREE_COLOURS, 1);
    await mkdir(join(root, 'empty'));
    await expect(readImageFolder(root)).rejects.toThrow(/class folder .*empty has no images/);
    await expect(readImageFolder(join(tmpdir(), 'petal-does-not-exist'))).rejects.toBeInstanceOf(UsageError);
    const none = await mkdtemp(join(tmpdir(), 'petal-none-'));
    await expect(readImageFolder(none)).rejects.toThrow(/0 class folder/);
  });

  it('fingerprints content, not just names', async () => {
    const root = await makeImageFolder(THREE_COLOURS, 1);
    const a = fingerprintSamples((await readImageFolder(root)).samples);
    expect(fingerprintSamples((await readImageFolder(root)).samples)).toBe(a);
    await writeFile(join(root, 'red', 'red-0.jpg'), 'changed');
    expect(fingerprintSamples((await readImageFolder(root)).samples)).not.toBe(a);
  });
});

describe('stratifiedSplit', () => {
  const items = [
    ...Array.from({ length: 100 }, (_, i) => ({ id: i, classIndex: 0 })),
    ...Array.from({ length: 20 }, (_, i) => ({ id: 100 + i, classIndex: 1 })),
  ];

  it('gives every class the same share in each part, deterministically', () => {
    const split = stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(1));
    const count = (part: typeof items, c: number) => part.filter((x) => x.classIndex === c).length;
    expect([count(split.test, 0), count(split.test, 1)]).toEqual([15, 3]);
    expect([count(split.validation, 0), count(split.validation, 1)]).toEqual([20, 4]);
    expect(split.train.length + split.validation.length + split.test.length).toBe(120);
    const ids = new Set([...split.train, ...split.validation, ...split.test].map((x) => x.id));
    expect(ids.size).toBe(120);
    expect(stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(1))).toEqual(split);
    expect(stratifiedSplit(items, 2, { validation: 0.2, test: 0.15 }, createRng(2)).test).not.toEqual(split.test);
  });

  it('refuses a class too small to split', () => {
    expect(() => stratifiedSplit([{ classIndex: 0 }, { classIndex: 1 }], 2, { validation: 0.5, test: 0.5 }, createRng(1))).toThrow(
      /too few to split/,
    );
  });
});

describe('hyperparameters', () => {
  it('accepts SageMaker-style strings and underscores, with defaults', () => {
    const hp = parseHyperparameters({ epochs: '5', batch_size: '32', 'learning-rate': '0.0001', dropout: '0.2' });
    expect(hp).toMatchObject({ epochs: 5, 'batch-size': 32, 'learning-rate': 1e-4, dropout: 0.2, 'validation-split': 0.2 });
  });

  it('refuses unknown names and bad values with a message that names them', () => {
    expect(() => parseHyperparameters({ epoch: '5' })).toThrow(/unknown hyperparameter\(s\): epoch/);
    expect(() => parseHyperparameters({ epochs: 'many' })).toThrow(/epochs/);
    expect(() => parseHyperparameters({ dropout: '1.5' })).toThrow(/dropout/);
  });
});
