import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HeadWeights } from '../backbone/index.js';
import { openModelLocation, packModelArchive } from './archive.js';
import { packHeadWeights, unpackHeadWeights } from './head-weights.js';
import {
  ARCHIVE_FILE,
  FORMAT_VERSION,
  HEAD_WEIGHTS_FILE,
  MANIFEST_FILE,
  METRICS_FILE,
  ModelArtifactError,
  REPORT_FILE,
  parseManifest,
  type Manifest,
} from './manifest.js';

/** Everything in a manifest except what saving derives (format version, weights description). */
export type ManifestDraft = Omit<Manifest, 'formatVersion' | 'head'> & {
  head: { architecture: Manifest['head']['architecture'] };
};

export interface SavedArtifact {
  dir: string;
  manifest: Manifest;
  archive?: string;
}

/**
 * Writes a model directory (manifest, head weights, metrics, report) and, unless told not to (SageMaker
 * packs /opt/ml/model itself), its model.tar.gz. Files are written under temporary names and renamed, so
 * a reader never sees half a model.
 */
export async function saveArtifact(
  dir: string,
  draft: ManifestDraft,
  head: HeadWeights,
  extras: { metrics?: unknown; reportHtml?: string; archive?: boolean } = {},
): Promise<SavedArtifact> {
  await mkdir(dir, { recursive: true });
  const packed = packHeadWeights(head);
  const manifest = parseManifest({
    ...draft,
    formatVersion: FORMAT_VERSION,
    head: {
      architecture: draft.head.architecture,
      weights: { file: HEAD_WEIGHTS_FILE, dtype: 'float32', sha256: packed.sha256, tensors: packed.tensors },
    },
  });
  const files: Array<[string, string | Uint8Array]> = [
    [HEAD_WEIGHTS_FILE, packed.bytes],
    [MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`],
  ];
  if (extras.metrics !== undefined) files.push([METRICS_FILE, `${JSON.stringify(extras.metrics, null, 2)}\n`]);
  if (extras.reportHtml !== undefined) files.push([REPORT_FILE, extras.reportHtml]);
  for (const [name, content] of files) {
    const tmp = join(dir, `.${name}.${process.pid}.tmp`);
    await writeFile(tmp, content);
    await rename(tmp, join(dir, name));
  }
  const saved: SavedArtifact = { dir, manifest };
  if (extras.archive !== false) {
    saved.archive = await packModelArchive(dir, files.map(([name]) => name), join(dir, ARCHIVE_FILE));
  }
  return saved;
}

/** Reads and checks a model (directory or model.tar.gz): the manifest and the head's weights. */
export async function readArtifact(location: string): Promise<{ manifest: Manifest; head: HeadWeights }> {
  const { dir, cleanup } = await openModelLocation(location);
  try {
    let raw: string;
    try {
      raw = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    } catch {
      throw new ModelArtifactError(`${location} has no ${MANIFEST_FILE}: not a Petal model directory or archive`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new ModelArtifactError(`${location}/${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`);
    }
    const manifest = parseManifest(json, `${location}/${MANIFEST_FILE}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, manifest.head.weights.file));
    } catch {
      throw new ModelArtifactError(`${location} is missing the head weights file ${manifest.head.weights.file}`);
    }
    return { manifest, head: unpackHeadWeights(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), manifest) };
  } finally {
    await cleanup();
  }
}
