import type { Classification, LoadedModel } from '@petal/model';

export interface FakeModelOptions {
  name?: string;
  version?: string;
  labels?: string[];
  inputSize?: number;
  /** Simulated time of one model call. */
  delayMs?: number;
}

export interface FakeModel extends LoadedModel {
  /** Sizes of the model calls made, in order (to observe batching). */
  calls: number[];
  /** The inlineDecode option of each single-image classify call, in order. */
  inlineDecodes: boolean[];
  disposed: boolean;
}

class FakeImageInputError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'ImageInputError';
  }
}

/**
 * A stand-in for unit tests of the queue and the host only (the contract tests use the real model). Its
 * answer depends on the input (first byte / first pixel), so routing mistakes show up as wrong answers;
 * a body starting with 0x00 plays a corrupt image.
 */
export function fakeModel(options: FakeModelOptions = {}): FakeModel {
  const labels = options.labels ?? ['astilbe', 'bellflower', 'black_eyed_susan'];
  const inputSize = options.inputSize ?? 4;
  const delay = () => new Promise((r) => setTimeout(r, options.delayMs ?? 0));
  const answer = (seed: number): Classification => {
    const winner = seed % labels.length;
    const probabilities = labels.map((_, i) => (i === winner ? 0.8 : 0.2 / (labels.length - 1)));
    return { labels, probabilities, topK: [{ index: winner, label: labels[winner]!, probability: 0.8 }] };
  };
  const model: FakeModel = {
    identity: { name: options.name ?? 'fake', version: options.version ?? '1' },
    inputSize,
    labels,
    manifest: { metrics: { testAccuracy: 0.9 } } as unknown as LoadedModel['manifest'],
    outOfScope: undefined,
    calls: [],
    inlineDecodes: [],
    disposed: false,
    async classify(image, opts) {
      model.inlineDecodes.push(opts?.inlineDecode ?? false);
      return (await model.classifyBatch([image]))[0]!;
    },
    async classifyBatch(images) {
      if (model.disposed) throw new Error('used after dispose');
      model.calls.push(images.length);
      await delay();
      return images.map((image, i) => {
        if (image[0] === 0) throw new FakeImageInputError('CORRUPT_IMAGE', `image ${i} is corrupt`);
        return answer(image[0]!);
      });
    },
    async classifyPixels(pixels, n) {
      if (model.disposed) throw new Error('used after dispose');
      model.calls.push(n);
      await delay();
      const per = inputSize * inputSize * 3;
      return Array.from({ length: n }, (_, i) => answer(Math.round(pixels[i * per]! * 10)));
    },
    async dispose() {
      model.disposed = true;
    },
  };
  return model;
}
