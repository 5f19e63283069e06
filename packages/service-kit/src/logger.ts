import { LogController, type FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { clientErrorHandler } from './client-errors.js';

export const REQUEST_ID_HEADER = 'x-request-id';

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines are what log collectors (CloudWatch, Loki) read; a person at a terminal reads pino-pretty.
 * `LOG_FORMAT` decides; unset, a terminal gets pretty and anything else (a pipe, a container) JSON.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): LogFormat {
  if (env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json') return env.LOG_FORMAT;
  return isTty ? 'pretty' : 'json';
}

/**
 * Fastify server options shared by the services: pino logs named after the service, request ids taken
 * from `x-request-id` when a caller (or the tier in front) sent one, so one id follows a request through
 * web → WAS → endpoint; Node-level client errors in the Petal error shape. Fastify's own 503 while
 * closing is off: `petalService` answers it in the error shape with `Retry-After`.
 */
export function serverOptions(service: string, overrides: FastifyHttpOptions<Server> = {}): FastifyHttpOptions<Server> {
  const requestTimeout = overrides.requestTimeout ?? 60_000;
  const level = process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  const pretty = logFormat() === 'pretty';
  return {
    logger: {
      level,
      base: { service },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-admin-token"]'],
      ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true } } } : {}),
    },
    requestIdHeader: REQUEST_ID_HEADER,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: () => randomUUID(),
    // No idle-socket timeout: it would drop a stalled upload without a word. Node's requestTimeout (the
    // whole request must arrive within it) answers 408 through clientErrorHandler instead, checked every
    // second rather than Node's default 30 s.
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    requestTimeout,
    return503OnClosing: false,
    clientErrorHandler,
    ...overrides,
    // Node misses a stalled body when headersTimeout exceeds requestTimeout, so it never does.
    http: { connectionsCheckingInterval: 1_000, requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), ...overrides.http },
  };
}
