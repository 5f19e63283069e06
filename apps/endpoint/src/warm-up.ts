import type { Classification, LoadedModel } from '@petal/model';
import sharp from 'sharp';

/**
 * One real inference through each input path before the model takes traffic, so `/ping` only turns
 * green when decode + backbone + head work end to end (and the first caller does not pay for lazy
 * initialisation of ONNX sessions).
 */
export async function warmUpModel(model: LoadedModel): Promise<void> {
  const size = model.inputSize;
  const jpeg = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 120, g: 160, b: 90 } } })
    .jpeg()
    .toBuffer();
  checkClassification(await model.classify(jpeg), model);
  const pixels = new Float32Array(size * size * 3).fill(0.5);
  const [fromPixels] = await model.classifyPixels(pixels, 1);
  if (!fromPixels) throw new Error('classifyPixels returned no result');
  checkClassification(fromPixels, model);
}

function checkClassification(result: Classification, model: LoadedModel): void {
  const { probabilities } = result;
  if (probabilities.length !== model.labels.length) {
    throw new Error(`model answered ${probabilities.length} probabilities for ${model.labels.length} labels`);
  }
  const sum = probabilities.reduce((a, b) => a + b, 0);
  if (!probabilities.every(Number.isFinite) || Math.abs(sum - 1) > 1e-3) {
    throw new Error(`model answered probabilities that are not a distribution (sum ${sum})`);
  }
  // A calibrated model must score every answer; a NaN score would turn every photo `unknown`.
  if (model.outOfScope && !(result.outOfScope && Number.isFinite(result.outOfScope.score))) {
    throw new Error(`model has an out-of-scope calibration but answered the score ${result.outOfScope?.score}`);
  }
}
