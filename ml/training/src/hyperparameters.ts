import { UsageError } from '@petal/evaluation';
import { DEFAULT_BACKBONE } from '@petal/model';
import { z } from 'zod';

export { UsageError };

/** The backbone layers the shipped model uses: one list, the runtime's default backbone. */
export const DEFAULT_FEATURE_LAYERS: readonly string[] = DEFAULT_BACKBONE.featureLayers;

/**
 * Training hyperparameters. SageMaker passes every value as a string (hyperparameters.json), the CLI
 * passes `--name value`; both go through this one schema so both behave the same.
 * The reference design used epochs 5, batch size 32, learning rate 1e-4, dropout 0.2, validation split
 * 0.2 while fine-tuning a Keras model; Petal trains only a head on frozen, standardized features, which
 * wants a larger rate and more (cheap) epochs.
 */
export const hyperparametersSchema = z.object({
  /**
   * How the head is fitted. `lbfgs` (the default): the linear softmax head by full-batch L-BFGS, a convex
   * problem solved in seconds with no random draws (`max-iterations`, `l2`). `adam`: the TF.js mini-batch
   * loop with dropout (`epochs`, `batch-size`, `learning-rate`, `dropout`, `hidden-units`), kept for
   * hidden layers and for comparison.
   */
  optimizer: z.enum(['lbfgs', 'adam']).default('lbfgs'),
  /** L-BFGS iterations at most (each one full pass over the training views); the best on validation is kept. */
  'max-iterations': z.coerce.number().int().min(1).max(10_000).default(60),
  epochs: z.coerce.number().int().min(1).max(10_000).default(15),
  'batch-size': z.coerce.number().int().min(1).max(4096).default(32),
  'learning-rate': z.coerce.number().positive().max(10).default(3e-4),
  dropout: z.coerce.number().min(0).max(0.95).default(0.5),
  'validation-split': z.coerce.number().min(0.05).max(0.5).default(0.2),
  'test-split': z.coerce.number().min(0).max(0.5).default(0.15),
  /** Augmented copies of each training image (flip, crop-zoom, brightness); 0 turns augmentation off. */
  augment: z.coerce.number().int().min(0).max(8).default(2),
  l2: z.coerce.number().min(0).max(1).default(1e-3),
  /** Units of an optional hidden ReLU layer; 0 = softmax regression on the features. */
  'hidden-units': z.coerce.number().int().min(0).max(4096).default(0),
  seed: z.coerce.number().int().min(0).default(42),
  /**
   * The out-of-scope score's calibration on the validation photos: the share of them that must stay at or
   * below the `unsure` threshold, and at or below the `unknown` one. 0.99 keeps about 99% of in-scope
   * photos answered as flowers while noise, flat colours and most unrelated photos score far above.
   */
  'out-of-scope-tpr': z.coerce.number().min(0.5).max(1).default(0.99),
  'out-of-scope-unknown-tpr': z.coerce.number().min(0.5).max(1).default(0.995),
  /**
   * Backbone layers whose global-average-pooled activations form the features (comma-separated).
   * The default was chosen by probing on the flower set: the wide "expand" activations of the last
   * blocks separate astilbe from bellflower better than the narrow block outputs the brief's probe used
   * (94% → 96–97% with a linear head); serving cost is unchanged, since the backbone runs to out_relu anyway.
   */
  'feature-layers': z
    .string()
    .default(DEFAULT_FEATURE_LAYERS.join(','))
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1)),
  /**
   * Images of other things (none of the classes, searched recursively) the out-of-scope score learns
   * against: a directory, or an s3:// prefix the job downloads. Empty: the score is the distance to the
   * training photos alone. A setting like the others so a pipeline can pass it; `npm run negatives`
   * fetches the shipped model's examples.
   */
  negatives: z.string().default(''),
  'model-name': z.string().min(1).default('flower-classifier'),
  'model-version': z.string().min(1).optional(),
});

export type Hyperparameters = z.infer<typeof hyperparametersSchema>;
export const HYPERPARAMETER_NAMES = Object.keys(hyperparametersSchema.shape) as Array<keyof Hyperparameters>;

export function parseHyperparameters(raw: Record<string, unknown>): Hyperparameters {
  // SageMaker and users write either dashes or underscores (batch_size); accept both.
  const normalized: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) normalized[key.replaceAll('_', '-')] = value;
  const unknown = Object.keys(normalized).filter((k) => !(HYPERPARAMETER_NAMES as string[]).includes(k));
  if (unknown.length) {
    throw new UsageError(`unknown hyperparameter(s): ${unknown.join(', ')} (known: ${HYPERPARAMETER_NAMES.join(', ')})`);
  }
  const result = hyperparametersSchema.safeParse(normalized);
  if (!result.success) {
    throw new UsageError(
      `invalid hyperparameters: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const hp = result.data;
  if (hp['out-of-scope-unknown-tpr'] < hp['out-of-scope-tpr']) {
    throw new UsageError(`invalid hyperparameters: out-of-scope-unknown-tpr (${hp['out-of-scope-unknown-tpr']}) must be at least out-of-scope-tpr (${hp['out-of-scope-tpr']})`);
  }
  if (hp.optimizer === 'lbfgs' && hp['hidden-units'] > 0) {
    throw new UsageError('invalid hyperparameters: hidden-units needs optimizer=adam (L-BFGS fits the linear head)');
  }
  return hp;
}
