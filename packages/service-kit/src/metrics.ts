import { errorBody } from '@petal/contracts';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
}

/**
 * A Prometheus registry with process metrics and per-route request counters/latency histograms, plus a
 * `GET /metrics` route. The route label is the route pattern, never the raw URL, so cardinality stays bounded.
 */
export function registerHttpMetrics(app: FastifyInstance, prefix: string, registry = new Registry(), { serveRoute = true } = {}): HttpMetrics {
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: `${prefix}_http_requests_total`,
    help: 'HTTP requests by method, route and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request latency by method, route and status',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  // `hide` is @fastify/swagger's schema extension (keeps /metrics out of API docs); cast so this package
  // does not need swagger's type augmentation to compile.
  if (serveRoute) app.get('/metrics', { schema: { hide: true } as FastifySchema }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  return { registry, requests, duration };
}

/**
 * The registry on a port of its own (for a service whose own port is public): a plain HTTP server that
 * answers `GET /metrics` and 404 otherwise. Listen on loopback or a private interface.
 */
export async function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(errorBody('NOT_FOUND', 'only GET /metrics here')));
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(errorBody('INTERNAL_ERROR', 'metrics unavailable'))),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
