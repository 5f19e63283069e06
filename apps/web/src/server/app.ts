import { existsSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { metricPrefix, petalService, serverOptions } from '@petal/service-kit';
import type { WebConfig } from './config.js';
import { registerConsole } from './console/index.js';
import { registerProxyRoutes, type ModelSightings } from './proxy-routes.js';
import { registerClientLimits } from './rate-limits.js';
import { registerSecurityHeaders } from './security.js';
import { registerStaticUi } from './static-ui.js';
import { registerStatusRoute } from './status-route.js';
import { createUpstreamMetrics } from './upstream-metrics.js';

/** This package's version, from src/server (sources) or dist/node/server (compiled): one level apart. */
function ownVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@petal/web' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

const VERSION = ownVersion();

export interface BuildOptions {
  /** Fastify logger override (tests pass false). */
  logger?: boolean;
}

/** The web tier: the built UI, its health, and the BFF relay to the WAS. */
export async function buildApp(config: WebConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(
    serverOptions('web', {
      ...(options.logger === false ? { logger: false } : {}),
      // Leaves room for a slow phone upload plus the WAS's own deadline.
      requestTimeout: config.WAS_TIMEOUT_MS + 30_000,
      // request.ip is the client: the socket's address, or the ALB's X-Forwarded-For entry when the socket
      // is one of the configured proxies. The relay passes exactly that address on to the WAS.
      trustProxy: config.TRUSTED_PROXIES.length > 0 ? config.TRUSTED_PROXIES : false,
    }),
  );
  // This port is public: /metrics is served on METRICS_PORT instead (main.ts).
  await app.register(petalService, { service: 'web', metricsRoute: false });
  await registerClientLimits(app, config);
  const upstream = createUpstreamMetrics(app.httpMetrics.registry, metricPrefix('web'));
  await registerSecurityHeaders(app);

  app.get('/health', async () => ({ status: 'ok', service: 'web', version: VERSION }));
  const sightings: ModelSightings = { last: null };
  registerStatusRoute(app, config, upstream, VERSION, sightings);
  await app.register(async (scope) => registerProxyRoutes(scope, config, upstream, sightings));
  await registerConsole(app, { clientDir: config.CLIENT_DIR });
  await registerStaticUi(app, config.CLIENT_DIR);
  return app;
}
