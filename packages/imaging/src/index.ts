export {
  IMAGE_FORMATS,
  IMAGE_FORMAT_NAMES,
  IMAGE_MIME_TYPES,
  sniffImageFormat,
  sniffRefusedImageFormat,
  formatRefusal,
  ACCEPTED_FORMATS_TEXT,
  type FormatRefusal,
  type ImageFormat,
} from './image-format.js';
export {
  ImageInputError,
  type ImageInputErrorCode,
  type ImageInputErrorOptions,
} from './image-input-error.js';
export { DEFAULT_PREPROCESS_SPEC, preprocessSpecSchema, type PreprocessSpec } from './preprocess-spec.js';
export {
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_REQUEST_PIXELS,
  checkTotalPixels,
  decodeImage,
  headerDimensions,
  type DecodedImage,
  type DecodeOptions,
} from './decode.js';
export {
  DEFAULT_BATCH_CONCURRENCY,
  preprocess,
  preprocessBatch,
  preprocessToRgb,
  tensorLength,
  toUnitFloat,
  type PreprocessBatchOptions,
  type PreprocessOptions,
} from './preprocess.js';
