/**
 * The runtime's way to a backbone's ONNX file: a user-supplied ONNX file is used as is; a TF.js backbone
 * is looked up among the converted graphs in the cache by the weights fingerprint the caller needs (the
 * model manifest records it), and only on a miss handed to the converter, where one is installed.
 */
import { resolveCacheDir } from './cache.js';
import { loadConverter, CONVERTER_PACKAGE, type ConverterLoader } from './converter-plugin.js';
import { convertedBackboneEntry, readConvertedBackbone } from './converted-cache.js';
import { prepareOnnxBackbone } from './onnx-source.js';
import { BackboneNotPreparedError, resolveSource, type BackboneSpec, type PreparedBackbone, type PrepareOptions } from './spec.js';

export interface LocateOptions extends PrepareOptions {
  /** The weights the caller needs (a manifest's `backbone.fingerprint`); enables the converter-free lookup. */
  fingerprint?: string;
  /** Where the converter comes from on a cache miss (tests pass one that finds none). */
  converter?: ConverterLoader;
}

/** The command that prepares a model's backbone, for error messages. */
const PREPARE_HINT = 'npm run model:prepare -- --model <model dir or model.tar.gz>';

export async function locateBackbone(spec: BackboneSpec, opts: LocateOptions = {}): Promise<PreparedBackbone> {
  const source = resolveSource(spec);
  if (source.kind === 'onnx') return prepareOnnxBackbone(spec, opts);
  const cacheDir = resolveCacheDir(opts.cacheDir);
  if (opts.fingerprint && !opts.force) {
    const prepared = await readConvertedBackbone(convertedBackboneEntry(spec, opts.fingerprint, cacheDir));
    if (prepared) return prepared;
  }
  const converter = await (opts.converter ?? loadConverter)();
  if (converter) return converter.prepareBackbone(spec, { cacheDir, force: opts.force, downloadTimeoutMs: opts.downloadTimeoutMs });
  const what = `${spec.id} (${spec.featureLayers.length} feature layers, ${spec.inputSize}px)`;
  if (!opts.fingerprint) {
    throw new BackboneNotPreparedError(
      `cannot find the ONNX graph of backbone ${what} without its weights fingerprint, and ${CONVERTER_PACKAGE}, which would compute it, ` +
        `is not installed here: pass the fingerprint (a model manifest's backbone.fingerprint) or install ${CONVERTER_PACKAGE}`,
    );
  }
  throw new BackboneNotPreparedError(
    `backbone ${what} with weights ${opts.fingerprint} is not prepared in ${cacheDir}, and ${CONVERTER_PACKAGE}, which converts it, ` +
      `is not installed here. Prepare it where the converter is installed with \`${PREPARE_HINT}\` and PETAL_CACHE_DIR=${cacheDir} ` +
      `(the endpoint image does this while it is built), or point PETAL_CACHE_DIR at a cache where it was prepared`,
  );
}
