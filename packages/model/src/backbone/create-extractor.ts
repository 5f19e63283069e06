import { readFile } from 'node:fs/promises';
import { CONVERTER_PACKAGE, loadConverter } from './converter-plugin.js';
import { locateBackbone } from './locate.js';
import { featureWidthsOf } from './feature-widths.js';
import { createOnnxFeatureExtractor } from './onnx-extractor.js';
import { BackboneError, DEFAULT_BACKBONE, type BackboneSpec, type ExtractorOptions, type FeatureExtractor } from './spec.js';

/**
 * A feature extractor for `spec` (default: nsfwjs MobileNetV2) on the chosen runtime. ONNX (the
 * default) is ~20× faster; TF.js-wasm runs the original layers model and serves as the reference. It
 * comes with @petal/model-convert and is available wherever that package is installed.
 */
export async function createFeatureExtractor(
  spec: BackboneSpec = DEFAULT_BACKBONE,
  opts: ExtractorOptions = {},
): Promise<FeatureExtractor> {
  if ((opts.runtime ?? 'onnx') === 'tfjs') {
    const converter = await loadConverter();
    if (!converter) {
      throw new BackboneError(`the TF.js runtime comes with ${CONVERTER_PACKAGE}, which is not installed here; use the ONNX runtime (the default) or install it`);
    }
    return converter.createTfjsFeatureExtractor(spec, opts);
  }
  const prepared = await locateBackbone(spec, { cacheDir: opts.cacheDir, fingerprint: opts.fingerprint });
  if (opts.fingerprint && prepared.fingerprint !== opts.fingerprint) {
    throw new BackboneError(
      `backbone ${spec.id} with weights ${opts.fingerprint} was asked for, but the installed backbone is ${prepared.fingerprint}; ` +
        'install the backbone version the model was trained with, or retrain',
    );
  }
  // Read once: the session loads these bytes and the layer widths come from the same graph.
  const graph = new Uint8Array(await readFile(prepared.onnxPath));
  const extractor = await createOnnxFeatureExtractor(
    {
      model: graph,
      backboneId: spec.id,
      fingerprint: prepared.fingerprint,
      inputSize: spec.inputSize,
      featureLayers: spec.featureLayers,
    },
    { intraOpThreads: opts.intraOpThreads, spinning: opts.spinning, batchSize: opts.batchSize, streams: opts.streams },
  );
  const featureWidths = featureWidthsOf(graph, extractor.featureDim);
  return featureWidths ? Object.assign(extractor, { featureWidths: Object.freeze(featureWidths) }) : extractor;
}
