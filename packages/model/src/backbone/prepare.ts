/**
 * Turn a BackboneSpec into an ONNX file on disk: converted from the TF.js layers model on first use and
 * cached under a key that changes whenever the result could (weights, feature layers, input size,
 * converter version); ONNX sources are taken as they are (URLs downloaded once).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir, writeFileAtomic } from './cache.js';
import { CONVERTER_VERSION, FEATURES_OUTPUT, convertLayersModel } from './converter.js';
import { loadLayersArtifacts } from './layers-model.js';
import { createOrtSession, runToArray } from './onnx-extractor.js';
import { BackboneError, DEFAULT_BACKBONE, resolveSource, type BackboneSpec } from './spec.js';

export interface PreparedBackbone {
  onnxPath: string;
  fingerprint: string;
  featureDim: number;
  inputSize: number;
  /** True when this call generated (or downloaded) the file. */
  generated: boolean;
}

export interface PrepareOptions {
  cacheDir?: string;
  /** Regenerate even when a valid cached file exists. */
  force?: boolean;
  /** Download timeout for URL sources (default 120 s). */
  downloadTimeoutMs?: number;
}

interface CacheMeta {
  converterVersion: string;
  fingerprint: string;
  featureLayers: string[];
  inputSize: number;
  featureDim: number;
  sha256: string;
  bytes: number;
  source: string;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
const inFlight = new Map<string, Promise<PreparedBackbone>>();

export function prepareBackbone(spec: BackboneSpec = DEFAULT_BACKBONE, opts: PrepareOptions = {}): Promise<PreparedBackbone> {
  const source = resolveSource(spec);
  const cacheDir = resolveCacheDir(opts.cacheDir);
  // Concurrent callers in one process share the work; across processes the atomic rename keeps it safe.
  const dedupeKey = JSON.stringify([cacheDir, spec, opts.force === true]);
  let pending = inFlight.get(dedupeKey);
  if (!pending) {
    pending = (source.kind === 'onnx' ? prepareOnnxSource(spec, source.path, cacheDir, opts) : prepareConverted(spec, cacheDir, opts)).finally(
      () => inFlight.delete(dedupeKey),
    );
    inFlight.set(dedupeKey, pending);
  }
  return pending;
}

async function readMeta(file: string): Promise<CacheMeta | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}

/** A cached file is trusted only if its bytes hash to what the sidecar recorded. */
async function cachedIsValid(onnxPath: string, meta: CacheMeta | undefined, expected: Omit<CacheMeta, 'sha256' | 'bytes' | 'featureDim' | 'source'>): Promise<boolean> {
  if (!meta) return false;
  if (
    meta.converterVersion !== expected.converterVersion ||
    meta.fingerprint !== expected.fingerprint ||
    meta.inputSize !== expected.inputSize ||
    meta.featureLayers.join('\n') !== expected.featureLayers.join('\n')
  ) {
    return false;
  }
  try {
    const bytes = await readFile(onnxPath);
    return bytes.length === meta.bytes && sha256(bytes) === meta.sha256;
  } catch {
    return false;
  }
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'backbone';
}

async function prepareConverted(spec: BackboneSpec, cacheDir: string, opts: PrepareOptions): Promise<PreparedBackbone> {
  const source = resolveSource(spec);
  if (source.kind === 'onnx') throw new Error('unreachable');
  if (spec.featureLayers.length === 0) throw new BackboneError('featureLayers must name at least one layer');
  const artifacts = await loadLayersArtifacts(source);
  const expected = {
    converterVersion: CONVERTER_VERSION,
    fingerprint: artifacts.fingerprint,
    featureLayers: [...spec.featureLayers],
    inputSize: spec.inputSize,
  };
  const key = sha256(JSON.stringify(expected)).slice(0, 16);
  const onnxPath = path.join(cacheDir, 'backbones', `${safeName(spec.id)}-${key}.onnx`);
  const metaPath = `${onnxPath}.json`;
  const meta = await readMeta(metaPath);
  if (meta && !opts.force && (await cachedIsValid(onnxPath, meta, expected))) {
    return { onnxPath, fingerprint: meta.fingerprint, featureDim: meta.featureDim, inputSize: meta.inputSize, generated: false };
  }
  const converted = convertLayersModel(artifacts, {
    featureLayers: spec.featureLayers,
    inputSize: spec.inputSize,
    metadata: { backbone_id: spec.id, fingerprint: artifacts.fingerprint },
  });
  // The graph first, the sidecar last: a sidecar whose hash matches proves the graph beside it is whole.
  await writeFileAtomic(onnxPath, converted.onnx);
  const newMeta: CacheMeta = {
    ...expected,
    featureDim: converted.featureDim,
    sha256: sha256(converted.onnx),
    bytes: converted.onnx.length,
    source: artifacts.label,
  };
  await writeFileAtomic(metaPath, JSON.stringify(newMeta, null, 2) + '\n');
  return { onnxPath, fingerprint: artifacts.fingerprint, featureDim: converted.featureDim, inputSize: spec.inputSize, generated: true };
}

async function download(url: string, cacheDir: string, opts: PrepareOptions): Promise<{ file: string; generated: boolean }> {
  const name = path.basename(new URL(url).pathname) || 'model.onnx';
  const file = path.join(cacheDir, 'downloads', `${sha256(url).slice(0, 16)}-${safeName(name)}`);
  if (!opts.force) {
    try {
      if ((await stat(file)).size > 0) return { file, generated: false };
    } catch {
      // not downloaded yet
    }
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(opts.downloadTimeoutMs ?? 120_000) });
  } catch (err) {
    throw new BackboneError(`cannot download backbone ${url}: ${(err as Error).message}`);
  }
  if (!response.ok) throw new BackboneError(`cannot download backbone ${url}: HTTP ${response.status}`);
  await writeFileAtomic(file, new Uint8Array(await response.arrayBuffer()));
  return { file, generated: true };
}

async function prepareOnnxSource(spec: BackboneSpec, location: string, cacheDir: string, opts: PrepareOptions): Promise<PreparedBackbone> {
  const isUrl = /^https?:\/\//i.test(location);
  const { file, generated } = isUrl ? await download(location, cacheDir, opts) : { file: path.resolve(location), generated: false };
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new BackboneError(`cannot read ONNX backbone ${file}: ${(err as Error).message}`);
  }
  const fingerprint = `${path.basename(location)}:${sha256(bytes).slice(0, 16)}`;
  const session = await createOrtSession(bytes);
  try {
    if (!session.outputNames.includes(FEATURES_OUTPUT)) {
      throw new BackboneError(`ONNX backbone ${location} has no output named "${FEATURES_OUTPUT}" (outputs: ${session.outputNames.join(', ')})`);
    }
    const size = spec.inputSize;
    const probe = await runToArray(session, session.inputNames[0]!, FEATURES_OUTPUT, new Float32Array(size * size * 3), [1, size, size, 3]);
    return { onnxPath: file, fingerprint, featureDim: probe.length, inputSize: size, generated };
  } finally {
    await session.release();
  }
}
