/**
 * The frozen backbone of the Petal model runtime: MobileNetV2 (from nsfwjs) or a user-supplied TF.js /
 * ONNX network, run by ONNX Runtime (fast path) or TF.js-wasm (reference path).
 */
export {
  BackboneError,
  DEFAULT_BACKBONE,
  type BackboneRuntime,
  type BackboneSource,
  type BackboneSpec,
  type DenseLayer,
  type ExtractorOptions,
  type FeatureExtractor,
  type HeadWeights,
  type ServingSession,
} from './spec.js';
export { createFeatureExtractor } from './create-extractor.js';
export { prepareBackbone, type PreparedBackbone, type PrepareOptions } from './prepare.js';
export { resolveCacheDir } from './cache.js';
export { CONVERTER_VERSION, FEATURES_OUTPUT, INPUT_NAME, convertKerasModel, convertLayersModel, type ConvertOptions, type ConversionResult } from './converter.js';
export { createServingSession, createTfjsServingSession, appendHead, PROBABILITIES_OUTPUT } from './serving.js';
export { applyHead, foldNormalization, validateHead } from './head.js';
export { createOnnxFeatureExtractor, DEFAULT_INTRA_OP_THREADS } from './onnx-extractor.js';
export { createTfjsFeatureExtractor } from './tfjs-extractor.js';
