import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError, describeIssues } from './errors.js';

/** Written by the training job next to the model, so the evaluation report can still draw the curves. */
export const TRAINING_HISTORY_FILE = 'training-history.json';

// JSON has no NaN: an epoch without a validation set writes null, which reads back as NaN.
const metric = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

export const epochMetricsSchema = z.object({
  epoch: z.number().int().positive(),
  trainLoss: metric,
  trainAccuracy: metric,
  validationLoss: metric,
  validationAccuracy: metric,
});
export type EpochMetrics = z.infer<typeof epochMetricsSchema>;

export const trainingHistorySchema = z.object({
  version: z.literal(1),
  /** The epoch whose weights the model kept (best validation accuracy, then loss). */
  bestEpoch: z.number().int().positive(),
  validationAccuracy: metric,
  epochs: z.array(epochMetricsSchema).min(1),
});
export type TrainingHistory = z.infer<typeof trainingHistorySchema>;

export function trainingHistoryJson(history: { bestEpoch: number; epochs: readonly EpochMetrics[] }): string {
  const best = history.epochs[history.bestEpoch - 1];
  const document = { version: 1, bestEpoch: history.bestEpoch, validationAccuracy: best?.validationAccuracy, epochs: history.epochs };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export async function readTrainingHistory(path: string): Promise<TrainingHistory> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the training history ${path}: ${(err as Error).message}`);
  }
  const parsed = trainingHistorySchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(`${path} is not a Petal training history: ${describeIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}
