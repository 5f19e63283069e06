import {
  WEB_ERRORS,
  checkContract,
  classifyAnswerSchema,
  errorBodySchema,
  flowerAnswerSchema,
  flowersAnswerSchema,
  type ModelInfo,
} from '@petal/contracts';
import { REQUEST_ID_HEADER, createErrors, errorBody } from '@petal/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod/mini';
import type { WebConfig } from './config.js';
import { fromIdentity } from './model-info.js';
import { UpstreamError, callUpstream, parseJson } from './upstream.js';
import type { UpstreamMetrics } from './upstream-metrics.js';
import { apiLimit, classifyLimit } from './rate-limits.js';

const fail = createErrors(WEB_ERRORS);
/** Seconds a browser waits before retrying when the WAS is unavailable and did not say. */
const UNAVAILABLE_RETRY_AFTER_S = '5';

/**
 * The model named in the latest classification answer. On AWS the web tier cannot reach the SageMaker
 * endpoint, and the WAS's readiness says nothing about the model, so this is how the status page can
 * still name it.
 */
export interface ModelSightings {
  last: ModelInfo | null;
}

/** Request headers the WAS needs to see; everything else (cookies, auth) stays at the edge. */
const FORWARDED_REQUEST_HEADERS = ['accept-language', 'content-type', 'user-agent'] as const;
/** Response headers worth passing back to the browser. */
const FORWARDED_RESPONSE_HEADERS = ['retry-after', 'content-language', 'cache-control', 'etag'] as const;

function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller.signal;
}

function upstreamHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {
    [REQUEST_ID_HEADER]: request.id,
    accept: 'application/json',
    // The client as this tier determined it, and nothing the client wrote: the WAS trusts this header
    // from the BFF's address only, and keys its own rate limit on it.
    'x-forwarded-for': request.ip,
  };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function queryString(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q === -1 ? '' : request.url.slice(q);
}

interface Relay<T> {
  path: string;
  /** The contract of the WAS's 2xx answer on this route. */
  answer: z.ZodMiniType<T>;
  body?: Buffer;
  /** Called with each valid 2xx answer. */
  onAnswer?: (answer: T) => void;
}

/**
 * Relays one request to the WAS and its answer back. Answers that keep the contract (the route's answer
 * schema for 2xx, the error body otherwise) pass through with their status; one that does not becomes a
 * 502 naming the field that was wrong (a 4xx keeps its status), so the browser always gets either a
 * contract answer or `{"error": {...}}` to show.
 */
async function relay<T>(
  app: FastifyInstance,
  config: WebConfig,
  metrics: UpstreamMetrics,
  request: FastifyRequest,
  reply: FastifyReply,
  { path, answer, body, onAnswer }: Relay<T>,
) {
  const route = request.routeOptions.url ?? path;
  let outcome = 'error';
  const end = metrics.duration.startTimer({ target: 'was', route });
  try {
    const upstream = await callUpstream('classification service', {
      url: `${config.WAS_URL}${path}${queryString(request)}`,
      method: body ? 'POST' : 'GET',
      headers: upstreamHeaders(request),
      ...(body ? { body } : {}),
      timeoutMs: config.WAS_TIMEOUT_MS,
      signal: abortOnDisconnect(reply),
      retryOnce: true,
    });
    const json = parseJson(upstream.body);
    outcome = String(upstream.status);
    reply.header(REQUEST_ID_HEADER, request.id);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers.get(name);
      if (value) reply.header(name, value);
    }
    const ok = upstream.status >= 200 && upstream.status < 300;
    const checked = json === undefined ? { ok: false as const, problem: 'not JSON' } : checkContract<unknown>(ok ? answer : errorBodySchema, json);
    // A 503 is always "come back shortly", whatever else the WAS said: never a 502.
    if (upstream.status === 503 && !upstream.headers.get('retry-after')) reply.header('retry-after', UNAVAILABLE_RETRY_AFTER_S);
    if (!checked.ok) {
      app.log.warn({ status: upstream.status, path, requestId: request.id, problem: checked.problem }, 'WAS answered outside the contract');
      if (upstream.status === 503) {
        return reply.code(503).send(errorBody('UPSTREAM_UNAVAILABLE', WEB_ERRORS.UPSTREAM_UNAVAILABLE.message));
      }
      const clientError = upstream.status >= 400 && upstream.status < 500;
      return reply
        .code(clientError ? upstream.status : WEB_ERRORS.BAD_GATEWAY.status)
        .send(
          errorBody(
            clientError ? 'UPSTREAM_ERROR' : 'BAD_GATEWAY',
            `the classification service answered ${upstream.status} outside its contract (${checked.problem})`,
          ),
        );
    }
    if (ok) onAnswer?.(checked.value as T);
    // The checked value, not the raw JSON: fields the contract does not know stay behind.
    return reply.code(upstream.status).type('application/json; charset=utf-8').send(checked.value);
  } catch (err) {
    if (err instanceof UpstreamError) {
      outcome = err.reason;
      request.log.warn({ reason: err.reason, path }, err.message);
      return reply.code(err.statusCode).headers(err.headers).header(REQUEST_ID_HEADER, request.id).send(errorBody(err.code, err.message));
    }
    if (reply.raw.destroyed) {
      outcome = 'client_closed';
      return reply;
    }
    throw err;
  } finally {
    end({ outcome });
  }
}

/**
 * The BFF's relay of the WAS API: the browser only ever talks to this origin (one CSP, no CORS), and
 * the WAS stays on the private network.
 */
export async function registerProxyRoutes(app: FastifyInstance, config: WebConfig, metrics: UpstreamMetrics, sightings: ModelSightings) {
  // Uploads are relayed byte for byte (the WAS parses the multipart); buffering them here caps their size
  // before any WAS resources are spent and lets a failed relay answer cleanly.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: config.MAX_UPLOAD_BYTES }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const mb = (config.MAX_UPLOAD_BYTES / (1024 * 1024)).toFixed(0);
      throw fail('PAYLOAD_TOO_LARGE', `the photo is larger than the ${mb} MB the service accepts`);
    }
    throw err; // everything else: service-kit's handler in the parent scope
  });

  app.post('/classify/image', { config: { rateLimit: classifyLimit(config) } }, async (request, reply) => {
    const contentType = request.headers['content-type'] ?? '';
    if (!Buffer.isBuffer(request.body) || !contentType.toLowerCase().startsWith('multipart/form-data')) {
      throw fail('UNSUPPORTED_MEDIA_TYPE', 'send the photo as multipart/form-data in the field "file"');
    }
    return relay(app, config, metrics, request, reply, {
      path: '/classify/image',
      answer: classifyAnswerSchema,
      body: request.body,
      onAnswer: (answer) => {
        sightings.last = fromIdentity(answer.model);
      },
    });
  });

  app.get('/flowers', { config: { rateLimit: apiLimit(config) } }, async (request, reply) => relay(app, config, metrics, request, reply, { path: '/flowers', answer: flowersAnswerSchema }));

  app.get<{ Params: { no: string } }>('/flowers/:no', { config: { rateLimit: apiLimit(config) } }, async (request, reply) =>
    relay(app, config, metrics, request, reply, { path: `/flowers/${encodeURIComponent(request.params.no)}`, answer: flowerAnswerSchema }),
  );
}
