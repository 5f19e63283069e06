export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The headline scores of one confusion matrix. */
export interface Scores {
  accuracy: number;
  macroF1: number;
  /** Averages of the per-class numbers weighted by support (SageMaker's `weighted_*`). */
  weightedPrecision: number;
  weightedRecall: number;
  weightedF1: number;
}

export interface Evaluation extends Scores {
  size: number;
  perClass: ClassMetrics[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  /** Test images the model got wrong, for the report. */
  mistakes: Array<{ id: string; actual: string; predicted: string; probability: number }>;
  /**
   * Spread of each score over five 80% subsamples (SageMaker Model Monitor's method); absent below
   * MIN_SAMPLES_FOR_DEVIATION images, where it would mean little.
   */
  deviation?: Scores;
}

export const MIN_SAMPLES_FOR_DEVIATION = 200;

/** Accuracy, per-class precision/recall/F1 and the confusion matrix from predicted probabilities. */
export function evaluatePredictions(
  labels: readonly string[],
  actual: ArrayLike<number>,
  probabilities: Float32Array,
  ids: readonly string[] = [],
): Evaluation {
  const k = labels.length;
  const n = actual.length;
  const predicted = new Int32Array(n);
  const mistakes: Evaluation['mistakes'] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
    predicted[i] = best;
    const truth = actual[i]!;
    if (best !== truth) mistakes.push({ id: ids[i] ?? String(i), actual: labels[truth]!, predicted: labels[best]!, probability: probabilities[i * k + best]! });
  }
  const all = Array.from({ length: n }, (_, i) => i);
  const confusion = confusionMatrix(k, actual, predicted, all);
  const { perClass, ...scores } = scoresOf(labels, confusion);
  const evaluation: Evaluation = { size: n, ...scores, perClass, confusion, mistakes };
  if (n >= MIN_SAMPLES_FOR_DEVIATION) evaluation.deviation = subsampleDeviation(labels, actual, predicted);
  return evaluation;
}

function confusionMatrix(k: number, actual: ArrayLike<number>, predicted: Int32Array, rows: readonly number[]): number[][] {
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const i of rows) confusion[actual[i]!]![predicted[i]!]!++;
  return confusion;
}

function scoresOf(labels: readonly string[], confusion: number[][]): Scores & { perClass: ClassMetrics[] } {
  const k = labels.length;
  const n = confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  let correct = 0;
  const perClass = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    correct += tp;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedTotal = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const precision = predictedTotal ? tp / predictedTotal : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const weighted = (key: 'precision' | 'recall' | 'f1') => (n ? perClass.reduce((s, c) => s + c[key] * c.support, 0) / n : Number.NaN);
  return {
    accuracy: n ? correct / n : Number.NaN,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / k,
    weightedPrecision: weighted('precision'),
    weightedRecall: weighted('recall'),
    weightedF1: weighted('f1'),
    perClass,
  };
}

/**
 * Standard deviation of each score over five subsamples of 80% of the images, as SageMaker Model Monitor
 * reports it. The subsamples are fixed rather than random (subsample j leaves out every fifth image
 * starting at j), so the same predictions always give the same file.
 */
function subsampleDeviation(labels: readonly string[], actual: ArrayLike<number>, predicted: Int32Array): Scores {
  const n = actual.length;
  const runs = Array.from({ length: 5 }, (_, j) => {
    const rows = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== j);
    const { perClass: _perClass, ...scores } = scoresOf(labels, confusionMatrix(labels.length, actual, predicted, rows));
    return scores;
  });
  const std = (key: keyof Scores) => {
    const values = runs.map((r) => r[key]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  };
  return {
    accuracy: std('accuracy'),
    macroF1: std('macroF1'),
    weightedPrecision: std('weightedPrecision'),
    weightedRecall: std('weightedRecall'),
    weightedF1: std('weightedF1'),
  };
}
