import type { FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Fastify server options shared by the services: pino JSON logs named after the service, request ids
 * taken from `x-request-id` when a caller (or the tier in front) sent one, so one id follows a request
 * through web → WAS → endpoint.
 */
export function serverOptions(service: string, overrides: FastifyServerOptions = {}): FastifyServerOptions {
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  return {
    logger: {
      level,
      base: { service },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-token"]'],
    },
    requestIdHeader: REQUEST_ID_HEADER,
    requestIdLogLabel: 'requestId',
    genReqId: () => randomUUID(),
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    requestTimeout: 60_000,
    return503OnClosing: true,
    ...overrides,
  };
}
