import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
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
  type ManifestMetrics,
} from './manifest.js';

/** Everything in a manifest except what saving derives (format version, weights description). */
export type ManifestDraft = Omit<Manifest, 'formatVersion' | 'head'> & {
  head: { architecture: Manifest['head']['architecture'] };
};

export interface SavedArtifact {
  dir: string;
  manifest: Manifest;
  /** Names of the files written into `dir` (what model.tar.gz holds). */
  files: string[];
  archive?: string;
}

export interface ArtifactExtras {
  /** Written as metrics.json. */
  metrics?: unknown;
  /** Written as report.html. */
  reportHtml?: string;
  /** Further files that travel with the model (e.g. its held-out split, its training history), by name. */
  files?: Record<string, string | Uint8Array>;
  archive?: boolean;
}

/**
 * Writes a model directory (manifest, head weights and any extra files) and, unless told not to
 * (SageMaker packs /opt/ml/model itself), its model.tar.gz. Files are written under temporary names and
 * renamed, so a reader never sees half a model.
 */
export async function saveArtifact(
  dir: string,
  draft: ManifestDraft,
  head: HeadWeights,
  extras: ArtifactExtras = {},
): Promise<SavedArtifact> {
  if (Boolean(draft.outOfScope) !== Boolean(head.outOfScope)) {
    throw new ModelArtifactError('an out-of-scope calibration needs its weights in the head, and weights need a calibration');
  }
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
  for (const [name, content] of Object.entries(extras.files ?? {})) {
    if (files.some(([taken]) => taken === name)) throw new Error(`artifact file ${name} is given twice`);
    files.push([name, content]);
  }
  for (const [name, content] of files) await writeFileAtomically(dir, name, content);
  const saved: SavedArtifact = { dir, manifest, files: files.map(([name]) => name) };
  if (extras.archive !== false) {
    saved.archive = await packModelArchive(dir, files.map(([name]) => name), join(dir, ARCHIVE_FILE));
  }
  return saved;
}

/**
 * Records evaluation results in a model directory's manifest (`metrics`), leaving everything else as it
 * was; the head weights and their checksum are untouched, so the model serves exactly as before. The
 * caller repacks model.tar.gz if it keeps one.
 */
export async function attachMetrics(dir: string, metrics: ManifestMetrics): Promise<Manifest> {
  const { manifest } = await readArtifact(dir);
  const updated = parseManifest({ ...manifest, metrics }, join(dir, MANIFEST_FILE));
  await writeFileAtomically(dir, MANIFEST_FILE, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
}

async function writeFileAtomically(dir: string, name: string, content: string | Uint8Array): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, join(dir, name));
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
    // The manifest names the weights file; it must not point outside the model (`../../etc/…`, an absolute path).
    const inside = relative(dir, resolve(dir, manifest.head.weights.file));
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new ModelArtifactError(`${location}: the head weights file ${manifest.head.weights.file} is outside the model directory`);
    }
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
