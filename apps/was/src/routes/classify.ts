import { negotiateLang, type Lang } from '@petal/catalog';
import { WAS_ERRORS } from '@petal/contracts';
import { createErrors, type HttpError } from '@petal/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildAnswer } from '../answer.js';
import { EndpointCallError } from '../endpoint-errors.js';
import { classifyErrors, classifyResponse, langQuery } from '../schemas.js';
import { readImageUpload } from '../upload.js';

const fail = createErrors(WAS_ERRORS);

export interface ClassifyRouteOptions {
  maxUploadBytes: number;
  confidenceThreshold: number;
  breakerCooldownMs: number;
}

/** Room for the multipart envelope (boundaries, part headers) around the largest image. */
export const MULTIPART_ENVELOPE_BYTES = 64 * 1024;

const retryAfterSeconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** Endpoint failures as API errors: the client learns whose fault it was and whether to retry. */
export function endpointErrorToHttp(err: EndpointCallError, cooldownMs: number): HttpError {
  switch (err.kind) {
    case 'bad_input':
      return fail('IMAGE_REJECTED', `the model could not use this image: ${err.message}`);
    case 'timeout':
      return fail('ENDPOINT_TIMEOUT', err.message);
    case 'circuit_open':
      return fail('ENDPOINT_UNAVAILABLE', err.message, {
        headers: { 'retry-after': retryAfterSeconds(err.options.retryAfterMs ?? cooldownMs) },
      });
    case 'busy':
      // Capacity frees up within a second or so; the circuit stays closed.
      return fail('ENDPOINT_UNAVAILABLE', err.message, { headers: { 'retry-after': '1' } });
    case 'unavailable':
    case 'not_found':
      return fail('ENDPOINT_UNAVAILABLE', err.message, { headers: { 'retry-after': retryAfterSeconds(cooldownMs) } });
    case 'model_failed':
      return fail('MODEL_FAILED', err.message);
    case 'bad_response':
      return fail('BAD_GATEWAY', err.message);
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
      // A declared length beyond the limit is refused before a byte of the body is read (or waited for).
      onRequest: async (request) => {
        const declared = Number(request.headers['content-length']);
        if (declared > options.maxUploadBytes + MULTIPART_ENVELOPE_BYTES) {
          throw fail('FILE_TOO_LARGE', `the upload (${declared} bytes) is larger than the ${options.maxUploadBytes}-byte image limit`);
        }
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const lang = request.query.lang ?? negotiateLang(request.headers['accept-language']);
      const client = app.endpoint;
      if (client.circuitState === 'open') {
        // Fail before reading up to 6 MB of upload that could not be classified anyway.
        throw endpointErrorToHttp(
          new EndpointCallError('circuit_open', 'the model endpoint is unavailable (circuit open)', {
            retryAfterMs: client.breaker.retryAfterMs(),
          }),
          options.breakerCooldownMs,
        );
      }
      const upload = await readImageUpload(request, options.maxUploadBytes);
      let prediction;
      try {
        prediction = await client.invoke(upload.bytes, { requestId: request.id, contentType: upload.mimeType });
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
