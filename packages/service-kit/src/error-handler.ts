import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError, errorBody } from './errors.js';

/**
 * Every error leaves as `{"error": {"code", "message"}}` with the right status: HttpErrors as they say,
 * Fastify's own client errors (bad JSON, body too large, unsupported media type, validation) as 4xx with
 * their code, anything unexpected as a 500 whose message does not leak internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) {
      if (err.statusCode >= 500) request.log.error({ err }, err.message);
      return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.code, err.message, err.details));
    }
    const status = err.statusCode ?? 500;
    if (err.validation) {
      return reply.code(400).send(errorBody('VALIDATION_ERROR', err.message));
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).send(errorBody(err.code ?? 'BAD_REQUEST', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('INTERNAL_ERROR', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
