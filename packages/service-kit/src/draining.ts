import { COMMON_ERRORS } from '@petal/contracts';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/**
 * While the server closes: new requests get `503 SHUTTING_DOWN` with `Retry-After` (so a load balancer or
 * the tier in front retries elsewhere), every response says `Connection: close`, and connections that fall
 * idle are closed as they do. Fastify's close() closes only the connections idle at that moment, so
 * keep-alive clients (the AWS SDK, undici) would otherwise hold their sockets until keepAliveTimeout.
 */
export function installDraining(app: FastifyInstance, retryAfterSeconds = 1): void {
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    sweeper.unref();
  });
  app.addHook('onRequest', async () => {
    if (closing) {
      throw new HttpError(503, 'SHUTTING_DOWN', COMMON_ERRORS.SHUTTING_DOWN.message, {
        'retry-after': String(retryAfterSeconds),
        connection: 'close',
      });
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    if (sweeper) clearInterval(sweeper);
  });
}
