import { decodeImage, preprocess, toUnitFloat, type PreprocessSpec } from '@petal/imaging';
import { startProgress } from '@petal/evaluation';
import type { FeatureExtractor } from '@petal/model';
import { augmentRgb, type AugmentParams } from './augment.js';

export interface FeatureSet {
  /** N×dim row-major. */
  features: Float32Array;
  labels: Int32Array;
  dim: number;
  count: number;
}

export interface View {
  bytes: Uint8Array;
  classIndex: number;
  /** Absent: the image exactly as serving sees it. */
  augment?: AugmentParams;
}

const BATCH = 32;

/**
 * Runs views through preprocessing and the frozen backbone in batches, with a progress bar. Views whose
 * image cannot be decoded are left out and reported by index, so the caller can count and drop them.
 */
export async function extractFeatures(
  views: readonly View[],
  extractor: FeatureExtractor,
  spec: PreprocessSpec,
  label: string,
  quiet = false,
): Promise<FeatureSet & { failed: number[]; rowOfView: Int32Array }> {
  const size = spec.size;
  const pixelsPerImage = size * size * 3;
  const dim = extractor.featureDim;
  const features = new Float32Array(views.length * dim);
  const labels = new Int32Array(views.length);
  const failed: number[] = [];
  const rowOfView = new Int32Array(views.length).fill(-1);
  let count = 0;
  const progress = startProgress(label, views.length, 'img', quiet);
  const pixels = new Float32Array(BATCH * pixelsPerImage);
  for (let start = 0; start < views.length; start += BATCH) {
    const batch = views.slice(start, start + BATCH);
    const decoded = await Promise.allSettled(batch.map((view) => toPixels(view, spec)));
    let n = 0;
    const batchLabels: number[] = [];
    decoded.forEach((result, i) => {
      if (result.status === 'rejected') {
        failed.push(start + i);
        return;
      }
      pixels.set(result.value, n * pixelsPerImage);
      batchLabels.push(batch[i]!.classIndex);
      rowOfView[start + i] = count + n;
      n++;
    });
    if (n > 0) {
      const out = await extractor.extract(pixels.subarray(0, n * pixelsPerImage), n);
      features.set(out.subarray(0, n * dim), count * dim);
      labels.set(batchLabels, count);
      count += n;
    }
    progress.update(Math.min(start + BATCH, views.length));
  }
  progress.stop();
  return { features: features.subarray(0, count * dim), labels: labels.subarray(0, count), dim, count, failed, rowOfView };
}

/** The rows of a feature set, in the given order. */
export function selectRows(set: FeatureSet, rows: readonly number[]): FeatureSet {
  const features = new Float32Array(rows.length * set.dim);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    features.set(set.features.subarray(row * set.dim, (row + 1) * set.dim), i * set.dim);
    labels[i] = set.labels[row]!;
  });
  return { features, labels, dim: set.dim, count: rows.length };
}

async function toPixels(view: View, spec: PreprocessSpec): Promise<Float32Array> {
  if (!view.augment) return preprocess(view.bytes, spec);
  const image = await decodeImage(view.bytes);
  return toUnitFloat(await augmentRgb(image, view.augment, spec.size));
}

export function concatFeatureSets(a: FeatureSet, b: FeatureSet): FeatureSet {
  const features = new Float32Array(a.features.length + b.features.length);
  features.set(a.features);
  features.set(b.features, a.features.length);
  const labels = new Int32Array(a.count + b.count);
  labels.set(a.labels);
  labels.set(b.labels, a.count);
  return { features, labels, dim: a.dim, count: a.count + b.count };
}
