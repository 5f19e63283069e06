import { z } from 'zod';

/**
 * How a model wants its input tensor made. It is stored in the model manifest, so training and serving
 * read the same record and cannot drift apart.
 * - `resize: 'squash'`: stretch to size×size ignoring aspect ratio, bilinear, no crop — what Keras'
 *   `image_dataset_from_directory` does by default and what the reference model was trained on.
 * - `scale: [0, 1]`: 8-bit values divided by 255.
 */
export const preprocessSpecSchema = z
  .object({
    size: z.number().int().min(8).max(2048),
    resize: z.literal('squash'),
    scale: z.tuple([z.literal(0), z.literal(1)]),
  })
  .strict();

export type PreprocessSpec = z.infer<typeof preprocessSpecSchema>;

/** The reference model's input: MobileNetV2, 224×224, pixels in [0, 1]. */
export const DEFAULT_PREPROCESS_SPEC: PreprocessSpec = Object.freeze({
  size: 224,
  resize: 'squash',
  scale: [0, 1],
}) as PreprocessSpec;
