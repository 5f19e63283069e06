import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from './metrics.js';

/** One row per image, probability 0.9 on the predicted class. */
function confident(predicted: number[], k: number): Float32Array {
  const out = new Float32Array(predicted.length * k).fill(0.1 / (k - 1));
  predicted.forEach((p, i) => (out[i * k + p] = 0.9));
  return out;
}

describe('evaluatePredictions', () => {
  it('computes accuracy, per-class and averaged scores, the confusion matrix and the mistakes', () => {
    const labels = ['a', 'b', 'c'];
    const result = evaluatePredictions(labels, [0, 0, 0, 1, 1, 2], confident([0, 0, 1, 1, 2, 2], 3), ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1']);
    expect(result.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(result.size).toBe(6);
    expect(result.accuracy).toBeCloseTo(4 / 6, 12);
    expect(result.perClass.map((c) => [c.label, c.precision, c.recall, c.support])).toEqual([
      ['a', 1, 2 / 3, 3],
      ['b', 0.5, 0.5, 2],
      ['c', 0.5, 1, 1],
    ]);
    expect(result.perClass.map((c) => c.f1)).toEqual([0.8, 0.5, expect.closeTo(2 / 3, 12)]);
    expect(result.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(result.weightedPrecision).toBeCloseTo(4.5 / 6, 12);
    expect(result.weightedRecall).toBeCloseTo(result.accuracy, 12); // support-weighted recall is accuracy
    expect(result.weightedF1).toBeCloseTo((0.8 * 3 + 0.5 * 2 + 2 / 3) / 6, 12);
    expect(result.mistakes).toEqual([
      { id: 'a/3', actual: 'a', predicted: 'b', probability: expect.closeTo(0.9, 6) },
      { id: 'b/2', actual: 'b', predicted: 'c', probability: expect.closeTo(0.9, 6) },
    ]);
    expect(result.deviation).toBeUndefined(); // too few images for a meaningful spread
  });

  it('reports the spread over five fixed 80% subsamples from 200 images up, the same every time', () => {
    const n = 250;
    const actual = Array.from({ length: n }, (_, i) => i % 2);
    // Wrong exactly on every fifth image: subsample 0 leaves all of them out (accuracy 1), the other four
    // keep all 50 in 200 (0.75); mean 0.8, standard deviation 0.1.
    const predicted = actual.map((a, i) => (i % 5 === 0 ? 1 - a : a));
    const result = evaluatePredictions(['x', 'y'], actual, confident(predicted, 2));
    expect(result.accuracy).toBeCloseTo(0.8, 12);
    expect(result.deviation?.accuracy).toBeCloseTo(0.1, 12);
    expect(result.deviation?.macroF1).toBeGreaterThan(0);
    expect(evaluatePredictions(['x', 'y'], actual, confident(predicted, 2))).toEqual(result);
    const perfect = evaluatePredictions(['x', 'y'], actual, confident(actual, 2));
    expect(perfect.deviation).toEqual({ accuracy: 0, macroF1: 0, weightedPrecision: 0, weightedRecall: 0, weightedF1: 0 });
  });
});
