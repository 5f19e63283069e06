/**
 * The cache entries of converted backbones: the ONNX graph @petal/model-convert made from a TF.js
 * backbone, plus a JSON sidecar describing it. The converter writes entries; the runtime only finds and
 * checks them, so serving needs neither TF.js nor the original weights.
 *
 * An entry's name hashes everything that could change the graph (converter version, weights fingerprint,
 * feature layers, input size), so entries are never updated in place, only added.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './cache.js';
import type { BackboneSpec, PreparedBackbone } from './spec.js';

/**
 * The version of the graphs @petal/model-convert generates. It lives here, with the reader, because the
 * runtime must know which entries to accept: bump it (in this one place) whenever the converter's output
 * changes for the same input, and every runtime then asks for a freshly prepared graph.
 */
export const CONVERTER_VERSION = '1';

/** What makes one converted graph different from another; hashed into the entry's file name. */
interface EntryKey {
  converterVersion: string;
  fingerprint: string;
  featureLayers: string[];
  inputSize: number;
}

/** The sidecar `<graph>.onnx.json`. */
export interface ConvertedBackboneMeta extends EntryKey {
  featureDim: number;
  /** Of the .onnx file: a reader trusts the graph only if its bytes hash to this. */
  sha256: string;
  bytes: number;
  /** Human-readable origin of the weights, e.g. `nsfwjs@4.4.0 mobilenet_v2`. */
  source: string;
}

export interface ConvertedBackboneEntry {
  onnxPath: string;
  metaPath: string;
  key: EntryKey;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'backbone';
}

/** Where the graph for `spec` converted from the weights `fingerprint` lives (or would live) in `cacheDir`. */
export function convertedBackboneEntry(spec: BackboneSpec, fingerprint: string, cacheDir: string): ConvertedBackboneEntry {
  // Property order matters: it is hashed, and existing caches were keyed this way.
  const key: EntryKey = {
    converterVersion: CONVERTER_VERSION,
    fingerprint,
    featureLayers: [...spec.featureLayers],
    inputSize: spec.inputSize,
  };
  const onnxPath = path.join(cacheDir, 'backbones', `${safeName(spec.id)}-${sha256(JSON.stringify(key)).slice(0, 16)}.onnx`);
  return { onnxPath, metaPath: `${onnxPath}.json`, key };
}

async function readMeta(file: string): Promise<ConvertedBackboneMeta | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ConvertedBackboneMeta;
  } catch {
    return undefined;
  }
}

/**
 * The entry if it is complete and intact: its sidecar describes this very key and the graph's bytes hash
 * to what the sidecar recorded. Anything else (absent, torn, from another key) is `undefined`, a miss.
 */
export async function readConvertedBackbone(entry: ConvertedBackboneEntry): Promise<PreparedBackbone | undefined> {
  const meta = await readMeta(entry.metaPath);
  if (
    !meta ||
    meta.converterVersion !== entry.key.converterVersion ||
    meta.fingerprint !== entry.key.fingerprint ||
    meta.inputSize !== entry.key.inputSize ||
    !Array.isArray(meta.featureLayers) ||
    meta.featureLayers.join('\n') !== entry.key.featureLayers.join('\n')
  ) {
    return undefined;
  }
  try {
    const bytes = await readFile(entry.onnxPath);
    if (bytes.length !== meta.bytes || sha256(bytes) !== meta.sha256) return undefined;
  } catch {
    return undefined;
  }
  return { onnxPath: entry.onnxPath, fingerprint: meta.fingerprint, featureDim: meta.featureDim, inputSize: meta.inputSize, generated: false };
}

/**
 * Publish a converted graph. The graph first, the sidecar last: a sidecar whose hash matches proves the
 * graph beside it is whole, and both are renamed into place, so concurrent writers are safe.
 */
export async function writeConvertedBackbone(
  entry: ConvertedBackboneEntry,
  onnx: Uint8Array,
  about: { featureDim: number; source: string },
): Promise<PreparedBackbone> {
  await writeFileAtomic(entry.onnxPath, onnx);
  const meta: ConvertedBackboneMeta = { ...entry.key, featureDim: about.featureDim, sha256: sha256(onnx), bytes: onnx.length, source: about.source };
  await writeFileAtomic(entry.metaPath, JSON.stringify(meta, null, 2) + '\n');
  return { onnxPath: entry.onnxPath, fingerprint: entry.key.fingerprint, featureDim: about.featureDim, inputSize: entry.key.inputSize, generated: true };
}
