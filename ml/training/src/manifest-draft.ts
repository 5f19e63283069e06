import { flowerByKey } from '@petal/catalog';
import type { PreprocessSpec } from '@petal/imaging';
import type { FeatureExtractor, HeadWeights, ManifestDraft, OutOfScopeCalibration } from '@petal/model';
import type { Hyperparameters } from './hyperparameters.js';

export interface DraftInput {
  createdAt: string;
  hyperparameters: Hyperparameters;
  classes: readonly string[];
  /** Images per class in the training data folder. */
  classCounts: Record<string, number>;
  spec: PreprocessSpec;
  extractor: FeatureExtractor;
  head: HeadWeights;
  /** The out-of-scope score's calibration (its weights are in `head`). */
  outOfScope?: OutOfScopeCalibration;
  bestEpoch: number;
  validationAccuracy: number;
  durationMs: number;
  command?: string;
  continuedFrom?: { name: string; version: string };
  dataset: { fingerprint: string; source: string; skipped: number; split: { train: number; validation: number; test: number } };
}

/**
 * The manifest of a freshly trained model. It has no `metrics`: those come from the evaluation step,
 * which scores the finished artifact.
 */
export function draftManifest(input: DraftInput): ManifestDraft {
  const hp = input.hyperparameters;
  const version = hp['model-version'] ?? input.createdAt.replace(/[-:]/g, '').replace('T', '.').slice(0, 15);
  const { 'model-name': name, 'model-version': _version, 'feature-layers': layers, ...rest } = hp;
  return {
    name,
    version,
    createdAt: input.createdAt,
    labels: input.classes.map((key, index) => {
      const no = flowerByKey(key)?.no;
      return no === undefined ? { index, key } : { index, key, no };
    }),
    input: { size: input.spec.size, resize: 'squash', scale: [0, 1], channels: 'RGB', layout: 'HWC' },
    backbone: {
      id: input.extractor.backboneId,
      fingerprint: input.extractor.fingerprint,
      featureLayers: [...input.extractor.featureLayers],
      featureDim: input.extractor.featureDim,
    },
    head: {
      architecture: {
        normalization: true,
        // L-BFGS fits without dropout.
        dropout: hp.optimizer === 'adam' ? hp.dropout : 0,
        layers: input.head.layers.map((l) => ({ units: l.units, activation: l.activation })),
      },
    },
    training: {
      hyperparameters: { ...rest, 'feature-layers': layers.join(',') },
      seed: hp.seed,
      durationMs: Math.round(input.durationMs),
      ...(input.command ? { command: input.command } : {}),
      ...(input.continuedFrom ? { continuedFrom: input.continuedFrom } : {}),
      bestEpoch: input.bestEpoch,
      ...(Number.isFinite(input.validationAccuracy) ? { validationAccuracy: input.validationAccuracy } : {}),
    },
    dataset: { ...input.dataset, classes: input.classCounts },
    ...(input.outOfScope ? { outOfScope: input.outOfScope } : {}),
  };
}
