import { preprocess, preprocessBatch, type PreprocessSpec } from '@petal/imaging';
import {
  DEFAULT_BACKBONE,
  createServingSession,
  locateBackbone,
  type BackboneSpec,
} from './backbone/index.js';
import { readArtifact } from './artifact/store.js';
import { ModelArtifactError, type Manifest } from './artifact/manifest.js';
import type { Classification, LoadedModel, OutOfScopeAnswer, ScopeLevel } from './types.js';

export interface LoadModelOptions {
  /** Where the backbone comes from when not the default (e.g. a user-supplied ONNX file). */
  backbone?: BackboneSpec;
  /** ONNX Runtime intra-op threads for the serving session. */
  intraOpThreads?: number;
  /** ONNX Runtime spin-waiting within a run (see backbone/onnx-extractor.ts). */
  spinning?: boolean;
  cacheDir?: string;
  /** Pixel limit for decoded images (decompression-bomb guard). */
  maxPixels?: number;
  topK?: number;
}

/** The backbone a manifest asks for, checked against what this installation can provide. */
export function backboneFor(manifest: Manifest, override?: BackboneSpec): BackboneSpec {
  const base = override ?? DEFAULT_BACKBONE;
  if (base.id !== manifest.backbone.id) {
    throw new ModelArtifactError(
      `model ${manifest.name}@${manifest.version} was trained on backbone "${manifest.backbone.id}", but this runtime is configured with "${base.id}"`,
    );
  }
  return { ...base, inputSize: manifest.input.size, featureLayers: [...manifest.backbone.featureLayers] };
}

export function preprocessSpecOf(manifest: Manifest): PreprocessSpec {
  return { size: manifest.input.size, resize: manifest.input.resize, scale: manifest.input.scale };
}

/**
 * Loads a model directory or model.tar.gz once: checks the manifest, finds the backbone graph prepared
 * for exactly the weights the head was trained on, and builds one ONNX session for backbone + head.
 * Serving converts nothing when `npm run model:prepare -- --model <this model>` ran first; otherwise the
 * backbone is converted now where @petal/model-convert is installed, and refused with that command
 * where it is not (see backbone/locate.ts).
 */
export async function loadModel(location: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const { manifest, head } = await readArtifact(location);
  const spec = backboneFor(manifest, options.backbone);
  const prepared = await locateBackbone(spec, { cacheDir: options.cacheDir, fingerprint: manifest.backbone.fingerprint });
  if (prepared.fingerprint !== manifest.backbone.fingerprint) {
    throw new ModelArtifactError(
      `model ${manifest.name}@${manifest.version} needs backbone weights ${manifest.backbone.fingerprint}, ` +
        `but the installed backbone is ${prepared.fingerprint}; install the backbone version it was trained with or retrain`,
    );
  }
  if (prepared.featureDim !== manifest.backbone.featureDim) {
    throw new ModelArtifactError(
      `backbone gives ${prepared.featureDim} features, the model's head expects ${manifest.backbone.featureDim}`,
    );
  }
  const calibration = manifest.outOfScope;
  if (Boolean(calibration) !== Boolean(head.outOfScope)) {
    throw new ModelArtifactError(`model ${manifest.name}@${manifest.version}: out-of-scope calibration and weights must come together`);
  }
  const session = await createServingSession(spec, head, {
    intraOpThreads: options.intraOpThreads,
    spinning: options.spinning,
    cacheDir: options.cacheDir,
    prepared,
  });
  const labels = [...manifest.labels].sort((a, b) => a.index - b.index).map((l) => l.key);
  const preprocessSpec = preprocessSpecOf(manifest);
  const size = manifest.input.size;
  const defaultTopK = options.topK ?? Math.min(3, labels.length);
  const decodeOptions = options.maxPixels ? { maxPixels: options.maxPixels } : {};

  const answer = async (pixels: Float32Array, n: number, topK = defaultTopK): Promise<Classification[]> => {
    if (pixels.length !== n * size * size * 3) {
      throw new RangeError(`expected ${n}×${size}×${size}×3 = ${n * size * size * 3} values, got ${pixels.length}`);
    }
    const { probabilities, outOfScope } = await session.run(pixels, n);
    const k = labels.length;
    return Array.from({ length: n }, (_, i) => {
      const classification = toClassification(labels, probabilities.subarray(i * k, (i + 1) * k), topK);
      if (!calibration || !outOfScope) return classification;
      return { ...classification, outOfScope: { ...scopeOf(outOfScope[i]!, calibration.thresholds), method: calibration.method, thresholds: calibration.thresholds } };
    });
  };

  return {
    identity: { name: manifest.name, version: manifest.version },
    inputSize: size,
    labels,
    manifest,
    outOfScope: calibration,
    async classify(image, opts) {
      const pixels = await preprocess(image, preprocessSpec, opts?.inlineDecode ? { ...decodeOptions, inline: true } : decodeOptions);
      const [result] = await answer(pixels, 1, opts?.topK);
      return result!;
    },
    async classifyBatch(images, opts) {
      if (images.length === 0) return [];
      const pixels = await preprocessBatch(images, preprocessSpec, decodeOptions);
      return answer(pixels, images.length, opts?.topK);
    },
    classifyPixels: (pixels, n, opts) => answer(pixels, n, opts?.topK),
    dispose: () => session.dispose(),
  };
}

/** The level a score falls in: above `unknown` is unknown, above `unsure` unsure (scores equal to a threshold are in). */
export function scopeOf(score: number, thresholds: { unsure: number; unknown: number }): Pick<OutOfScopeAnswer, 'score' | 'level'> {
  // NaN (a broken feature vector) must not pass as in scope.
  const level: ScopeLevel = !(score <= thresholds.unknown) ? 'unknown' : score > thresholds.unsure ? 'unsure' : 'in-scope';
  return { score, level };
}

export function toClassification(labels: readonly string[], probs: ArrayLike<number>, topK: number): Classification {
  const probabilities = Array.from(probs, Number);
  const ranked = probabilities
    .map((probability, index) => ({ index, label: labels[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index);
  return { labels: [...labels], probabilities, topK: ranked.slice(0, Math.max(1, topK)) };
}
