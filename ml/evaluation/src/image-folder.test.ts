import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { fingerprintSamples, readImageFolder } from './image-folder.js';
import { makeImageFolder, THREE_COLOURS } from './testing/fixtures.js';

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
