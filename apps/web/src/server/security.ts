import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * A strict CSP: the bundle is self-contained (no CDN, no web fonts, no inline script or style), so the
 * browser may load code and styles from this origin only. Images may also be blob: (the preview of the
 * chosen photo) and data: (the thumbnails kept in sessionStorage).
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  mediaSrc: ["'self'", 'blob:'],
  workerSrc: ["'self'"],
  manifestSrc: ["'self'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * The policy as a header value, with the given inline styles allowed by hash: the page carries its
 * stylesheet inline (one response less before the first paint), and only that exact text may apply.
 */
export function cspWithStyleHashes(hashes: readonly string[]): string {
  const directives: Record<string, readonly string[]> = { ...CSP_DIRECTIVES, styleSrc: [...CSP_DIRECTIVES.styleSrc, ...hashes.map((h) => `'${h}'`)] };
  return Object.entries(directives)
    .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
    .join(';');
}

/**
 * Browser features the page may use: the camera, from this origin only ("Take a photo"); everything
 * else a page could ask for is switched off, for it and for anything it could embed.
 */
export const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'bluetooth=()',
  'midi=()',
  'magnetometer=()',
  'gyroscope=()',
  'accelerometer=()',
  'display-capture=()',
].join(', ');

export async function registerSecurityHeaders(app: FastifyInstance) {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('permissions-policy', PERMISSIONS_POLICY);
  });
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Plain HTTP behind the ALB's :80 listener: HSTS belongs on the TLS terminator, and
    // upgrade-insecure-requests (left out above) would break same-origin calls over http.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
}
