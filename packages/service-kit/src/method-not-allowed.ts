import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';

/**
 * Remembers every route's methods so the not-found handler can tell "no such route" (404) from "this
 * route, but not with this method" (405 with `Allow`), which Fastify itself answers as 404.
 */
export function trackRouteMethods(app: FastifyInstance): (method: string, path: string) => string[] {
  const router = FindMyWay();
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      methods.add(method);
      try {
        router.on(method as FindMyWay.HTTPMethod, route.url, () => undefined);
      } catch {
        // The same method and path registered twice (HEAD beside GET, say): one entry is enough.
      }
    }
  });
  return (method, path) => [...methods].filter((m) => m !== method && router.find(m as FindMyWay.HTTPMethod, path) !== null);
}
