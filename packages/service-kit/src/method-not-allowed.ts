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
  const matches = (method: string, path: string) => methods.has(method) && router.find(method as FindMyWay.HTTPMethod, path) !== null;
  // A route for this very method that still found nothing (a static file that is not there) is a 404;
  // so is a path only CORS preflight (`OPTIONS *`) or an implicit HEAD knows.
  return (method, path) => {
    if (matches(method, path)) return [];
    const allowed = [...methods].filter((m) => matches(m, path));
    return allowed.some((m) => m !== 'OPTIONS' && m !== 'HEAD') ? allowed : [];
  };
}
