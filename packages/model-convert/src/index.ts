/**
 * @petal/model-convert: the TF.js → ONNX backbone converter and the TF.js-wasm reference runtime, kept
 * out of @petal/model so that serving (the endpoint image) carries only ONNX Runtime and the prepared
 * graph. `npm run model:prepare` (prepare-cli.ts) is its command line.
 */
import type { BackboneConverter } from '@petal/model';
import { prepareBackbone } from './prepare.js';
import { createTfjsFeatureExtractor } from './tfjs-extractor.js';

export { prepareBackbone } from './prepare.js';
export { prepareModelBackbone, type PreparedModelBackbone } from './prepare-model.js';
export {
  CONVERTER_VERSION,
  FEATURES_OUTPUT,
  INPUT_NAME,
  convertKerasModel,
  convertLayersModel,
  type ConversionResult,
  type ConvertOptions,
} from './converter.js';
export { loadLayersArtifacts, loadNsfwjsArtifacts, loadTfjsArtifacts, decodeWeights, type LayersModelArtifacts } from './layers-model.js';
export { createTfjsFeatureExtractor, ensureTfjsWasmBackend, loadTfjsLayersModel } from './tfjs-extractor.js';

/**
 * What @petal/model imports on a cache miss or for `runtime: 'tfjs'` (see its converter-plugin.ts), so
 * that `createFeatureExtractor` and `loadModel` from @petal/model convert on first use wherever this
 * package is installed.
 */
export const backboneConverter: BackboneConverter = { prepareBackbone, createTfjsFeatureExtractor };
