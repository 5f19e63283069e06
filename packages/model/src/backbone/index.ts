/**
 * The frozen backbone at run time: MobileNetV2 (from nsfwjs) or a user-supplied TF.js / ONNX network,
 * run by ONNX Runtime from a prepared ONNX file. Converting TF.js backbones to ONNX (and the TF.js
 * reference runtime) is @petal/model-convert's job; see converter-plugin.ts for how the two meet.
 */
export {
  BackboneError,
  BackboneNotPreparedError,
  DEFAULT_BACKBONE,
  FEATURES_OUTPUT,
  checkPixels,
  resolveSource,
  type BackboneRuntime,
  type BackboneSource,
  type BackboneSpec,
  type DenseLayer,
  type ExtractorOptions,
  type FeatureExtractor,
  type HeadWeights,
  type OutOfScopeWeights,
  type PreparedBackbone,
  type PrepareOptions,
  type ServingSession,
} from './spec.js';
export { createFeatureExtractor } from './create-extractor.js';
export { locateBackbone, type LocateOptions } from './locate.js';
export { prepareOnnxBackbone } from './onnx-source.js';
export { resolveCacheDir } from './cache.js';
export {
  CONVERTER_VERSION,
  convertedBackboneEntry,
  readConvertedBackbone,
  writeConvertedBackbone,
  type ConvertedBackboneEntry,
  type ConvertedBackboneMeta,
} from './converted-cache.js';
export { CONVERTER_PACKAGE, type BackboneConverter } from './converter-plugin.js';
export { createServingSession, createTfjsServingSession, appendHead, PROBABILITIES_OUTPUT, ANSWER_OUTPUT } from './serving.js';
export { applyHead, foldNormalization, validateHead } from './head.js';
export { OUT_OF_SCOPE_METHOD, outOfScopeScores, validateOutOfScope } from './out-of-scope.js';
export { featureWidthsOf } from './feature-widths.js';
export { createOnnxFeatureExtractor, DEFAULT_INTRA_OP_THREADS } from './onnx-extractor.js';
export { createLinearKernels, type LinearKernels } from './linear-kernels.js';
