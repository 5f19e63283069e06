import sharp from 'sharp';
import type { Rng } from '@petal/model/rng';

/** One random view of a training image: a crop-zoom, maybe mirrored, with brightness/contrast jitter. */
export interface AugmentParams {
  /** Crop rectangle as fractions of the image. */
  left: number;
  top: number;
  width: number;
  height: number;
  flip: boolean;
  /** Multiplier and offset applied to 8-bit values (contrast, brightness). */
  gain: number;
  bias: number;
}

/**
 * Draws augmentation parameters up front and synchronously, so the random sequence (and so the trained
 * model) does not depend on the order in which asynchronous image work finishes.
 */
export function drawAugmentParams(rng: Rng): AugmentParams {
  const area = 0.6 + 0.4 * rng();
  const aspect = Math.exp((rng() - 0.5) * 0.5); // about 0.78–1.28
  const width = Math.min(1, Math.sqrt(area * aspect));
  const height = Math.min(1, Math.sqrt(area / aspect));
  return {
    left: (1 - width) * rng(),
    top: (1 - height) * rng(),
    width,
    height,
    flip: rng() < 0.5,
    gain: 0.85 + 0.3 * rng(),
    bias: (rng() - 0.5) * 30,
  };
}

/**
 * Applies one augmentation to a decoded RGB image and resizes it the way serving does (squash to
 * size×size), returning 8-bit RGB.
 */
export async function augmentRgb(
  image: { data: Uint8Array; width: number; height: number },
  params: AugmentParams,
  size: number,
): Promise<Uint8Array> {
  const left = Math.floor(params.left * image.width);
  const top = Math.floor(params.top * image.height);
  const width = Math.max(1, Math.min(image.width - left, Math.round(params.width * image.width)));
  const height = Math.max(1, Math.min(image.height - top, Math.round(params.height * image.height)));
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width, height })
    .resize(size, size, { fit: 'fill' });
  if (params.flip) pipeline = pipeline.flop();
  const out = await pipeline.linear(params.gain, params.bias).removeAlpha().raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
