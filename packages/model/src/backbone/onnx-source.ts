/**
 * User-supplied ONNX backbones (`source: { kind: 'onnx' }`): used as they are, from a local path or
 * downloaded once from an http(s) URL into the cache. No conversion is involved, so this is runtime work.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir, writeFileAtomic } from './cache.js';
import { createOrtSession, runToArray } from './onnx-extractor.js';
import { BackboneError, FEATURES_OUTPUT, resolveSource, type BackboneSpec, type PreparedBackbone, type PrepareOptions } from './spec.js';

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'model.onnx';
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

/** The ONNX file of an `onnx`-source spec, checked to load and to have a `features` output. */
export async function prepareOnnxBackbone(spec: BackboneSpec, opts: PrepareOptions = {}): Promise<PreparedBackbone> {
  const source = resolveSource(spec);
  if (source.kind !== 'onnx') throw new BackboneError(`backbone ${spec.id} is a ${source.kind} model, not an ONNX file`);
  const location = source.path;
  const isUrl = /^https?:\/\//i.test(location);
  const { file, generated } = isUrl ? await download(location, resolveCacheDir(opts.cacheDir), opts) : { file: path.resolve(location), generated: false };
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
