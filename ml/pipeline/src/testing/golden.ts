import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/**
 * Compares a document with its committed golden file (`src/testing/golden/<name>.json`).
 * `UPDATE_GOLDEN=1 npx vitest run ml/pipeline` rewrites the files instead; review the diff before committing.
 */
export async function expectGolden(name: string, actual: unknown): Promise<void> {
  const file = join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    await writeFile(file, text);
    return;
  }
  expect(existsSync(file), `golden file ${file} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
  expect(JSON.parse(text)).toEqual(JSON.parse(await readFile(file, 'utf8')));
}
