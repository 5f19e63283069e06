/** The JSON error body every Petal service answers with: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

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

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
