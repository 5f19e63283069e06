import { errorBodySchema } from '@petal/contracts';
import { CircuitOpenError } from './circuit-breaker.js';

/** What went wrong calling the model endpoint, in terms the API answers with. */
export type EndpointFailureKind =
  | 'bad_input' // the model rejected the image (ModelError with a 4xx original status)
  | 'model_failed' // the model container failed on a valid request (ModelError 5xx)
  | 'busy' // the endpoint answered that it is at capacity (throttling, its queue full): alive, not faulty
  | 'unavailable' // connection refused/reset, 5xx, model not ready
  | 'timeout' // no answer within ENDPOINT_TIMEOUT_MS
  | 'not_found' // no such endpoint (ValidationError)
  | 'circuit_open' // not called at all: the circuit breaker is open
  | 'bad_response'; // answered, but not with predictions we understand

export class EndpointCallError extends Error {
  constructor(
    readonly kind: EndpointFailureKind,
    message: string,
    readonly options: { retryAfterMs?: number; originalStatus?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EndpointCallError';
  }
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNABORTED',
]);

const UNAVAILABLE_ERROR_NAMES = new Set([
  'ServiceUnavailable',
  'ThrottlingException',
  'ModelNotReadyException',
  'InternalFailure',
  'InternalDependencyException',
  'TimeoutError', // the SDK's connection timeout
]);

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  OriginalStatusCode?: number;
  OriginalMessage?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The container's own words: OriginalMessage is its response body, a Petal JSON error or plain text. */
function containerMessage(original: string | undefined): string | undefined {
  if (original === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(original);
  } catch {
    // not JSON: another container's plain text; use it as it is
  }
  const body = errorBodySchema.safeParse(json);
  return body.success ? body.data.error.message : original.slice(0, 500);
}

/** Maps an error from one InvokeEndpoint attempt to an EndpointCallError. `timedOut`: our own deadline fired. */
export function classifyEndpointError(err: unknown, timedOut: boolean, timeoutMs: number): EndpointCallError {
  if (err instanceof EndpointCallError) return err;
  if (err instanceof CircuitOpenError) {
    return new EndpointCallError('circuit_open', 'the model endpoint is unavailable (circuit open)', {
      retryAfterMs: err.retryAfterMs,
      cause: err,
    });
  }
  if (timedOut) {
    return new EndpointCallError('timeout', `the model endpoint did not answer within ${timeoutMs} ms`, { cause: err });
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'ModelError') {
    const original = e.OriginalStatusCode;
    const detail = containerMessage(e.OriginalMessage) ?? e.message ?? 'model error';
    if (original !== undefined && original >= 400 && original < 500) {
      return new EndpointCallError('bad_input', detail, { originalStatus: original, cause: err });
    }
    return new EndpointCallError('model_failed', `the model failed: ${detail}`, { originalStatus: original, cause: err });
  }
  if (e.name === 'ValidationError') {
    if (/endpoint/i.test(e.message ?? '') && /not found|does not exist|could not find/i.test(e.message ?? '')) {
      return new EndpointCallError('not_found', e.message ?? 'model endpoint not found', { cause: err });
    }
    return new EndpointCallError('bad_response', `the model endpoint rejected the call: ${e.message ?? 'validation error'}`, {
      cause: err,
    });
  }
  // Backpressure: a live endpoint refusing work it has no room for. Counting it towards the circuit would
  // turn a burst into a 10 s outage after the burst; retrying it would add to the burst.
  if (e.name === 'ThrottlingException' || status === 429 || (e.name === 'ServiceUnavailable' && status === 503)) {
    return new EndpointCallError('busy', 'the model endpoint is busy; retry shortly', { cause: err });
  }
  const code = e.code ?? (err as { cause?: { code?: string } } | undefined)?.cause?.code;
  if (
    UNAVAILABLE_ERROR_NAMES.has(e.name ?? '') ||
    (code !== undefined && CONNECTION_ERROR_CODES.has(code)) ||
    (status !== undefined && (status >= 500 || status === 429))
  ) {
    return new EndpointCallError('unavailable', `the model endpoint is unavailable (${e.name ?? code ?? status})`, {
      cause: err,
    });
  }
  return new EndpointCallError('bad_response', `unexpected answer from the model endpoint (${e.name ?? 'error'})`, {
    cause: err,
  });
}

/** Throttling, 5xx and connection failures are worth another try (with jitter); a timeout already used the time budget. */
export const isRetryable = (err: unknown): boolean =>
  err instanceof EndpointCallError && (err.kind === 'unavailable' || err.kind === 'busy');

/** Failures that say the endpoint is unhealthy (and so count towards opening the circuit). */
export const isEndpointFault = (err: unknown): boolean =>
  err instanceof EndpointCallError && (err.kind === 'unavailable' || err.kind === 'timeout' || err.kind === 'model_failed');
