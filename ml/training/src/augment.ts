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
  /** The view shrunk to `scale` of the frame and centred on a plain canvas (a photo with wide borders). */
  frame?: { scale: number; colour: [number, number, number] };
}

const CANVASES: ReadonlyArray<[number, number, number]> = [
  [255, 255, 255],
  [0, 0, 0],
  [128, 128, 128],
  [240, 235, 225],
];

/**
 * A whole training photo, uncropped and unjittered, shrunk to 50–80% and centred on a white, black, grey
 * or paper-coloured canvas. The out-of-scope score's learned term sees these as in scope, so it cannot
 * call an image out of scope for a plain background alone (its examples of other things are cut-outs).
 */
export function drawFrameParams(rng: Rng): AugmentParams {
  return {
    left: 0,
    top: 0,
    width: 1,
    height: 1,
    flip: false,
    gain: 1,
    bias: 0,
    frame: { scale: 0.5 + 0.3 * rng(), colour: CANVASES[Math.min(CANVASES.length - 1, Math.floor(rng() * CANVASES.length))]! },
  };
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
  if (params.frame) {
    const inner = Math.max(1, Math.round(params.frame.scale * size));
    const before = Math.floor((size - inner) / 2);
    const after = size - inner - before;
    const [r, g, b] = params.frame.colour;
    // Resized in its own pass: sharp applies extend before resize within one pipeline.
    const shrunk = await pipeline.resize(inner, inner, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    pipeline = sharp(shrunk, { raw: { width: inner, height: inner, channels: 3 } }).extend({
      top: before,
      bottom: after,
      left: before,
      right: after,
      background: { r, g, b },
    });
  }
  const out = await pipeline.linear(params.gain, params.bias).removeAlpha().raw().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
