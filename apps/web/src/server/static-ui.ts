import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { WEB_ERRORS, errorBody } from '@petal/contracts';

/** Vite content-hashes everything under /assets, so those bytes never change under their name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html (and unhashed files) must be revalidated so a deploy is picked up on the next load. */
const REVALIDATE = 'no-cache';

export function cacheControlFor(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
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
  await app.register(fastifyStatic, {
    root: clientDir,
    prefix: '/',
    index: ['index.html'],
    cacheControl: false, // set below per file, not one max-age for all
    setHeaders(reply, filePath) {
      const urlPath = filePath.slice(clientDir.length).replaceAll('\\', '/');
      reply.header('cache-control', cacheControlFor(urlPath));
    },
  });
  return true;
}
