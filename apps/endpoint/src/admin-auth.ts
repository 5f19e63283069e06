import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ENDPOINT_ERRORS } from '@petal/contracts';
import { createErrors } from '@petal/service-kit';

const fail = createErrors(ENDPOINT_ERRORS);

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Admin calls need `ADMIN_TOKEN` (as `Authorization: Bearer <token>` or `x-admin-token`); with no token
 * configured they are allowed only from loopback, i.e. from an operator on the same host.
 */
export function checkAdmin(request: FastifyRequest, token: string | undefined): void {
  if (token === undefined) {
    if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
      throw fail('FORBIDDEN', 'admin calls are allowed only from loopback unless ADMIN_TOKEN is set');
    }
    return;
  }
  const auth = request.headers.authorization;
  const header = request.headers['x-admin-token'];
  const given = typeof header === 'string' ? header : auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  if (given === undefined) throw fail('UNAUTHORIZED', undefined, { headers: { 'www-authenticate': 'Bearer' } });
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw fail('FORBIDDEN', 'wrong admin token');
}
