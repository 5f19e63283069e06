export { train, type TrainOptions, type TrainResult } from './train.js';
export { parseHyperparameters, hyperparametersSchema, UsageError, type Hyperparameters } from './hyperparameters.js';
export { readImageFolder, stratifiedSplit, fingerprintSamples } from './dataset.js';
export { evaluatePredictions, type Evaluation } from './evaluate.js';
export { downloadS3Prefix, parseS3Uri } from './s3-source.js';
