/**
 * The evaluation job (`npm run evaluate`, SageMaker Processing) and the labelled-data formats the
 * training and evaluation jobs share: image folders, s3:// prefixes, the held-out test split and the
 * training history a model carries.
 */
export { evaluateModel, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
export {
  EVALUATION_FILE,
  EVALUATION_JSON_PATHS,
  evaluationDocumentSchema,
  readEvaluationDocument,
  toEvaluationDocument,
  type EvaluationContext,
  type EvaluationDocument,
} from './evaluation-file.js';
export { evaluatePredictions, MIN_SAMPLES_FOR_DEVIATION, type ClassMetrics, type Evaluation, type Scores } from './metrics.js';
export { renderReport, type ReportInput } from './report.js';
export {
  TEST_SPLIT_FILE,
  createTestSplit,
  readSplitSamples,
  readTestSplit,
  testSplitJson,
  testSplitSchema,
  type TestSplit,
} from './test-split.js';
export {
  TRAINING_HISTORY_FILE,
  epochMetricsSchema,
  readTrainingHistory,
  trainingHistoryJson,
  trainingHistorySchema,
  type EpochMetrics,
  type TrainingHistory,
} from './training-history.js';
export { fileDigest, fingerprintFiles, fingerprintSamples, readImageFolder, type Dataset, type Sample } from './image-folder.js';
export { downloadS3Prefix, parseS3Uri } from './s3-source.js';
export { generateOutOfScopeSet, readOutOfScopeFolder, type OutOfScopeImage } from './out-of-scope-set.js';
export { outOfScopeSectionSchema, type OutOfScopeSection, type VerdictCounts } from './out-of-scope-rates.js';
export { startProgress, type Progress } from './progress.js';
export { isSageMakerProcessing, processingPaths, resolveProcessingInputs, sagemakerRoot, writeExitMessage, type ProcessingPaths } from './processing.js';
export { UsageError, describeIssues } from './errors.js';
