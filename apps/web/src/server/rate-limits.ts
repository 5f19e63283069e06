import rateLimit from '@fastify/rate-limit';
import { WEB_ERRORS } from '@petal/contracts';
import { createErrors } from '@petal/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isIPv6 } from 'node:net';
import type { WebConfig } from './config.js';

const fail = createErrors(WEB_ERRORS);

/**
 * The rate-limit key of a client: its address as this server determined it (`request.ip`, which only a
 * configured proxy can influence). An IPv6 client gets its /64: one device or home network can hold
 * addresses across a whole /64, and would otherwise have a fresh budget per address.
 */
export function clientKey(request: FastifyRequest): string {
  const ip = request.ip;
  if (!isIPv6(ip) || ip.startsWith('::ffff:')) return ip;
  const [head = ''] = ip.split('::');
  const groups = head.split(':').filter(Boolean);
  // Fewer than four groups before "::" means the rest of the /64 is zeros.
  return `${[...groups, '0', '0', '0', '0'].slice(0, 4).join(':')}::/64`;
}

export const CLASSIFY_LIMIT = 'classify';

/**
 * Per-client limits at the edge that sees clients: classification (the expensive call) has its own
 * small budget, the other API routes a larger one; the static UI is not limited. Routes opt in with
 * `config: { rateLimit: … }` (`apiLimit`, `classifyLimit`).
 */
export async function registerClientLimits(app: FastifyInstance, config: WebConfig): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    keyGenerator: clientKey,
    errorResponseBuilder: (_request, context) =>
      fail('RATE_LIMITED', `too many requests (${context.max} per ${Math.round(context.ttl / 1000) || 1} s); retry in ${context.after}`),
  });
}

export const classifyLimit = (config: WebConfig) => ({
  max: config.CLASSIFY_RATE_LIMIT_MAX,
  timeWindow: config.RATE_LIMIT_WINDOW_MS,
  keyGenerator: (request: FastifyRequest) => `${CLASSIFY_LIMIT}:${clientKey(request)}`,
});

export const apiLimit = (config: WebConfig) => ({ max: config.RATE_LIMIT_MAX, timeWindow: config.RATE_LIMIT_WINDOW_MS });
