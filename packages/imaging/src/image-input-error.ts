/**
 * Why an upload could not be turned into pixels. Every code is the client's fault (bad bytes), never ours,
 * so services answer them with a 4xx; anything else thrown by this package is a programming error.
 */
export type ImageInputErrorCode =
  | 'EMPTY_INPUT'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'CORRUPT_IMAGE'
  | 'TOO_MANY_PIXELS';

export interface ImageInputErrorOptions {
  /** The underlying decoder error, for logs; never shown to clients. */
  cause?: unknown;
  /** Position of the offending image in a batch. */
  index?: number;
}

/** A refused image. `message` is written for the person who uploaded it and is safe to return to clients. */
export class ImageInputError extends Error {
  readonly code: ImageInputErrorCode;
  readonly index: number | undefined;

  constructor(code: ImageInputErrorCode, message: string, options: ImageInputErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ImageInputError';
    this.code = code;
    this.index = options.index;
  }
}
