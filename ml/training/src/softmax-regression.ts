import type { LinearKernels } from '@petal/model';
import { minimizeLbfgs } from './lbfgs.js';

export interface SoftmaxProblem {
  /** N×dim row-major, already standardized. */
  x: Float32Array;
  labels: Int32Array;
  dim: number;
  numClasses: number;
  /** Penalty on the kernel's squared weights (the bias is not penalized), added to the mean cross-entropy. */
  l2: number;
}

export interface SoftmaxWeights {
  /** dim×classes row-major. */
  kernel: Float32Array;
  bias: Float32Array;
}

/**
 * The objective of a linear softmax head: mean cross-entropy + l2·‖W‖², with its gradient, in one pass
 * over the rows (each row's logits and its share of the gradient are computed while the row is in cache).
 * Parameters: the kernel (dim×classes, row-major) followed by the bias.
 */
export function softmaxObjective(
  problem: SoftmaxProblem,
  /** Filled on every call: the mean cross-entropy (without the penalty) and the accuracy at that point. */
  last: { loss: number; accuracy: number } = { loss: Number.NaN, accuracy: Number.NaN },
): (params: Float64Array, gradient: Float64Array) => number {
  const { x, labels, dim, numClasses: k, l2 } = problem;
  const n = labels.length;
  const logits = new Float64Array(k);
  const biasOffset = dim * k;
  return (params, gradient) => {
    gradient.fill(0);
    let loss = 0;
    let correct = 0;
    for (let r = 0; r < n; r++) {
      const base = r * dim;
      for (let j = 0; j < k; j++) logits[j] = params[biasOffset + j]!;
      if (k === 3) {
        // The shipped head's case, unrolled: this loop is where training spends its time.
        let l0 = logits[0]!;
        let l1 = logits[1]!;
        let l2v = logits[2]!;
        for (let d = 0, w = 0; d < dim; d++, w += 3) {
          const v = x[base + d]!;
          l0 += v * params[w]!;
          l1 += v * params[w + 1]!;
          l2v += v * params[w + 2]!;
        }
        logits[0] = l0;
        logits[1] = l1;
        logits[2] = l2v;
      } else {
        for (let d = 0; d < dim; d++) {
          const v = x[base + d]!;
          for (let j = 0; j < k; j++) logits[j]! += v * params[d * k + j]!;
        }
      }
      let max = -Infinity;
      let argmax = 0;
      for (let j = 0; j < k; j++) {
        if (logits[j]! > max) {
          max = logits[j]!;
          argmax = j;
        }
      }
      let total = 0;
      for (let j = 0; j < k; j++) total += logits[j] = Math.exp(logits[j]! - max);
      const label = labels[r]!;
      if (argmax === label) correct++;
      loss -= Math.log(Math.max(logits[label]! / total, 1e-300));
      for (let j = 0; j < k; j++) logits[j] = (logits[j]! / total - (j === label ? 1 : 0)) / n;
      if (k === 3) {
        const e0 = logits[0]!;
        const e1 = logits[1]!;
        const e2 = logits[2]!;
        for (let d = 0, w = 0; d < dim; d++, w += 3) {
          const v = x[base + d]!;
          gradient[w]! += v * e0;
          gradient[w + 1]! += v * e1;
          gradient[w + 2]! += v * e2;
        }
      } else {
        for (let d = 0; d < dim; d++) {
          const v = x[base + d]!;
          for (let j = 0; j < k; j++) gradient[d * k + j]! += v * logits[j]!;
        }
      }
      for (let j = 0; j < k; j++) gradient[biasOffset + j]! += logits[j]!;
    }
    loss /= n;
    last.loss = loss;
    last.accuracy = correct / n;
    let penalty = 0;
    for (let i = 0; i < biasOffset; i++) {
      const w = params[i]!;
      penalty += w * w;
      gradient[i]! += 2 * l2 * w;
    }
    return loss + l2 * penalty;
  };
}

/**
 * The same objective with the two big products (logits = X·W, gradient = Xᵀ·E) run by ONNX Runtime:
 * what training uses. `softmaxObjective` is its plain reference (a test holds them together).
 */
export function softmaxObjectiveOrt(
  problem: SoftmaxProblem,
  kernels: LinearKernels,
  last: { loss: number; accuracy: number } = { loss: Number.NaN, accuracy: Number.NaN },
): (params: Float64Array, gradient: Float64Array) => Promise<number> {
  const { x, labels, dim, numClasses: k, l2 } = problem;
  const n = labels.length;
  const biasOffset = dim * k;
  const w = new Float32Array(dim * k);
  const e = new Float32Array(n * k);
  const row = new Float64Array(k);
  return async (params, gradient) => {
    for (let i = 0; i < biasOffset; i++) w[i] = params[i]!;
    const logits = await kernels.forward(x, n, w);
    let loss = 0;
    let correct = 0;
    const biasGradient = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      let argmax = 0;
      for (let j = 0; j < k; j++) {
        row[j] = logits[r * k + j]! + params[biasOffset + j]!;
        if (row[j]! > max) {
          max = row[j]!;
          argmax = j;
        }
      }
      let total = 0;
      for (let j = 0; j < k; j++) total += row[j] = Math.exp(row[j]! - max);
      const label = labels[r]!;
      if (argmax === label) correct++;
      loss -= Math.log(Math.max(row[label]! / total, 1e-300));
      for (let j = 0; j < k; j++) {
        const d = (row[j]! / total - (j === label ? 1 : 0)) / n;
        e[r * k + j] = d;
        biasGradient[j]! += d;
      }
    }
    const g = await kernels.backward(x, n, e);
    loss /= n;
    last.loss = loss;
    last.accuracy = correct / n;
    let penalty = 0;
    for (let i = 0; i < biasOffset; i++) {
      const wi = params[i]!;
      penalty += wi * wi;
      gradient[i] = g[i]! + 2 * l2 * wi;
    }
    for (let j = 0; j < k; j++) gradient[biasOffset + j] = biasGradient[j]!;
    return loss + l2 * penalty;
  };
}

export interface SoftmaxFitOptions {
  maxIterations: number;
  initial?: SoftmaxWeights;
  /** After each iteration, with the weights so far; return false to stop. */
  onIteration?: (iteration: number, weights: SoftmaxWeights, objective: number, train: { loss: number; accuracy: number }) => boolean | void;
}

/** Fits the linear softmax head by L-BFGS from zero weights (or `initial`): no random draws at all. */
export async function fitSoftmax(problem: SoftmaxProblem, kernels: LinearKernels, options: SoftmaxFitOptions) {
  const { dim, numClasses: k } = problem;
  const start = new Float64Array(dim * k + k);
  if (options.initial) {
    start.set(options.initial.kernel);
    start.set(options.initial.bias, dim * k);
  }
  // The line search's last evaluation is the accepted point, so `last` describes the iterate reported.
  const last = { loss: Number.NaN, accuracy: Number.NaN };
  const result = await minimizeLbfgs(softmaxObjectiveOrt(problem, kernels, last), start, {
    maxIterations: options.maxIterations,
    gradientTolerance: 1e-5,
    relativeTolerance: 1e-9,
    onIteration: options.onIteration ? (i, params, value) => options.onIteration!(i, weightsOf(params, dim, k), value, { ...last }) : undefined,
  });
  return { weights: weightsOf(result.x, dim, k), iterations: result.iterations, evaluations: result.evaluations, reason: result.reason, objective: result.value };
}

export function weightsOf(params: Float64Array, dim: number, k: number): SoftmaxWeights {
  return { kernel: Float32Array.from(params.subarray(0, dim * k)), bias: Float32Array.from(params.subarray(dim * k, dim * k + k)) };
}

/** Logits → probabilities of a linear head, in float64 (argmax and loss on validation rows). */
export function scoreRows(x: Float32Array, n: number, dim: number, w: SoftmaxWeights, k: number): Float64Array {
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      let s = w.bias[j]!;
      for (let d = 0; d < dim; d++) s += x[r * dim + d]! * w.kernel[d * k + j]!;
      out[r * k + j] = s;
      max = Math.max(max, s);
    }
    let total = 0;
    for (let j = 0; j < k; j++) total += out[r * k + j] = Math.exp(out[r * k + j]! - max);
    for (let j = 0; j < k; j++) out[r * k + j]! /= total;
  }
  return out;
}
