import { COMMON_ERRORS, errorBody, type CommonErrorCode } from '@petal/contracts';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Errors Node's HTTP parser raises before Fastify sees a request, by their catalog code. */
function codeFor(err: NodeJS.ErrnoException): CommonErrorCode {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'REQUEST_TIMEOUT';
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'HEADERS_TOO_LARGE';
  if (err.code === 'HPE_URI_TOO_LONG') return 'URI_TOO_LONG';
  return 'BAD_REQUEST';
}

const MESSAGES: Partial<Record<CommonErrorCode, string>> = {
  BAD_REQUEST: 'the request is not valid HTTP',
};

/**
 * Fastify's `clientErrorHandler`: a malformed request, headers over the limit or a request that took too
 * long to arrive get the same `{"error": {"code", "message"}}` body as everything else (Fastify's default
 * writes its own shape), then the connection closes, as Node itself would.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // An answer already under way (a refusal whose body is being discarded) cannot get a second one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const code = codeFor(err);
  const { status } = COMMON_ERRORS[code];
  const body = JSON.stringify(errorBody(code, MESSAGES[code] ?? COMMON_ERRORS[code].message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
