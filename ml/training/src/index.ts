export { train, type TrainOptions, type TrainResult } from './train.js';
export { trainAndEvaluate, type TrainAndEvaluateResult } from './train-and-evaluate.js';
export { parseHyperparameters, hyperparametersSchema, UsageError, type Hyperparameters } from './hyperparameters.js';
export { stratifiedSplit, type Split } from './stratified-split.js';
