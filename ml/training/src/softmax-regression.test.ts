import { createLinearKernels, type LinearKernels } from '@petal/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs.js';
import { createRng } from '@petal/model/rng';
import { fitSoftmax, scoreRows, softmaxObjective, softmaxObjectiveOrt, type SoftmaxProblem } from './softmax-regression.js';

function problem(n: number, dim: number, k: number, seed: number, l2 = 1e-3): SoftmaxProblem {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  // Class-dependent means, so there is something to learn.
  const x = Float32Array.from({ length: n * dim }, (_, i) => rng() * 2 - 1 + (Math.floor(i / dim) % k === i % dim % k ? 0.8 : 0));
  return { x, labels, dim, numClasses: k, l2 };
}

describe('L-BFGS', () => {
  it('finds the minimum of a convex quadratic', async () => {
    const target = Float64Array.from([3, -2, 0.5, 7]);
    const scale = [1, 10, 100, 0.1];
    const result = await minimizeLbfgs(
      (x, g) => {
        let f = 0;
        x.forEach((v, i) => {
          f += scale[i]! * (v - target[i]!) ** 2;
          g[i] = 2 * scale[i]! * (v - target[i]!);
        });
        return f;
      },
      new Float64Array(4),
      { maxIterations: 100 },
    );
    result.x.forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 4));
    expect(result.reason).not.toBe('iterations');
  });
});

describe('the linear head objective', () => {
  let kernels: LinearKernels;
  beforeAll(async () => {
    kernels = await createLinearKernels(37, 3);
  });
  afterAll(() => kernels?.dispose());

  it('gives the same value and gradient through ONNX Runtime as the plain TypeScript loop', async () => {
    const p = problem(50, 37, 3, 1);
    const params = Float64Array.from({ length: 37 * 3 + 3 }, (_, i) => Math.sin(i) / 10);
    const g1 = new Float64Array(params.length);
    const g2 = new Float64Array(params.length);
    const plain = softmaxObjective(p)(params, g1);
    const viaOrt = await softmaxObjectiveOrt(p, kernels)(params, g2);
    expect(Math.abs(viaOrt - plain) / plain).toBeLessThan(1e-6);
    g1.forEach((v, i) => expect(Math.abs(g2[i]! - v)).toBeLessThan(1e-6));
  });

  it('fits deterministically: the same data gives bit-identical weights, which separate the classes', async () => {
    const p = problem(120, 37, 3, 2);
    const a = await fitSoftmax(p, kernels, { maxIterations: 40 });
    const b = await fitSoftmax(p, kernels, { maxIterations: 40 });
    expect(b.weights.kernel).toEqual(a.weights.kernel);
    expect(b.weights.bias).toEqual(a.weights.bias);
    const probabilities = scoreRows(p.x, 120, 37, a.weights, 3);
    let correct = 0;
    for (let r = 0; r < 120; r++) {
      const row = Array.from(probabilities.subarray(r * 3, r * 3 + 3));
      if (row.indexOf(Math.max(...row)) === p.labels[r]) correct++;
    }
    expect(correct / 120).toBeGreaterThan(0.9);
    // A stronger penalty gives smaller weights: l2 is really applied.
    const strong = await fitSoftmax({ ...p, l2: 1 }, kernels, { maxIterations: 40 });
    const norm = (w: Float32Array) => w.reduce((s, v) => s + v * v, 0);
    expect(norm(strong.weights.kernel)).toBeLessThan(norm(a.weights.kernel) / 4);
  });
});
