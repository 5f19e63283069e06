export type ErrorKind =
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

/** Kinds worth a "try again" button: the same photo may well work a moment later. */
export const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['rate_limited', 'busy', 'timeout', 'unavailable', 'network', 'bad_response', 'unknown']);

const CODE_HINTS: Array<[RegExp, ErrorKind]> = [
  [/TOO_LARGE|FILE_SIZE|FILES_LIMIT/i, 'too_large'],
  [/NOT_AN_IMAGE|UNSUPPORTED_MEDIA|INVALID_MEDIA|NOT_IMAGE/i, 'not_image'],
  [/CORRUPT|TOO_MANY_PIXELS|UNREADABLE|DECODE/i, 'unreadable'],
  [/MISSING_FILE|NO_FILE|EMPTY_INPUT/i, 'missing_file'],
];

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
 * Maps an HTTP error answer to a kind. The status decides (it is the contract); the error code only
 * sharpens a 400 or 422 whose code names the problem, since services word codes differently.
 */
export function failureFromResponse(status: number, body: unknown, retryAfter?: string | null): ApiFailure {
  const error = body && typeof body === 'object' ? (body as { error?: { code?: unknown; message?: unknown } }).error : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const serverMessage = typeof error?.message === 'string' ? error.message : undefined;
  let kind: ErrorKind = BY_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'unknown');
  if (code && (status === 400 || status === 422 || !(status in BY_STATUS))) {
    const hinted = CODE_HINTS.find(([re]) => re.test(code));
    if (hinted) kind = hinted[1];
  }
  if (status === 503 && code && /UNAVAILABLE|DOWN|UNREACHABLE/i.test(code)) kind = 'unavailable';
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
