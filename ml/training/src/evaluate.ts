export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  size: number;
  accuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  /** Test images the model got wrong, for the report. */
  mistakes: Array<{ id: string; actual: string; predicted: string; probability: number }>;
}

/** Accuracy, per-class precision/recall/F1 and the confusion matrix from predicted probabilities. */
export function evaluatePredictions(
  labels: readonly string[],
  actual: ArrayLike<number>,
  probabilities: Float32Array,
  ids: readonly string[] = [],
): Evaluation {
  const k = labels.length;
  const n = actual.length;
  const confusion = labels.map(() => new Array<number>(k).fill(0));
  const mistakes: Evaluation['mistakes'] = [];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let predicted = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + predicted]!) predicted = c;
    const truth = actual[i]!;
    confusion[truth]![predicted]!++;
    if (predicted === truth) correct++;
    else mistakes.push({ id: ids[i] ?? String(i), actual: labels[truth]!, predicted: labels[predicted]!, probability: probabilities[i * k + predicted]! });
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedTotal = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const precision = predictedTotal ? tp / predictedTotal : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  return {
    size: n,
    accuracy: n ? correct / n : Number.NaN,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / k,
    perClass,
    confusion,
    mistakes,
  };
}
