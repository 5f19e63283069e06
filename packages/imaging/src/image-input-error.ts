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

/**
 * The HTTP status a service should answer each code with. Kept here so the WAS and the endpoint agree;
 * 415 for "we cannot read this kind of file", 422 for "a kind we read, but these bytes are broken".
 */
export const IMAGE_INPUT_ERROR_HTTP_STATUS: Readonly<Record<ImageInputErrorCode, number>> = {
  EMPTY_INPUT: 400,
  NOT_AN_IMAGE: 415,
  UNSUPPORTED_FORMAT: 415,
  CORRUPT_IMAGE: 422,
  TOO_MANY_PIXELS: 413,
};

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

  /** Suggested HTTP status for this refusal. */
  get httpStatus(): number {
    return IMAGE_INPUT_ERROR_HTTP_STATUS[this.code];
  }
}

export function isImageInputError(err: unknown): err is ImageInputError {
  return err instanceof ImageInputError;
}
