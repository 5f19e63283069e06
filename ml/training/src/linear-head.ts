import type { EpochMetrics } from '@petal/evaluation';
import { createLinearKernels, type HeadWeights } from '@petal/model';
import type { FeatureSet } from './features.js';
import { epochMetrics, normalize, standardization, type TrainedHead } from './head-trainer.js';
import { fitSoftmax, scoreRows, type SoftmaxWeights } from './softmax-regression.js';

export interface LinearHeadOptions {
  numClasses: number;
  /** L-BFGS iterations at most (each a full pass over the training views). */
  maxIterations: number;
  l2: number;
  seed: number;
  initial?: HeadWeights;
  onEpoch?: (epoch: EpochMetrics) => void;
}

/**
 * Fits the linear softmax head (standardization → dense softmax) by full-batch L-BFGS on the
 * standardized features: a convex problem solved to convergence in a few seconds, with no random draws,
 * where the TF.js Adam loop took most of the training job's time. Every iteration is reported as an
 * "epoch" (one pass over the data) and the iterate with the best validation accuracy (then loss) is kept,
 * as the Adam loop kept its best epoch.
 */
export async function trainLinearHead(train: FeatureSet, validation: FeatureSet, options: LinearHeadOptions): Promise<TrainedHead> {
  const k = options.numClasses;
  const dim = train.dim;
  const normalization = options.initial?.normalization ?? standardization(train);
  const x = normalize(train, normalization);
  const valX = normalize(validation, normalization);

  const history: EpochMetrics[] = [];
  let best: { epoch: number; accuracy: number; loss: number; weights: SoftmaxWeights } | undefined;
  const initialLayer = options.initial?.layers.length === 1 ? options.initial.layers[0] : undefined;
  const kernels = await createLinearKernels(dim, k);
  try {
    await fitSoftmax(
      { x, labels: train.labels, dim, numClasses: k, l2: options.l2 },
      kernels,
      {
        maxIterations: options.maxIterations,
        ...(initialLayer && initialLayer.kernel.length === dim * k ? { initial: { kernel: initialLayer.kernel, bias: initialLayer.bias } } : {}),
        // Train loss and accuracy over every view come with the objective's own pass, at no extra cost.
        onIteration: (iteration, weights, _objective, trainEval) => {
          const valEval = lossAndAccuracy(scoreRows(valX, validation.count, dim, weights, k), validation.labels, k);
          const metrics = epochMetrics(iteration, trainEval, valEval);
          history.push(metrics);
          options.onEpoch?.(metrics);
          // With no validation rows (NaN), the last iterate is kept.
          if (!best || Number.isNaN(valEval.accuracy) || valEval.accuracy > best.accuracy || (valEval.accuracy === best.accuracy && valEval.loss < best.loss)) {
            best = { epoch: iteration, accuracy: valEval.accuracy, loss: valEval.loss, weights };
          }
        },
      },
    );
  } finally {
    await kernels.dispose();
  }
  if (!best) throw new Error('L-BFGS stopped before its first iteration (the features have no gradient)');
  const head: HeadWeights = {
    inputDim: dim,
    normalization,
    layers: [{ units: k, activation: 'softmax', kernel: best.weights.kernel, bias: best.weights.bias }],
  };
  return { head, history, bestEpoch: best.epoch };
}

function lossAndAccuracy(probabilities: Float64Array, labels: Int32Array, k: number): { loss: number; accuracy: number } {
  if (labels.length === 0) return { loss: Number.NaN, accuracy: Number.NaN };
  let loss = 0;
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let argmax = 0;
    for (let j = 1; j < k; j++) if (probabilities[r * k + j]! > probabilities[r * k + argmax]!) argmax = j;
    if (argmax === labels[r]) correct++;
    loss -= Math.log(Math.max(probabilities[r * k + labels[r]!]!, 1e-7));
  }
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}
