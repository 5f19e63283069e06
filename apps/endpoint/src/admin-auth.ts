import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ENDPOINT_ERRORS } from '@petal/contracts';
import { createErrors } from '@petal/service-kit';

const fail = createErrors(ENDPOINT_ERRORS);

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether the server listens on loopback only (its HOST), so nothing off this machine can reach it. */
export const isLoopbackHost = (host: string): boolean => LOOPBACK.has(host) || host === 'localhost';

/** The Host header's name without the port: `localhost:8080` → `localhost`, `[::1]:8080` → `[::1]`. */
function hostName(header: string | undefined): string {
  if (!header) return '';
  return (header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!).toLowerCase();
}

/**
 * Admin calls need `ADMIN_TOKEN` (as `Authorization: Bearer <token>` or `x-admin-token`). With no token
 * they are allowed only while the server listens on loopback, from loopback, with a loopback `Host`: a
 * web page's script that reached the port through a rebound DNS name sends its own name as Host.
 */
export function checkAdmin(request: FastifyRequest, token: string | undefined, listenHost: string): void {
  if (token === undefined) {
    if (!isLoopbackHost(listenHost)) {
      throw fail('FORBIDDEN', 'admin calls need ADMIN_TOKEN when the endpoint listens beyond loopback');
    }
    if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
      throw fail('FORBIDDEN', 'admin calls are allowed only from loopback unless ADMIN_TOKEN is set');
    }
    if (!LOOPBACK_NAMES.has(hostName(request.headers.host))) {
      throw fail('FORBIDDEN', 'admin calls without ADMIN_TOKEN must name a loopback Host (localhost, 127.0.0.1, [::1])');
    }
    return;
  }
  const auth = request.headers.authorization;
  const header = request.headers['x-admin-token'];
  const given = typeof header === 'string' ? header : auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  if (given === undefined) throw fail('UNAUTHORIZED', undefined, { headers: { 'www-authenticate': 'Bearer' } });
  // Digests of equal length, so the comparison takes the same time whatever the guess, its length included.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!timingSafeEqual(digest(given), digest(token))) throw fail('FORBIDDEN', 'wrong admin token');
}
