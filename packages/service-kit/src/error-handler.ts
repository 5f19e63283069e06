import { COMMON_ERRORS, errorBody, type CommonErrorCode } from '@petal/contracts';
import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { trackRouteMethods } from './method-not-allowed.js';

/** Fastify's own error codes, as the catalog names them. */
const FRAMEWORK_CODES: Readonly<Record<string, CommonErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'VALIDATION_ERROR',
};

/** The catalog code for a client error whose thrower did not say one (a plugin's, or the framework's). */
function commonCode(status: number): CommonErrorCode {
  const found = Object.entries(COMMON_ERRORS).find(([, spec]) => spec.status === status);
  return (found?.[0] as CommonErrorCode | undefined) ?? 'BAD_REQUEST';
}

/**
 * Every error leaves as `{"error": {"code", "message"}}` with a catalog code and the right status:
 * HttpErrors as they say, Fastify's own client errors (bad JSON, body too large, unsupported media type,
 * validation, bad URL) mapped to the common catalog, anything unexpected as a 500 whose message does not
 * leak internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      if (err.statusCode >= 500) request.log.error({ err }, err.message);
      return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.code, err.message, err.details));
    }
    if (err.validation) {
      return reply.code(400).send(errorBody('VALIDATION_ERROR', err.message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = (err.code ? FRAMEWORK_CODES[err.code] : undefined) ?? commonCode(status);
      // The catalog's status, so a code never leaves with two different statuses.
      return reply.code(COMMON_ERRORS[code].status).send(errorBody(code, err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('INTERNAL_ERROR', COMMON_ERRORS.INTERNAL_ERROR.message));
  });
  const allowedMethods = trackRouteMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = allowedMethods(request.method, path);
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`));
    }
    return reply.code(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${path}`));
  });
}
