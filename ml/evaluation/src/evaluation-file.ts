import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError, describeIssues } from './errors.js';
import type { Evaluation, Scores } from './metrics.js';
import { outOfScopeSectionSchema, verdictCountsSchema, type OutOfScopeSection } from './out-of-scope-rates.js';

/**
 * `evaluation.json`: what the evaluation job found, in the shape SageMaker's own model-quality reports
 * use (`multiclass_classification_metrics.<metric>.{value, standard_deviation}`, `dataset.item_count`),
 * so a pipeline condition reads it with a JSON path (see EVALUATION_JSON_PATHS) and the model registry
 * can show it as the model package's ModelQuality statistics. Petal's additions (model identity, data
 * fingerprints, per-class numbers, mistakes) sit beside that block. Stable: fields are only ever added.
 */
export const EVALUATION_FILE = 'evaluation.json';

/** JSON paths into evaluation.json for pipeline conditions (e.g. SageMaker's JsonGet). */
export const EVALUATION_JSON_PATHS = {
  accuracy: 'multiclass_classification_metrics.accuracy.value',
  macroF1: 'multiclass_classification_metrics.macro_f1.value',
  weightedF1: 'multiclass_classification_metrics.weighted_f1.value',
  itemCount: 'dataset.item_count',
  /** The training data set's fingerprint (the model manifest's dataset.fingerprint), when a split was used. */
  datasetFingerprint: 'dataset.split.dataset_fingerprint',
  /** Share of the in-scope test photos the service would answer `flower`, correctly. */
  inScopeFlowerRate: 'out_of_scope.in_scope.flower_correct_rate',
  /**
   * Share of every out-of-scope image scored (all sets together, the built-in `generated` set included)
   * the service would answer `unknown` or `unsure`: what the pipeline gates on as `min-out-of-scope-detection`.
   */
  outOfScopeDetectionRate: 'out_of_scope.all_sets.detection_rate',
} as const;

/** Every out-of-scope set scored, counted together: the number a gate compares, however many sets were given. */
export const allSetsSchema = verdictCountsSchema.extend({
  /** The sets counted, in the order they were scored. */
  names: z.array(z.string()),
  /** Answered `unknown` or `unsure`. */
  detection_rate: z.number(),
  unknown_rate: z.number(),
});
export type AllSets = z.infer<typeof allSetsSchema>;

/**
 * The out-of-scope sets counted together; undefined when none was scored (a rate of nothing is no number,
 * and JSON has no NaN).
 */
export function countAllSets(section: OutOfScopeSection): AllSets | undefined {
  if (section.sets.length === 0) return undefined;
  const sum = (key: 'size' | 'flower' | 'unsure' | 'unknown') => section.sets.reduce((n, s) => n + s[key], 0);
  const size = sum('size');
  if (size === 0) return undefined;
  const [unsure, unknown] = [sum('unsure'), sum('unknown')];
  return { names: section.sets.map((s) => s.name), size, flower: sum('flower'), unsure, unknown, detection_rate: (unsure + unknown) / size, unknown_rate: unknown / size };
}

// SageMaker writes the string "NaN" where a deviation is not computed (fewer than 200 images).
const scoredMetric = z.object({
  value: z.number(),
  standard_deviation: z.union([z.number(), z.literal('NaN')]),
});

export const evaluationDocumentSchema = z.object({
  version: z.literal(1),
  model: z.object({
    name: z.string(),
    version: z.string(),
    created_at: z.string(),
    backbone_fingerprint: z.string(),
  }),
  dataset: z.object({
    /** Images scored (readable ones). */
    item_count: z.number().int().nonnegative(),
    evaluation_time: z.string(),
    /** The data the images came from: a path or an s3:// URI. */
    source: z.string(),
    /** Fingerprint of the images scored (sorted `<class>/<file>:<sha256>` lines, hashed). */
    fingerprint: z.string(),
    /** `test-split`: exactly the photos the training run held out; `all`: every image under `source`. */
    selection: z.enum(['test-split', 'all']),
    split: z
      .object({
        subset: z.enum(['test', 'validation']),
        /** The training data set's fingerprint, as in the model manifest. */
        dataset_fingerprint: z.string(),
      })
      .optional(),
    /** Images that could not be decoded and were left out. */
    skipped: z.array(z.string()),
  }),
  multiclass_classification_metrics: z.object({
    /** confusion_matrix[actual][predicted] = count, by label. */
    confusion_matrix: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())),
    accuracy: scoredMetric,
    macro_f1: scoredMetric,
    weighted_precision: scoredMetric,
    weighted_recall: scoredMetric,
    weighted_f1: scoredMetric,
  }),
  /** The model's labels in output order (the confusion matrix's row and column order). */
  labels: z.array(z.string()),
  per_class: z.array(
    z.object({
      label: z.string(),
      precision: z.number(),
      recall: z.number(),
      f1: z.number(),
      support: z.number().int().nonnegative(),
    }),
  ),
  mistakes: z.array(z.object({ path: z.string(), actual: z.string(), predicted: z.string(), probability: z.number() })),
  /** The service's verdicts on the in-scope photos and on out-of-scope sets (absent in older evaluations). */
  out_of_scope: outOfScopeSectionSchema
    .extend({
      /** Every set together (absent in older evaluations, and when no out-of-scope image was scored). */
      all_sets: allSetsSchema.optional(),
    })
    .optional(),
});
export type EvaluationDocument = z.infer<typeof evaluationDocumentSchema>;

export interface EvaluationContext {
  model: { name: string; version: string; createdAt: string; backboneFingerprint: string };
  evaluatedAt: string;
  source: string;
  fingerprint: string;
  split?: { subset: 'test' | 'validation'; datasetFingerprint: string };
  skipped: readonly string[];
  outOfScope?: OutOfScopeSection;
}

export function toEvaluationDocument(evaluation: Evaluation, labels: readonly string[], context: EvaluationContext): EvaluationDocument {
  const scored = (key: keyof Scores) => ({
    value: evaluation[key],
    standard_deviation: evaluation.deviation ? evaluation.deviation[key] : ('NaN' as const),
  });
  const confusion = Object.fromEntries(
    labels.map((actual, r) => [actual, Object.fromEntries(labels.map((predicted, c) => [predicted, evaluation.confusion[r]![c]!]))]),
  );
  const document: EvaluationDocument = {
    version: 1,
    model: {
      name: context.model.name,
      version: context.model.version,
      created_at: context.model.createdAt,
      backbone_fingerprint: context.model.backboneFingerprint,
    },
    dataset: {
      item_count: evaluation.size,
      evaluation_time: context.evaluatedAt,
      source: context.source,
      fingerprint: context.fingerprint,
      selection: context.split ? 'test-split' : 'all',
      ...(context.split ? { split: { subset: context.split.subset, dataset_fingerprint: context.split.datasetFingerprint } } : {}),
      skipped: [...context.skipped],
    },
    multiclass_classification_metrics: {
      confusion_matrix: confusion,
      accuracy: scored('accuracy'),
      macro_f1: scored('macroF1'),
      weighted_precision: scored('weightedPrecision'),
      weighted_recall: scored('weightedRecall'),
      weighted_f1: scored('weightedF1'),
    },
    labels: [...labels],
    per_class: evaluation.perClass.map((c) => ({ ...c })),
    mistakes: evaluation.mistakes.map((m) => ({ path: m.id, actual: m.actual, predicted: m.predicted, probability: m.probability })),
    ...(context.outOfScope ? { out_of_scope: withAllSets(context.outOfScope) } : {}),
  };
  // Parse what we write, so a drift between this code and the documented schema fails here, not in a pipeline.
  return evaluationDocumentSchema.parse(document);
}

function withAllSets(section: OutOfScopeSection): NonNullable<EvaluationDocument['out_of_scope']> {
  const all = countAllSets(section);
  return { ...section, ...(all ? { all_sets: all } : {}) };
}

export async function readEvaluationDocument(path: string): Promise<EvaluationDocument> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = evaluationDocumentSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`${path} is not a Petal evaluation: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}
