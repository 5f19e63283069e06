export * from './types.js';
export * from './backbone/index.js';
export { loadModel, scopeOf, toClassification, backboneFor, preprocessSpecOf, type LoadModelOptions } from './classifier.js';
export {
  FORMAT_VERSION,
  MANIFEST_FILE,
  HEAD_WEIGHTS_FILE,
  METRICS_FILE,
  REPORT_FILE,
  ARCHIVE_FILE,
  ModelArtifactError,
  manifestSchema,
  parseManifest,
  type Manifest,
  type ManifestMetrics,
  type OutOfScopeCalibration,
} from './artifact/manifest.js';
export {
  saveArtifact,
  readArtifact,
  attachMetrics,
  type ArtifactExtras,
  type ManifestDraft,
  type SavedArtifact,
} from './artifact/store.js';
export { packModelArchive, openModelLocation } from './artifact/archive.js';
export { sha256Hex } from './artifact/head-weights.js';
