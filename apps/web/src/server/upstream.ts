import { WEB_ERRORS, errorBodySchema, type ErrorBody, type WebErrorCode } from '@petal/contracts';
import { HttpError } from '@petal/service-kit';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface UpstreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Uint8Array;
  timeoutMs: number;
  /** Aborts the upstream call when the browser goes away, so the WAS is not left working for nobody. */
  signal?: AbortSignal;
}

/** Response headers by lower-case name (the part of `Headers` the callers use). */
export interface UpstreamHeaders {
  get(name: string): string | null;
}

export interface UpstreamResponse {
  status: number;
  headers: UpstreamHeaders;
  body: Buffer;
  elapsedMs: number;
}

/** What went wrong reaching a tier behind the BFF, in the words the browser and the logs need. */
export class UpstreamError extends HttpError {
  constructor(
    code: Extract<WebErrorCode, 'BAD_GATEWAY' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT'>,
    message: string,
    readonly reason: 'unreachable' | 'timeout' | 'bad_response',
  ) {
    const { status } = WEB_ERRORS[code];
    super(status, code, message, status === 503 ? { 'retry-after': '5' } : {});
    this.name = 'UpstreamError';
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Failures where the upstream did not process the request: a refused or dropped connection. */
const NOT_PROCESSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

/** A draining upstream's refusal (`503 SHUTTING_DOWN`): it did nothing with the request. */
function isShuttingDown(response: UpstreamResponse): boolean {
  if (response.status !== 503) return false;
  const body = parseJson(response.body);
  return isErrorBody(body) && body.error.code === 'SHUTTING_DOWN';
}

/**
 * One call to a service behind the BFF with a hard deadline. Connection failures become 503 (the WAS
 * is down or restarting: worth retrying shortly), deadlines 504; the caller decides what a non-2xx
 * answer means. With `retryOnce`, a call the upstream never processed (connection refused or dropped,
 * or a draining instance's 503) is sent once more on a fresh connection: during a rolling restart that
 * lands on an instance that is up. Only for requests that are safe to repeat (every relayed route is a
 * read or a classification).
 */
export async function callUpstream(service: string, req: UpstreamRequest & { retryOnce?: boolean }): Promise<UpstreamResponse> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const started = performance.now();
  const attempt = async (): Promise<UpstreamResponse> => {
    const { status, headers, body } = await send(req.url, req.method ?? 'GET', req.headers ?? {}, req.body, signal);
    return { status, headers: headersOf(headers), body, elapsedMs: performance.now() - started };
  };
  try {
    let first: UpstreamResponse;
    try {
      first = await attempt();
    } catch (err) {
      if (!req.retryOnce || signal.aborted || !NOT_PROCESSED.has(causeCode(err) ?? '')) throw err;
      return await attempt();
    }
    return req.retryOnce && isShuttingDown(first) ? await attempt() : first;
  } catch (err) {
    if (timeout.aborted) {
      throw new UpstreamError('UPSTREAM_TIMEOUT', `the ${service} did not answer within ${req.timeoutMs} ms`, 'timeout');
    }
    if (req.signal?.aborted) throw err;
    const code = causeCode(err);
    if (code === undefined || CONNECT_ERRORS.has(code) || code.startsWith('UND_ERR')) {
      throw new UpstreamError('UPSTREAM_UNAVAILABLE', `the ${service} cannot be reached right now`, 'unreachable');
    }
    throw new UpstreamError('BAD_GATEWAY', `the ${service} answered in a way the web tier cannot use`, 'bad_response');
  }
}

// Kept-alive connections to the WAS. node:http rather than fetch: fetch sends a body as a stream (headers,
// then each chunk, each its own write) and builds WHATWG objects per call; this writes headers and body
// in one go and was the larger part of the BFF's own time per relayed photo.
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

function headersOf(raw: IncomingHttpHeaders): UpstreamHeaders {
  return {
    get: (name) => {
      const value = raw[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  signal: AbortSignal,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    const request = (https ? httpsRequest : httpRequest)(
      target,
      {
        method,
        headers: body ? { ...headers, 'content-length': String(body.byteLength) } : headers,
        agent: https ? agents['https:'] : agents['http:'],
        signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.end(body);
  });
}

/** Parses a JSON body; undefined when the bytes are not JSON (an HTML error page from a proxy, say). */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return errorBodySchema.safeParse(value).success;
}
