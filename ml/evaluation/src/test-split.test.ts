import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintSamples, readImageFolder } from './image-folder.js';
import { createTestSplit, readSplitSamples, readTestSplit, testSplitJson } from './test-split.js';
import { makeImageFolder, THREE_COLOURS } from './testing/fixtures.js';

async function splitOfFolder() {
  const root = await makeImageFolder(THREE_COLOURS, 3);
  const data = await readImageFolder(root);
  const held = [data.samples[0]!, data.samples[4]!, data.samples[8]!];
  const split = createTestSplit(held, { classes: data.classes, subset: 'test', source: 'somewhere', datasetFingerprint: fingerprintSamples(data.samples) });
  const file = join(await mkdtemp(join(tmpdir(), 'petal-split-')), 'test-split.json');
  await writeFile(file, testSplitJson(split));
  return { root, data, held, split, file };
}

describe('test split', () => {
  it('lists the held-out photos with labels and digests, and reads exactly those back', async () => {
    const { root, held, split, file } = await splitOfFolder();
    expect(split.files.map((f) => [f.path, f.label])).toEqual([
      ['blue/blue-0.jpg', 'blue'],
      ['green/green-1.jpg', 'green'],
      ['red/red-2.jpg', 'red'],
    ]);
    expect(split.fingerprint).toBe(fingerprintSamples(held));
    const read = await readTestSplit(file);
    expect(read).toEqual(split);
    const samples = await readSplitSamples(root, read);
    expect(samples.map((s) => [s.id, s.classIndex])).toEqual([
      ['blue/blue-0.jpg', 0],
      ['green/green-1.jpg', 1],
      ['red/red-2.jpg', 2],
    ]);
    expect(fingerprintSamples(samples)).toBe(split.fingerprint);
  });

  it('refuses a missing or changed photo, naming it', async () => {
    const { root, split } = await splitOfFolder();
    const elsewhere = await makeImageFolder({ blue: [40, 70, 200], green: [40, 180, 60] }, 1);
    await expect(readSplitSamples(elsewhere, split)).rejects.toThrow(/green\/green-1.jpg, listed in the test split, is missing from .*pass --all/);
    await writeFile(join(root, 'red', 'red-2.jpg'), 'another photo');
    await expect(readSplitSamples(root, split)).rejects.toThrow(/red\/red-2.jpg in .* is not the photo the model held out/);
  });

  it('refuses files that are not a test split, or list a photo under the wrong class', async () => {
    const { split, file } = await splitOfFolder();
    await writeFile(file, JSON.stringify({ ...split, files: [{ ...split.files[0], sha256: 'abc' }] }));
    await expect(readTestSplit(file)).rejects.toThrow(/is not a Petal test split: files.0.sha256/);
    await writeFile(file, JSON.stringify({ ...split, files: [{ ...split.files[0], label: 'red' }] }));
    await expect(readTestSplit(file)).rejects.toThrow(/blue\/blue-0.jpg is labelled red/);
    await writeFile(file, '{');
    await expect(readTestSplit(file)).rejects.toThrow(/cannot read the test split/);
  });
});
