/**
 * Turn a BackboneSpec into an ONNX file in the cache: a TF.js backbone is converted from its installed
 * weights (once; the entry is keyed by converter version, weights fingerprint, feature layers and input
 * size, see @petal/model's converted-cache.ts), an ONNX backbone is taken as it is (URLs downloaded once).
 */
import {
  BackboneError,
  DEFAULT_BACKBONE,
  convertedBackboneEntry,
  prepareOnnxBackbone,
  readConvertedBackbone,
  resolveCacheDir,
  resolveSource,
  writeConvertedBackbone,
  type BackboneSpec,
  type PreparedBackbone,
  type PrepareOptions,
} from '@petal/model';
import { convertLayersModel } from './converter.js';
import { loadLayersArtifacts } from './layers-model.js';

const inFlight = new Map<string, Promise<PreparedBackbone>>();

export function prepareBackbone(spec: BackboneSpec = DEFAULT_BACKBONE, opts: PrepareOptions = {}): Promise<PreparedBackbone> {
  const cacheDir = resolveCacheDir(opts.cacheDir);
  // Concurrent callers in one process share the work; across processes the atomic rename keeps it safe.
  const dedupeKey = JSON.stringify([cacheDir, spec, opts.force === true]);
  let pending = inFlight.get(dedupeKey);
  if (!pending) {
    pending = (resolveSource(spec).kind === 'onnx' ? prepareOnnxBackbone(spec, { ...opts, cacheDir }) : prepareConverted(spec, cacheDir, opts)).finally(
      () => inFlight.delete(dedupeKey),
    );
    inFlight.set(dedupeKey, pending);
  }
  return pending;
}

async function prepareConverted(spec: BackboneSpec, cacheDir: string, opts: PrepareOptions): Promise<PreparedBackbone> {
  const source = resolveSource(spec);
  if (source.kind === 'onnx') throw new Error('unreachable');
  if (spec.featureLayers.length === 0) throw new BackboneError('featureLayers must name at least one layer');
  const artifacts = await loadLayersArtifacts(source);
  const entry = convertedBackboneEntry(spec, artifacts.fingerprint, cacheDir);
  if (!opts.force) {
    const cached = await readConvertedBackbone(entry);
    if (cached) return cached;
  }
  const converted = convertLayersModel(artifacts, {
    featureLayers: spec.featureLayers,
    inputSize: spec.inputSize,
    metadata: { backbone_id: spec.id, fingerprint: artifacts.fingerprint },
  });
  return writeConvertedBackbone(entry, converted.onnx, { featureDim: converted.featureDim, source: artifacts.label });
}
