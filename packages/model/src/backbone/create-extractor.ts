import { createTfjsFeatureExtractor } from './tfjs-extractor.js';
import { BackboneError, DEFAULT_BACKBONE, type BackboneSpec, type ExtractorOptions, type FeatureExtractor } from './spec.js';

/** A feature extractor for `spec` (default: nsfwjs MobileNetV2) on the chosen runtime (default: ONNX). */
export async function createFeatureExtractor(
  spec: BackboneSpec = DEFAULT_BACKBONE,
  opts: ExtractorOptions = {},
): Promise<FeatureExtractor> {
  const runtime = opts.runtime ?? 'onnx';
  if (runtime === 'tfjs') return createTfjsFeatureExtractor(spec, opts);
  throw new BackboneError('the ONNX runtime path lands in the next commit; pass { runtime: "tfjs" } for now');
}
