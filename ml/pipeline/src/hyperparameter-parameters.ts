import { hyperparametersSchema, type Hyperparameters } from '@petal/training';
import type { ParameterDef, ParameterType, ParameterValue } from './parameters.js';

/**
 * The training job's hyperparameters as pipeline parameters, under their training names, with the
 * training schema's defaults and checks: the names, types and defaults come from
 * `hyperparametersSchema`, so a hyperparameter added to training appears here (and fails to compile
 * until it has a description below).
 */
export type PipelineHyperparameter = Exclude<keyof Hyperparameters, (typeof NOT_PARAMETERS)[number]>;

/**
 * `model-version` is optional with no default in training; SageMaker would pass an empty string and
 * training would reject it. A registered version's number comes from the registry instead.
 */
const NOT_PARAMETERS = ['model-version'] as const;

const DESCRIPTIONS: Record<PipelineHyperparameter, string> = {
  optimizer: 'how the head is fitted: lbfgs (linear head, full batch, deterministic) or adam (TF.js mini-batches)',
  'max-iterations': 'L-BFGS iterations at most (lbfgs)',
  epochs: 'training epochs over the features (adam)',
  'batch-size': 'examples per gradient step (adam)',
  'learning-rate': 'the optimizer learning rate (adam)',
  dropout: 'dropout before the dense layer (adam)',
  'validation-split': 'share of the training photos kept for validation (early stopping)',
  'test-split': 'share of the photos held out for the Evaluate step',
  augment: 'augmented copies of each training photo (0 = none)',
  l2: 'L2 weight penalty',
  'hidden-units': 'units of an optional hidden layer (0 = none; adam)',
  seed: 'random seed: the same seed on the same data gives the same model',
  'out-of-scope-tpr': 'share of validation photos kept at or below the out-of-scope score\'s unsure threshold',
  'out-of-scope-unknown-tpr': 'share of validation photos kept at or below the out-of-scope score\'s unknown threshold',
  'feature-layers': 'comma-separated backbone layers whose pooled activations are the features',
  negatives: 'images of other things the out-of-scope score learns against (an s3:// prefix, or a directory locally); empty: the distance alone',
  'model-name': 'the model name written in the manifest',
};

type Shape = typeof hyperparametersSchema.shape;

// zod's public `def` tells a number schema (and whether it is an integer) from a string one.
function parameterType(schema: Shape[keyof Shape]): ParameterType {
  let inner: { def: { type: string; innerType?: unknown }; isInt?: boolean } = schema as never;
  while (inner.def.type === 'default' || inner.def.type === 'optional') inner = inner.def.innerType as typeof inner;
  if (inner.def.type === 'number') return inner.isInt ? 'Integer' : 'Float';
  return 'String';
}

function asParameterValue(value: unknown): ParameterValue {
  // feature-layers parses to a list; its parameter is the comma-separated string the job reads.
  return Array.isArray(value) ? value.join(',') : (value as ParameterValue);
}

/** Checks one value with the training job's own schema, so a bad value fails before any job starts. */
function checkWithTrainingSchema(name: PipelineHyperparameter) {
  return (value: ParameterValue): string | undefined => {
    const result = hyperparametersSchema.shape[name].safeParse(value);
    return result.success ? undefined : result.error.issues.map((i) => i.message).join('; ');
  };
}

export const HYPERPARAMETER_PARAMETER_NAMES = (Object.keys(hyperparametersSchema.shape) as (keyof Hyperparameters)[]).filter(
  (n): n is PipelineHyperparameter => !(NOT_PARAMETERS as readonly string[]).includes(n),
);

export function hyperparameterParameters(): ParameterDef[] {
  const defaults = hyperparametersSchema.parse({});
  return HYPERPARAMETER_PARAMETER_NAMES.map((name) => ({
    name,
    type: parameterType(hyperparametersSchema.shape[name]),
    default: asParameterValue(defaults[name]),
    description: DESCRIPTIONS[name],
    check: checkWithTrainingSchema(name),
  }));
}
