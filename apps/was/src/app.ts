import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { WAS_ERRORS } from '@petal/contracts';
import { REQUEST_ID_HEADER, createErrors, petalService, serverOptions } from '@petal/service-kit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { WasConfig } from './config.js';
import { EndpointClient, endpointClientOptions } from './endpoint-client.js';
import { createEndpointMetrics } from './metrics.js';
import { classifyRoutes } from './routes/classify.js';
import { flowerRoutes } from './routes/flowers.js';
import { healthRoutes } from './routes/health.js';
import { classifyBodyDoc, errorSchema } from './schemas.js';

export interface WasApp {
  app: FastifyInstance;
  client: EndpointClient;
}

const VERSION = '0.1.0';

declare module 'fastify' {
  interface FastifyInstance {
    /** The model endpoint client (the AWS SDK with deadlines, retries and a circuit breaker). */
    endpoint: EndpointClient;
  }
}

const fail = createErrors(WAS_ERRORS);

/** Builds the WAS (not listening yet). The endpoint client is closed with the app. */
export async function buildApp(config: WasConfig, serverOverrides: FastifyServerOptions = {}): Promise<WasApp> {
  const app = Fastify(
    serverOptions('was', {
      // X-Forwarded-For counts only from the configured proxies (the web BFF, an internal ALB): request.ip is
      // then the client they saw, and anyone else's header is ignored.
      trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
      ...serverOverrides,
    }),
  );
  await app.register(petalService, { service: 'was' });
  const client = new EndpointClient({
    ...endpointClientOptions(config),
    metrics: createEndpointMetrics(app.httpMetrics.registry),
    log: app.log,
  });
  app.decorate('endpoint', client);
  app.addHook('onClose', async () => client.destroy());
  app.addSchema(errorSchema);

  await app.register(helmet, {
    // Plain HTTP behind an internal ALB: upgrading sub-requests to https would break /docs on a LAN address.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length > 0 ? config.corsOrigins : false,
    methods: ['GET', 'POST'],
    exposedHeaders: ['retry-after', REQUEST_ID_HEADER, 'content-language'],
    maxAge: 600,
  });
  await app.register(rateLimit, {
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    errorResponseBuilder: (_request, context) =>
      fail('RATE_LIMITED', `rate limit exceeded (${context.max} requests per window); retry in ${context.after}`),
  });
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1 } });

  if (config.docsEnabled) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Petal WAS API',
          version: VERSION,
          description: 'Flower photo classification: upload validation, model endpoint calls, localized answers.',
        },
        tags: [{ name: 'classify' }, { name: 'catalog' }, { name: 'health' }],
      },
      transform: ({ schema, url }) => {
        if (url !== '/classify/image' || !schema) return { schema, url };
        // The multipart body is read as a stream by the handler; describe it here for the document only.
        return { schema: { ...schema, body: classifyBodyDoc }, url };
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP:
        "default-src 'self'; base-uri 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
      uiConfig: { validatorUrl: null },
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  await app.register(healthRoutes, { runtimeUrl: config.runtimeUrl, readyTimeoutMs: config.readyTimeoutMs });
  await app.register(flowerRoutes);
  await app.register(classifyRoutes, {
    maxUploadBytes: config.maxUploadBytes,
    confidenceThreshold: config.confidenceThreshold,
    breakerCooldownMs: config.breakerCooldownMs,
  });
  return { app, client };
}
