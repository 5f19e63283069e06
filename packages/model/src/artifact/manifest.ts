import { z } from 'zod';

/**
 * The artifact format version this code reads and writes. Bump it on any change a previous loader could
 * misread; loaders refuse versions they do not know rather than guess.
 */
export const FORMAT_VERSION = 1;

export const MANIFEST_FILE = 'manifest.json';
export const HEAD_WEIGHTS_FILE = 'head.bin';
export const METRICS_FILE = 'metrics.json';
export const REPORT_FILE = 'report.html';
export const ARCHIVE_FILE = 'model.tar.gz';

const tensorEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().positive()),
  /** Offset in float32 elements into head.bin. */
  offset: z.number().int().nonnegative(),
});
export type TensorEntry = z.infer<typeof tensorEntry>;

const denseLayerSpec = z.object({
  units: z.number().int().positive(),
  activation: z.enum(['relu', 'softmax', 'linear']),
});

const manifestMetricsSchema = z.object({
  testAccuracy: z.number(),
  testSize: z.number().int(),
  /** Absent when the run kept no validation share (or the model predates the field). */
  validationAccuracy: z.number().optional(),
  macroF1: z.number(),
  /** Share of the test photos answered as a known flower, correctly, with the out-of-scope score in play. */
  inScopeFlowerRate: z.number().optional(),
  /** Share of the evaluation's out-of-scope images answered `unknown` or `unsure`. */
  outOfScopeDetectionRate: z.number().optional(),
});

/**
 * The out-of-scope score's calibration (its weights are tensors in head.bin): a score above `unsure`
 * means the photo is probably not one of the model's classes, above `unknown` that it is not. Both were
 * set on held-out in-distribution photos so that the stated share of them stays at or below each.
 */
const outOfScopeSchema = z.object({
  method: z.string().min(1),
  thresholds: z.object({ unsure: z.number().nonnegative(), unknown: z.number().nonnegative() }),
  calibration: z.object({
    /** Which held-out photos set the thresholds (never the test split: it scores them afterwards). */
    subset: z.enum(['validation', 'test']),
    size: z.number().int().positive(),
    /** The share of those photos at or below each threshold (the true-positive rate aimed for). */
    truePositiveRate: z.object({ unsure: z.number().min(0).max(1), unknown: z.number().min(0).max(1) }),
  }),
  /** The example images of other things the learned term was fitted against; absent: the distance alone. */
  outlierExamples: z
    .object({
      source: z.string().min(1),
      count: z.number().int().positive(),
      /** The examples' names and contents, hashed as a data set's fingerprint is. */
      fingerprint: z.string().min(1),
    })
    .optional(),
});
export type OutOfScopeCalibration = z.infer<typeof outOfScopeSchema>;

export const manifestSchema = z.object({
  formatVersion: z.number().int(),
  name: z.string().min(1),
  version: z.string().min(1),
  createdAt: z.string(),
  /** Output index → label key (and the catalog id when the key is a catalog flower). */
  labels: z
    .array(z.object({ index: z.number().int().nonnegative(), key: z.string().min(1), no: z.number().int().optional() }))
    .min(2),
  /** How an image becomes the input tensor: the serving path reads this, so it cannot drift from training. */
  input: z.object({
    size: z.number().int().positive(),
    resize: z.literal('squash'),
    scale: z.tuple([z.literal(0), z.literal(1)]),
    channels: z.literal('RGB'),
    layout: z.literal('HWC'),
  }),
  /** The frozen feature extractor, referenced (not copied) by id and weights fingerprint. */
  backbone: z.object({
    id: z.string(),
    fingerprint: z.string(),
    featureLayers: z.array(z.string()).min(1),
    featureDim: z.number().int().positive(),
  }),
  head: z.object({
    architecture: z.object({
      normalization: z.boolean(),
      dropout: z.number().min(0).max(1),
      layers: z.array(denseLayerSpec).min(1),
    }),
    weights: z.object({
      file: z.string(),
      dtype: z.literal('float32'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      tensors: z.array(tensorEntry),
    }),
  }),
  training: z.object({
    hyperparameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    seed: z.number().int(),
    durationMs: z.number().nonnegative(),
    command: z.string().optional(),
    continuedFrom: z.object({ name: z.string(), version: z.string() }).optional(),
    /** The epoch whose weights were kept (best validation accuracy) and that accuracy: known at training time. */
    bestEpoch: z.number().int().positive().optional(),
    validationAccuracy: z.number().optional(),
  }),
  dataset: z.object({
    fingerprint: z.string(),
    source: z.string(),
    classes: z.record(z.string(), z.number().int().nonnegative()),
    skipped: z.number().int().nonnegative(),
    split: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
  }),
  /**
   * Held-out numbers, present once the model has been evaluated (the training job alone writes a model
   * without them; the evaluation step attaches them). Flat numbers, because the endpoint's `/models`
   * listing and the web status view read them as such (`metrics.testAccuracy`).
   */
  metrics: manifestMetricsSchema.optional(),
  /** Absent in models trained before the score existed: those serve probabilities alone. */
  outOfScope: outOfScopeSchema.optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestMetrics = z.infer<typeof manifestMetricsSchema>;

export class ModelArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelArtifactError';
  }
}

/** Parses and checks a manifest, with messages that say which field is wrong and what to do. */
export function parseManifest(json: unknown, where = MANIFEST_FILE): Manifest {
  const version = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version !== FORMAT_VERSION) {
    throw new ModelArtifactError(
      `${where}: artifact format version ${version} is not supported by this runtime (it reads version ${FORMAT_VERSION}); ` +
        (version > FORMAT_VERSION ? 'upgrade Petal to load this model' : 'retrain the model with this version of Petal'),
    );
  }
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelArtifactError(`${where} is not a valid Petal model manifest: ${issues}`);
  }
  const m = result.data;
  const indices = m.labels.map((l) => l.index).sort((a, b) => a - b);
  if (indices.some((idx, i) => idx !== i)) {
    throw new ModelArtifactError(`${where}: label indices must be 0..${m.labels.length - 1} without gaps`);
  }
  const last = m.head.architecture.layers.at(-1);
  if (last?.units !== m.labels.length || last.activation !== 'softmax') {
    throw new ModelArtifactError(`${where}: the head's last layer must be a softmax with one unit per label`);
  }
  if (m.outOfScope && m.outOfScope.thresholds.unsure > m.outOfScope.thresholds.unknown) {
    throw new ModelArtifactError(`${where}: outOfScope.thresholds.unsure must not exceed thresholds.unknown`);
  }
  return m;
}
