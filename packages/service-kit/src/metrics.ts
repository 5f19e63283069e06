import type { FastifyInstance, FastifySchema } from 'fastify';
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
export function registerHttpMetrics(app: FastifyInstance, prefix: string, registry = new Registry()): HttpMetrics {
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
  app.get('/metrics', { schema: { hide: true } as FastifySchema }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  return { registry, requests, duration };
}
