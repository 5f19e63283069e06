import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARCHIVE_FILE, HEAD_WEIGHTS_FILE, MANIFEST_FILE, type Manifest } from '@petal/model';

/** A plain copy of a model directory (without its archive), for tests that change one file of it. */
export async function copyModel(from: string, to: string): Promise<string> {
  await cp(from, to, { recursive: true });
  await rm(join(to, ARCHIVE_FILE), { force: true });
  return to;
}

/**
 * A copy whose labels are rotated by one (astilbe → bellflower → black-eyed Susan → astilbe): it loads
 * and answers with full confidence, but every answer names the wrong flower, which only a smoke test
 * with known labels can catch.
 */
export async function mislabelledModel(from: string, to: string): Promise<string> {
  await copyModel(from, to);
  const path = join(to, MANIFEST_FILE);
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  const rotated = manifest.labels.map((label, i) => {
    const next = manifest.labels[(i + 1) % manifest.labels.length]!;
    return { ...label, key: next.key, ...(next.no === undefined ? {} : { no: next.no }) };
  });
  await writeFile(path, JSON.stringify({ ...manifest, labels: rotated }, null, 2));
  return to;
}

/** A copy whose head weights are cut short: its checksum no longer matches, so the endpoint refuses to load it. */
export async function brokenModel(from: string, to: string): Promise<string> {
  await copyModel(from, to);
  const head = await readFile(join(to, HEAD_WEIGHTS_FILE));
  await writeFile(join(to, HEAD_WEIGHTS_FILE), head.subarray(0, head.length >> 1));
  return to;
}
