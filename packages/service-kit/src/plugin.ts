import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { installDraining } from './draining.js';
import { installErrorHandler } from './error-handler.js';
import { installRefusalDrain } from './refusal-drain.js';
import { REQUEST_ID_HEADER } from './logger.js';
import { registerHttpMetrics, type HttpMetrics } from './metrics.js';

export interface PetalServiceOptions {
  /** The service's name: metrics are `petal_<service>_…`. */
  service: string;
  /** A registry the service already made (to build its own metrics before the plugin loads). */
  registry?: Registry;
  /**
   * Serve `GET /metrics` on the service's own port (default true). A public-facing service turns this off
   * and serves the registry on a private port instead (`serveMetrics`).
   */
  metricsRoute?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's Prometheus registry and HTTP metrics; add service metrics to `httpMetrics.registry`. */
    httpMetrics: HttpMetrics;
  }
}

/** The metric prefix every Petal service uses: `petal_<service>`. */
export const metricPrefix = (service: string) => `petal_${service.replace(/[^a-zA-Z0-9_]/g, '_')}`;

/**
 * What every Petal service shares, as one plugin: errors in the catalog's shape (including the framework's
 * 404/400/413/415 and the 503 while draining), Prometheus metrics at `/metrics`, the request id echoed in
 * `x-request-id`, and connection draining on close. Not encapsulated, so it applies to every route.
 */
async function petalServicePlugin(app: FastifyInstance, options: PetalServiceOptions): Promise<void> {
  installErrorHandler(app);
  app.decorate('httpMetrics', registerHttpMetrics(app, metricPrefix(options.service), options.registry, { serveRoute: options.metricsRoute ?? true }));
  // The id a caller can quote when reporting a problem; the same id is in every tier's logs.
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  installDraining(app);
  // After draining's hook, so a refusal whose body is still arriving is read to its end before the close.
  installRefusalDrain(app);
}

export const petalService = fp(petalServicePlugin, { name: '@petal/service-kit', fastify: '5.x' });
