import { errorBody, type ErrorBody, type ErrorCatalog } from '@petal/contracts';

export { errorBody, type ErrorBody };

/** An error that already knows its HTTP status and public code; its message is safe to show to clients. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorOptions {
  headers?: Record<string, string>;
  details?: unknown;
}

/**
 * Throwers for one boundary's catalog: `const fail = createErrors(WAS_ERRORS); throw fail('FLOWER_NOT_FOUND', …)`.
 * The status always comes from the catalog, so a code cannot leave with two different statuses; the
 * message defaults to the catalog's.
 */
export function createErrors<C extends ErrorCatalog>(catalog: C) {
  return (code: keyof C & string, message?: string, options: ErrorOptions = {}): HttpError => {
    const spec = catalog[code];
    if (!spec) throw new Error(`error code ${code} is not in the catalog`);
    return new HttpError(spec.status, code, message ?? spec.message, options.headers, options.details);
  };
}
