import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_ERRORS, errorBody } from '@petal/contracts';
import { cspWithStyleHashes } from './security.js';

/** Vite content-hashes everything under /assets, so those bytes never change under their name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and unhashed files) must be revalidated so a deploy is picked up on the next load. */
const REVALIDATE = 'no-cache';

export function cacheControlFor(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
}

/**
 * Source maps stay on disk for whoever debugs a deploy but are never served: they would publish the
 * source. Also the build's precompressed copies are only sent through content negotiation, never by name.
 */
export function isServable(urlPath: string): boolean {
  return !/\.(map|br|gz)$/i.test(urlPath);
}

/** CSP hashes ('sha256-…') of the <style> elements a built page carries inline (see inlineCss in vite-plugins.ts). */
export function inlineStyleHashes(html: string): string[] {
  return [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => `sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}`);
}

/** A person's browser asks for a page (Accept: text/html); API clients get the JSON error instead. */
function wantsPage(request: FastifyRequest): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && (request.headers.accept ?? '').includes('text/html');
}

/** Serves the production build of the UI; answers a clear 503 when it has not been built. */
export async function registerStaticUi(app: FastifyInstance, clientDir: string): Promise<boolean> {
  if (!existsSync(join(clientDir, 'index.html'))) {
    app.log.warn({ clientDir }, 'UI build not found; run `npm run build -w @petal/web`');
    app.get('/', async (_request, reply) =>
      reply.code(WEB_ERRORS.UI_NOT_BUILT.status).send(errorBody('UI_NOT_BUILT', WEB_ERRORS.UI_NOT_BUILT.message)),
    );
    return false;
  }
  // The page's own inline stylesheet is allowed by its hash, on the page's answer only.
  const pageCsp = cspWithStyleHashes(inlineStyleHashes(readFileSync(join(clientDir, 'index.html'), 'utf8')));
  await app.register(fastifyStatic, {
    root: clientDir,
    prefix: '/',
    index: ['index.html'],
    // The build writes .br and .gz beside each text file (vite-plugins.ts); the one the browser accepts is
    // sent with Content-Encoding, and Vary: Accept-Encoding on every such answer.
    preCompressed: true,
    allowedPath: (pathName) => isServable(pathName),
    cacheControl: false, // set below per file, not one max-age for all
    setHeaders(reply, filePath) {
      const urlPath = filePath.slice(clientDir.length).replaceAll('\\', '/').replace(/\.(br|gz)$/, '');
      reply.header('cache-control', cacheControlFor(urlPath));
      if (urlPath === '/index.html') reply.header('content-security-policy', pageCsp);
    },
  });

  // Unknown addresses typed or followed by a person get a page of ours with a way back, not a JSON body.
  const notFoundPage = existsSync(join(clientDir, '404.html')) ? readFileSync(join(clientDir, '404.html')) : undefined;
  if (notFoundPage) {
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
      if (reply.statusCode !== 404 || !wantsPage(request)) return payload;
      reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', REVALIDATE).removeHeader('content-length');
      return notFoundPage;
    });
  }
  return true;
}
