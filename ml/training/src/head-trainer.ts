import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics } from '@petal/evaluation';
import type { DenseLayer, HeadWeights } from '@petal/model';
import type { FeatureSet } from './features.js';
import { createRng, shuffleInPlace, type Rng } from '@petal/model/rng';

export interface HeadTrainingOptions {
  numClasses: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  l2: number;
  hiddenUnits: number;
  seed: number;
  /** Start from these weights (continued training) instead of a fresh initialization. */
  initial?: HeadWeights;
  onEpoch?: (epoch: EpochMetrics) => void;
}

export interface TrainedHead {
  head: HeadWeights;
  history: EpochMetrics[];
  bestEpoch: number;
}

/**
 * Trains the classification head on frozen backbone features: standardization, dropout, an optional
 * hidden ReLU layer and a softmax, with Adam and L2. A hand-written loop rather than `model.fit` because
 * fit shuffles and draws dropout masks with Math.random; here every random draw comes from the seeded rng,
 * so the same seed and data give the same model. The weights of the epoch with the best validation
 * accuracy (then loss) are kept.
 */
export async function trainHead(train: FeatureSet, validation: FeatureSet, options: HeadTrainingOptions): Promise<TrainedHead> {
  // The CPU backend is plenty for a head this size, and unlike wasm it needs no binary loaded first.
  // PROD also silences TF.js's "install tfjs-node" banner, which would otherwise land in job logs.
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const rng = createRng(options.seed);
  const dim = train.dim;
  const normalization = options.initial?.normalization ?? standardization(train);
  const trainX = normalize(train, normalization);
  const valX = normalize(validation, normalization);

  const sizes = options.hiddenUnits > 0 ? [options.hiddenUnits, options.numClasses] : [options.numClasses];
  const layers = sizes.map((units, i) => {
    const inDim = i === 0 ? dim : sizes[i - 1]!;
    const init = options.initial?.layers[i];
    const kernel = init && init.kernel.length === inDim * units ? init.kernel : glorotUniform(inDim, units, rng);
    const bias = init && init.bias.length === units ? init.bias : new Float32Array(units);
    return {
      units,
      activation: (i === sizes.length - 1 ? 'softmax' : 'relu') as DenseLayer['activation'],
      kernel: tf.variable(tf.tensor2d(kernel, [inDim, units])),
      bias: tf.variable(tf.tensor1d(bias)),
    };
  });

  const forward = (x: tf.Tensor2D, training: boolean, batchRng?: Rng): tf.Tensor2D => {
    let h = x;
    layers.forEach((layer, i) => {
      if (training && options.dropout > 0) h = h.mul(dropoutMask(h.shape as [number, number], options.dropout, batchRng!));
      h = h.matMul(layer.kernel).add(layer.bias);
      if (i < layers.length - 1) h = h.relu();
    });
    return h; // logits
  };
  const loss = (logits: tf.Tensor2D, labels: tf.Tensor2D) => {
    const ce = tf.losses.softmaxCrossEntropy(labels, logits);
    if (options.l2 === 0) return ce as tf.Scalar;
    const penalty = layers.reduce((sum, l) => sum.add(l.kernel.square().sum()), tf.scalar(0));
    return ce.add(penalty.mul(options.l2)) as tf.Scalar;
  };

  const optimizer = tf.train.adam(options.learningRate);
  const history: EpochMetrics[] = [];
  let best: { epoch: number; accuracy: number; loss: number; weights: Float32Array[] } | undefined;
  const order = Array.from({ length: train.count }, (_, i) => i);
  const trainLabels = oneHot(train.labels, options.numClasses);
  // Train loss/accuracy per epoch on a fixed sample (at most 1,000 rows): a full pass over every
  // augmented view each epoch would cost more than the epoch itself.
  const probeRows = shuffleInPlace([...order], createRng(options.seed + 1)).slice(0, 1000);
  const trainProbeX = gatherRows(trainX, dim, probeRows);
  const trainProbeLabels = Int32Array.from(probeRows, (r) => train.labels[r]!);

  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const idx = order.slice(start, start + options.batchSize);
      const xb = gatherRows(trainX, dim, idx);
      const yb = gatherRows(trainLabels, options.numClasses, idx);
      tf.tidy(() => {
        const x = tf.tensor2d(xb, [idx.length, dim]);
        const y = tf.tensor2d(yb, [idx.length, options.numClasses]);
        optimizer.minimize(() => loss(forward(x, true, rng), y));
      });
    }
    const trainEval = evaluate(trainProbeX, trainProbeLabels, options.numClasses, forward, loss);
    const valEval = evaluate(valX, validation.labels, options.numClasses, forward, loss);
    const metrics = epochMetrics(epoch, trainEval, valEval);
    history.push(metrics);
    options.onEpoch?.(metrics);
    if (!best || valEval.accuracy > best.accuracy || (valEval.accuracy === best.accuracy && valEval.loss < best.loss)) {
      const weights = layers.flatMap((l) => [l.kernel.dataSync().slice(), l.bias.dataSync().slice()]) as Float32Array[];
      best = { epoch, accuracy: valEval.accuracy, loss: valEval.loss, weights };
    }
  }

  const head: HeadWeights = {
    inputDim: dim,
    normalization,
    layers: layers.map((l, i) => ({
      units: l.units,
      activation: l.activation,
      kernel: best!.weights[2 * i]!,
      bias: best!.weights[2 * i + 1]!,
    })),
  };
  for (const l of layers) {
    l.kernel.dispose();
    l.bias.dispose();
  }
  optimizer.dispose();
  return { head, history, bestEpoch: best!.epoch };
}

function evaluate(
  x: Float32Array,
  labels: Int32Array,
  numClasses: number,
  forward: (x: tf.Tensor2D, training: boolean) => tf.Tensor2D,
  lossFn: (logits: tf.Tensor2D, labels: tf.Tensor2D) => tf.Scalar,
): { loss: number; accuracy: number } {
  if (labels.length === 0) return { loss: Number.NaN, accuracy: Number.NaN };
  return tf.tidy(() => {
    const logits = forward(tf.tensor2d(x, [labels.length, x.length / labels.length]), false);
    const loss = lossFn(logits, tf.tensor2d(oneHot(labels, numClasses), [labels.length, numClasses])).dataSync()[0]!;
    const predicted = logits.argMax(1).dataSync();
    let correct = 0;
    for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
    return { loss, accuracy: correct / labels.length };
  });
}

/** One epoch's record, as both head trainers report it (training-history.json, metric log lines). */
export function epochMetrics(
  epoch: number,
  train: { loss: number; accuracy: number },
  validation: { loss: number; accuracy: number },
): EpochMetrics {
  return { epoch, trainLoss: train.loss, trainAccuracy: train.accuracy, validationLoss: validation.loss, validationAccuracy: validation.accuracy };
}

export function standardization(set: FeatureSet): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(set.dim);
  const sq = new Float64Array(set.dim);
  for (let r = 0; r < set.count; r++) {
    for (let c = 0; c < set.dim; c++) {
      const v = set.features[r * set.dim + c]!;
      mean[c]! += v;
      sq[c]! += v * v;
    }
  }
  const std = new Float32Array(set.dim);
  const m = new Float32Array(set.dim);
  for (let c = 0; c < set.dim; c++) {
    m[c] = mean[c]! / set.count;
    // A floor keeps constant features (dead channels) from exploding after division.
    std[c] = Math.sqrt(Math.max(sq[c]! / set.count - m[c]! ** 2, 0) + 1e-6);
  }
  return { mean: m, std };
}

export function normalize(set: FeatureSet, n: { mean: Float32Array; std: Float32Array }): Float32Array {
  const out = new Float32Array(set.features.length);
  for (let r = 0; r < set.count; r++) {
    for (let c = 0; c < set.dim; c++) {
      const i = r * set.dim + c;
      out[i] = (set.features[i]! - n.mean[c]!) / n.std[c]!;
    }
  }
  return out;
}

function glorotUniform(inDim: number, outDim: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (inDim + outDim));
  return Float32Array.from({ length: inDim * outDim }, () => (rng() * 2 - 1) * limit);
}

function dropoutMask([rows, cols]: [number, number], rate: number, rng: Rng): tf.Tensor2D {
  const keep = 1 - rate;
  const mask = new Float32Array(rows * cols);
  for (let i = 0; i < mask.length; i++) mask[i] = rng() < keep ? 1 / keep : 0;
  return tf.tensor2d(mask, [rows, cols]);
}

function oneHot(labels: Int32Array, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => {
    out[i * numClasses + label] = 1;
  });
  return out;
}

function gatherRows(data: Float32Array, width: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => out.set(data.subarray(row * width, (row + 1) * width), i * width));
  return out;
}

