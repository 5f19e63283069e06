import { negotiateLang, type Lang } from '@petal/catalog';
import { HttpError } from '@petal/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildAnswer } from '../answer.js';
import type { EndpointClient } from '../endpoint-client.js';
import { EndpointCallError } from '../endpoint-errors.js';
import { classifyErrors, classifyResponse, langQuery } from '../schemas.js';
import { readImageUpload } from '../upload.js';

export interface ClassifyRouteOptions {
  client: EndpointClient;
  maxUploadBytes: number;
  confidenceThreshold: number;
  breakerCooldownMs: number;
}

const retryAfterSeconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** Endpoint failures as API errors: the client learns whose fault it was and whether to retry. */
export function endpointErrorToHttp(err: EndpointCallError, cooldownMs: number): HttpError {
  switch (err.kind) {
    case 'bad_input':
      return new HttpError(422, 'IMAGE_REJECTED', `the model could not use this image: ${err.message}`);
    case 'timeout':
      return new HttpError(504, 'ENDPOINT_TIMEOUT', err.message);
    case 'circuit_open':
      return new HttpError(503, 'ENDPOINT_UNAVAILABLE', err.message, {
        'retry-after': retryAfterSeconds(err.options.retryAfterMs ?? cooldownMs),
      });
    case 'unavailable':
    case 'not_found':
      return new HttpError(503, 'ENDPOINT_UNAVAILABLE', err.message, { 'retry-after': retryAfterSeconds(cooldownMs) });
    case 'model_failed':
      return new HttpError(502, 'MODEL_FAILED', err.message);
    case 'bad_response':
      return new HttpError(502, 'BAD_GATEWAY', err.message);
  }
}

export async function classifyRoutes(app: FastifyInstance, options: ClassifyRouteOptions): Promise<void> {
  app.post<{ Querystring: { lang?: Lang } }>(
    '/classify/image',
    {
      schema: {
        summary: 'Classify one flower photo',
        description:
          'Multipart upload, field `file`. The image bytes go to the model endpoint as they are; the answer keeps the reference shape (`result`) and adds the top candidates, the model and whether the model is confident.',
        tags: ['classify'],
        consumes: ['multipart/form-data'],
        querystring: langQuery,
        response: { 200: classifyResponse, ...classifyErrors },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const lang = request.query.lang ?? negotiateLang(request.headers['accept-language']);
      if (options.client.circuitState === 'open') {
        // Fail before reading up to 6 MB of upload that could not be classified anyway.
        throw endpointErrorToHttp(
          new EndpointCallError('circuit_open', 'the model endpoint is unavailable (circuit open)', {
            retryAfterMs: options.client.breaker.retryAfterMs(),
          }),
          options.breakerCooldownMs,
        );
      }
      const upload = await readImageUpload(request, options.maxUploadBytes);
      let prediction;
      try {
        prediction = await options.client.invoke(upload.bytes, { requestId: request.id, contentType: upload.mimeType });
      } catch (err) {
        if (err instanceof EndpointCallError) {
          request.log.warn({ kind: err.kind, reason: err.message }, 'endpoint call failed');
          throw endpointErrorToHttp(err, options.breakerCooldownMs);
        }
        throw err;
      }
      reply.header('content-language', lang).header('vary', 'Accept-Language');
      const answer = buildAnswer(prediction, lang, options.confidenceThreshold, performance.now() - started);
      request.log.info(
        { label: answer.top[0]?.key, probability: answer.result.acc, confident: answer.confident, bytes: upload.bytes.length },
        'classified',
      );
      return answer;
    },
  );
}
