import { loadModel } from '@petal/model';
import { HttpError, REQUEST_ID_HEADER, installErrorHandler, registerHttpMetrics, serverOptions } from '@petal/service-kit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { checkAdmin } from './admin-auth.js';
import type { EndpointConfig } from './config.js';
import { createEndpointMetrics } from './endpoint-metrics.js';
import { InferenceQueue } from './inference-queue.js';
import { InvocationError, Invoker } from './invocation.js';
import { ModelHost, ModelLoadError, SwapInProgressError, type ModelLoader, type ModelWarmUp } from './model-host.js';
import { CUSTOM_ATTRIBUTES_HEADER, registerRuntimeApi } from './sagemaker-runtime.js';
import { warmUpModel } from './warm-up.js';

export interface EndpointDeps {
  /** How artifacts are loaded; the real `loadModel` unless a test injects another. */
  loader?: ModelLoader;
  warmUp?: ModelWarmUp;
  fastify?: FastifyServerOptions;
}

export interface Endpoint {
  app: FastifyInstance;
  host: ModelHost;
  queue: InferenceQueue;
  /** Loads (and warms) the configured model; rejects with ModelLoadError on a bad artifact. */
  loadInitialModel(): Promise<void>;
  /** Finishes queued work and disposes models; call after the server stopped accepting. */
  shutdown(): Promise<void>;
}

const swapBody = z.object({ modelDir: z.string().min(1) }).strict();

export function buildEndpoint(config: EndpointConfig, deps: EndpointDeps = {}): Endpoint {
  const app = Fastify(serverOptions('endpoint', { bodyLimit: 64 * 1024, ...deps.fastify }));
  installErrorHandler(app);
  const httpMetrics = registerHttpMetrics(app, 'petal_endpoint');
  const metrics = createEndpointMetrics(httpMetrics.registry);

  const host = new ModelHost(deps.loader ?? defaultLoader(config), deps.warmUp ?? warmUpModel, (current, previous) => {
    metrics.modelChanged(current, previous);
    app.log.info({ model: current, previous: previous && { name: previous.name, version: previous.version } }, 'model in service');
  });
  const queue = new InferenceQueue(
    host,
    {
      maxQueue: config.maxQueue,
      maxBatch: config.maxBatch,
      batchWindowMs: config.batchWindowMs,
      concurrency: config.inferenceConcurrency,
      queueTimeoutMs: config.queueTimeoutMs,
    },
    metrics,
  );
  const invoker = new Invoker(host, queue, { maxInstances: config.maxInstances });

  installConnectionDraining(app);
  // The id a caller sent (or the one we made) goes back, so WAS logs and ours can be joined.
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  const status = () => ({
    status: host.ready ? 'ready' : host.state === 'failed' ? 'failed' : 'loading',
    model: host.summary() ?? null,
    ...(host.lastError ? { lastError: host.lastError } : {}),
  });

  app.get('/health', async () => ({ status: 'ok' }));

  // SageMaker sends traffic only once /ping answers 200, so it waits for a warmed model.
  app.get('/ping', async (_request, reply) => reply.code(host.ready ? 200 : 503).send(status()));

  app.get('/models', async () => ({
    endpointName: config.endpointName,
    ...status(),
    queue: { depth: queue.depth, inFlight: queue.inFlight, retiringLeases: host.retiringInFlight() },
  }));

  app.post('/admin/models', async (request, reply) => {
    checkAdmin(request, config.adminToken);
    const parsed = swapBody.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400, 'VALIDATION_ERROR', 'the body must be {"modelDir": "<model dir or model.tar.gz>"}');
    const previous = host.summary();
    try {
      const model = await host.swap(parsed.data.modelDir);
      return reply.send({ model, previous: previous ?? null });
    } catch (err) {
      if (err instanceof SwapInProgressError) throw new HttpError(409, 'SWAP_IN_PROGRESS', err.message);
      if (err instanceof ModelLoadError) {
        request.log.warn({ location: err.location, reason: err.reason }, 'model swap refused; keeping the current model');
        throw new HttpError(422, 'MODEL_LOAD_FAILED', `${err.message}; still serving ${previous ? `${previous.name}@${previous.version}` : 'no model'}`);
      }
      throw err;
    }
  });

  // The container contract. Bodies of any type arrive as bytes; Invoker decides what it accepts.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxPayloadBytes }, (_req, body, done) => done(null, body));
    scope.post('/invocations', async (request, reply) => {
      try {
        const result = await invoker.invoke({
          contentType: request.headers['content-type'],
          accept: request.headers.accept,
          body: request.body as Buffer | undefined,
        });
        const attributes = request.headers[CUSTOM_ATTRIBUTES_HEADER];
        if (typeof attributes === 'string') reply.header(CUSTOM_ATTRIBUTES_HEADER, attributes);
        return reply.header('content-type', 'application/json').send(JSON.stringify(result));
      } catch (err) {
        if (err instanceof InvocationError) throw new HttpError(err.statusCode, err.code, err.message, err.headers);
        throw err;
      }
    });
  });

  registerRuntimeApi(app, invoker, {
    endpointName: config.endpointName,
    accountId: config.accountId,
    region: config.region,
    maxPayloadBytes: config.maxPayloadBytes,
  });

  return {
    app,
    host,
    queue,
    loadInitialModel: async () => {
      await host.loadInitial(config.modelDir);
    },
    shutdown: async () => {
      await queue.drain();
      await host.close();
    },
  };
}

function defaultLoader(config: EndpointConfig): ModelLoader {
  return (location) =>
    loadModel(location, {
      ...(config.inferenceThreads ? { intraOpThreads: config.inferenceThreads } : {}),
      ...(config.maxInputPixels ? { maxPixels: config.maxInputPixels } : {}),
    });
}

/**
 * Fastify's close() closes the connections idle at that moment, then waits for the rest. Keep-alive
 * clients (the AWS SDK, undici) would hold their sockets open until keepAliveTimeout once their last
 * response is out, stalling shutdown; so while closing, every response says `Connection: close` and
 * connections that fall idle are closed as they do.
 */
function installConnectionDraining(app: FastifyInstance): void {
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    closing = true;
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    sweeper.unref();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    if (sweeper) clearInterval(sweeper);
  });
}
