import { createOnnxFeatureExtractor } from './onnx-extractor.js';
import { prepareBackbone } from './prepare.js';
import { createTfjsFeatureExtractor } from './tfjs-extractor.js';
import { DEFAULT_BACKBONE, type BackboneSpec, type ExtractorOptions, type FeatureExtractor } from './spec.js';

/**
 * A feature extractor for `spec` (default: nsfwjs MobileNetV2) on the chosen runtime. ONNX (the
 * default) is ~20× faster; TF.js-wasm runs the original layers model and serves as the reference.
 */
export async function createFeatureExtractor(
  spec: BackboneSpec = DEFAULT_BACKBONE,
  opts: ExtractorOptions = {},
): Promise<FeatureExtractor> {
  if ((opts.runtime ?? 'onnx') === 'tfjs') return createTfjsFeatureExtractor(spec, opts);
  const prepared = await prepareBackbone(spec, opts.cacheDir ? { cacheDir: opts.cacheDir } : {});
  return createOnnxFeatureExtractor(
    {
      model: prepared.onnxPath,
      backboneId: spec.id,
      fingerprint: prepared.fingerprint,
      inputSize: spec.inputSize,
      featureLayers: spec.featureLayers,
    },
    { intraOpThreads: opts.intraOpThreads, batchSize: opts.batchSize, streams: opts.streams },
  );
}
