import type { BrowserErrorCode } from '@petal/contracts/errors';

export type ErrorKind =
  | 'empty'
  | 'too_large'
  | 'not_image'
  | 'unreadable'
  | 'missing_file'
  | 'rate_limited'
  | 'busy'
  | 'timeout'
  | 'unavailable'
  | 'network'
  | 'bad_response'
  | 'unknown';

/** A failed classification, in terms the UI can explain. */
export interface ApiFailure {
  kind: ErrorKind;
  status?: number;
  code?: string;
  /** The service's own message (English, for the curious and for bug reports), never shown as the headline. */
  serverMessage?: string;
  retryAfterS?: number;
}

/** Kinds where the service asked for a moment: one sentence and a Try again that counts down. */
export const WAIT_THEN_RETRY: ReadonlySet<ErrorKind> = new Set(['rate_limited', 'busy']);
/** How long to count down when the service did not say (no Retry-After). */
export const DEFAULT_WAIT_S = 5;

/** Kinds worth a "try again" button: the same photo may well work a moment later. */
export const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['rate_limited', 'busy', 'timeout', 'unavailable', 'network', 'bad_response', 'unknown']);

/**
 * What each code the browser can receive (the WAS's, relayed, and the BFF's own) means to a person. A
 * Record over the catalog's codes: a code added to the catalog does not compile until it is placed here.
 */
const KIND_BY_CODE: Readonly<Record<BrowserErrorCode, ErrorKind>> = {
  BAD_REQUEST: 'unknown',
  INVALID_JSON: 'unknown',
  VALIDATION_ERROR: 'unknown',
  NOT_FOUND: 'unknown',
  METHOD_NOT_ALLOWED: 'unknown',
  NOT_ACCEPTABLE: 'unknown',
  REQUEST_TIMEOUT: 'timeout',
  PAYLOAD_TOO_LARGE: 'too_large',
  URI_TOO_LONG: 'unknown',
  UNSUPPORTED_MEDIA_TYPE: 'not_image',
  RATE_LIMITED: 'rate_limited',
  HEADERS_TOO_LARGE: 'unknown',
  INTERNAL_ERROR: 'unavailable',
  SHUTTING_DOWN: 'busy',
  MISSING_FILE: 'missing_file',
  EMPTY_FILE: 'empty',
  UNEXPECTED_FIELD: 'missing_file',
  TOO_MANY_FILES: 'missing_file',
  TOO_MANY_PARTS: 'missing_file',
  BAD_MULTIPART: 'missing_file',
  FILE_TOO_LARGE: 'too_large',
  UNSUPPORTED_IMAGE_TYPE: 'not_image',
  FLOWER_NOT_FOUND: 'unknown',
  IMAGE_REJECTED: 'unreadable',
  MODEL_FAILED: 'unavailable',
  BAD_GATEWAY: 'unavailable',
  ENDPOINT_UNAVAILABLE: 'unavailable',
  ENDPOINT_TIMEOUT: 'timeout',
  UPSTREAM_ERROR: 'unknown',
  UI_NOT_BUILT: 'unavailable',
  UPSTREAM_UNAVAILABLE: 'unavailable',
  UPSTREAM_TIMEOUT: 'timeout',
};

/** For an answer whose code is not in the catalog (a proxy's page, a newer service): what its status says. */
const BY_STATUS: Record<number, ErrorKind> = {
  400: 'missing_file',
  413: 'too_large',
  415: 'not_image',
  422: 'unreadable',
  429: 'rate_limited',
  502: 'unavailable',
  503: 'busy',
  504: 'timeout',
};

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * Maps an HTTP error answer to a kind: by its catalog code, or by its status when the code is not one
 * the catalog declares (or there is no contract body at all).
 */
export function failureFromResponse(status: number, body: unknown, retryAfter?: string | null): ApiFailure {
  const error = body && typeof body === 'object' ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const serverMessage = typeof error?.message === 'string' ? error.message : undefined;
  const kind: ErrorKind =
    code !== undefined && Object.hasOwn(KIND_BY_CODE, code)
      ? KIND_BY_CODE[code as BrowserErrorCode]
      : (BY_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'unknown'));
  const retryAfterS = parseRetryAfter(retryAfter);
  return {
    kind,
    status,
    ...(code ? { code } : {}),
    ...(serverMessage ? { serverMessage } : {}),
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  };
}

/** Maps a thrown fetch error: a timeout we imposed, or the network itself. */
export function failureFromException(err: unknown): ApiFailure {
  const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') return { kind: 'timeout' };
  if (name === 'TypeError') return { kind: 'network' };
  return { kind: 'unknown', ...(err instanceof Error ? { serverMessage: err.message } : {}) };
}
