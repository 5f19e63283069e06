import {
  ENDPOINT_ERRORS,
  modelSwapRequestSchema,
  type EndpointModels,
  type EndpointPing,
  type HealthBody,
  type ModelSwapAnswer,
} from '@petal/contracts';
import { loadModel } from '@petal/model';
import { createErrors, petalService, serverOptions } from '@petal/service-kit';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { basename } from 'node:path';
import { Registry } from 'prom-client';
import { checkAdmin } from './admin-auth.js';
import type { EndpointConfig } from './config.js';
import { createEndpointMetrics } from './endpoint-metrics.js';
import { InferenceQueue } from './inference-queue.js';
import { Invoker } from './invocation.js';
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

const fail = createErrors(ENDPOINT_ERRORS);

export function buildEndpoint(config: EndpointConfig, deps: EndpointDeps = {}): Endpoint {
  const app = Fastify(serverOptions('endpoint', { bodyLimit: 64 * 1024, ...deps.fastify }));
  // The registry exists before the plugin loads, so the queue and the host can count from the start.
  const registry = new Registry();
  app.register(petalService, { service: 'endpoint', registry });
  const metrics = createEndpointMetrics(registry);

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
      ...(config.maxRequestPixels ? { maxRequestPixels: config.maxRequestPixels } : {}),
    },
    metrics,
  );
  const invoker = new Invoker(host, queue, { maxInstances: config.maxInstances });

  // Public answers name the model, not where it lies on disk or what the loader said about it (paths,
  // stack-ish texts): those go to the log. Only the admin swap answer carries the full location.
  const status = (): EndpointPing => {
    const summary = host.summary();
    return {
      status: host.ready ? 'ready' : host.state === 'failed' ? 'failed' : 'loading',
      model: summary ? { ...summary, location: basename(summary.location) } : null,
      ...(host.lastError ? { lastError: 'the model could not be loaded; the endpoint log says why' } : {}),
    };
  };

  // Routes are added in plugins registered after petalService, so its hooks (405 detection) see them.
  app.register(async (scope) => {
    scope.get('/health', async (): Promise<HealthBody> => ({ status: 'ok' }));

    // SageMaker sends traffic only once /ping answers 200, so it waits for a warmed model.
    scope.get('/ping', async (_request, reply) => reply.code(host.ready ? 200 : 503).send(status()));

    scope.get('/models', async (): Promise<EndpointModels> => ({
      endpointName: config.endpointName,
      ...status(),
      queue: { depth: queue.depth, inFlight: queue.inFlight, retiringLeases: host.retiringInFlight() },
    }));

    scope.post('/admin/models', async (request, reply) => {
      checkAdmin(request, config.adminToken, config.host);
      const parsed = modelSwapRequestSchema.safeParse(request.body);
      if (!parsed.success) throw fail('VALIDATION_ERROR', 'the body must be {"modelDir": "<model dir or model.tar.gz>"}');
      const previous = host.summary();
      try {
        const model = await host.swap(parsed.data.modelDir);
        const answer: ModelSwapAnswer = { model, previous: previous ?? null };
        return reply.send(answer);
      } catch (err) {
        if (err instanceof SwapInProgressError) throw fail('SWAP_IN_PROGRESS', err.message);
        if (err instanceof ModelLoadError) {
          request.log.warn({ location: err.location, reason: err.reason }, 'model swap refused; keeping the current model');
          throw fail('MODEL_LOAD_FAILED', `${err.message}; still serving ${previous ? `${previous.name}@${previous.version}` : 'no model'}`);
        }
        throw err;
      }
    });
  });

  // The container contract. Bodies of any type arrive as bytes; Invoker decides what it accepts.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxPayloadBytes }, (_req, body, done) => done(null, body));
    scope.post('/invocations', async (request, reply) => {
      const result = await invoker.invoke({
        contentType: request.headers['content-type'],
        accept: request.headers.accept,
        body: request.body as Buffer | undefined,
      });
      const attributes = request.headers[CUSTOM_ATTRIBUTES_HEADER];
      if (typeof attributes === 'string') reply.header(CUSTOM_ATTRIBUTES_HEADER, attributes);
      return reply.header('content-type', 'application/json').send(JSON.stringify(result));
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
  return async (location) => {
    const model = await loadModel(location, {
      ...(config.inferenceThreads ? { intraOpThreads: config.inferenceThreads } : {}),
      ...(config.inferenceSpinning ? { spinning: true } : {}),
      ...(config.maxInputPixels ? { maxPixels: config.maxInputPixels } : {}),
    });
    // The registered identity applies to the configured model only; a swapped-in artifact names itself.
    const override = location === config.modelDir ? config.modelIdentity : undefined;
    return override ? { ...model, identity: { ...model.identity, ...override } } : model;
  };
}
