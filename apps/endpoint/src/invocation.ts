import { ENDPOINT_ERRORS, type EndpointErrorCode, type InvocationAnswer } from '@petal/contracts';
import { sniffImageFormat } from '@petal/imaging';
import type { Classification } from '@petal/model';
import { HttpError, createErrors } from '@petal/service-kit';
import {
  ModelChangedError,
  ModelUnavailableError,
  QueueClosedError,
  QueueFullError,
  QueueTimeoutError,
  type InferenceInput,
  type InferenceQueue,
} from './inference-queue.js';
import { PayloadError, parseInstancesJson } from './json-instances.js';
import type { ModelHost } from './model-host.js';

/** Content types the container contract accepts as raw image bytes (the real format is sniffed). */
export const IMAGE_CONTENT_TYPES = new Set([
  'image/jpeg',
  'image/jpg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
  'application/x-image',
]);
export const JSON_CONTENT_TYPE = 'application/json';

/** Refusals of the container contract: statuses and default messages come from the endpoint's catalog. */
export const invocationError = createErrors(ENDPOINT_ERRORS);

export interface InvocationRequest {
  contentType: string | undefined;
  accept: string | undefined;
  body: Buffer | undefined;
}

export function mediaType(header: string | undefined): string | undefined {
  const type = header?.split(';', 1)[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** Whether the client accepts JSON; absent, `*\/*`, `application/*` and `application/json` all do (unless q=0). */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) === 0) return false;
    return type === '*/*' || type === 'application/*' || type === JSON_CONTENT_TYPE;
  });
}

export interface InvokerOptions {
  maxInstances: number;
}

/** Turns a request body into model input, runs it through the queue and shapes the TF-Serving answer. */
export class Invoker {
  constructor(
    private readonly host: ModelHost,
    private readonly queue: InferenceQueue,
    private readonly options: InvokerOptions,
  ) {}

  async invoke(request: InvocationRequest): Promise<InvocationAnswer & Required<Pick<InvocationAnswer, 'labels' | 'model'>>> {
    if (!acceptsJson(request.accept)) {
      throw invocationError('NOT_ACCEPTABLE', `cannot answer in ${request.accept}; this model answers application/json`);
    }
    const input = this.parse(request);
    let result;
    try {
      result = await this.queue.submit(input);
    } catch (err) {
      throw toInvocationError(err);
    }
    return {
      predictions: result.classifications.map((c: Classification) => c.probabilities),
      labels: result.classifications[0]?.labels ?? [],
      model: result.model,
      ...outOfScopeOf(result.classifications),
    };
  }

  private parse(request: InvocationRequest): InferenceInput {
    const type = mediaType(request.contentType);
    const body = request.body ?? Buffer.alloc(0);
    if (type === undefined) {
      throw invocationError('UNSUPPORTED_MEDIA_TYPE', `a Content-Type is required: ${supportedTypes()}`);
    }
    if (IMAGE_CONTENT_TYPES.has(type)) {
      if (body.length === 0) throw invocationError('EMPTY_INPUT', 'the request body is empty; send the image bytes');
      // The declared type is only a hint; the bytes decide what this is.
      if (sniffImageFormat(body) === undefined) {
        throw invocationError('NOT_AN_IMAGE', `the body (${type}) is not a JPEG, PNG, WebP, GIF, AVIF or TIFF image`);
      }
      return { kind: 'images', images: [body] };
    }
    if (type === JSON_CONTENT_TYPE) {
      const summary = this.host.summary();
      if (!summary) throw invocationError('MODEL_LOADING', undefined, { headers: { 'retry-after': '5' } });
      try {
        const input = parseInstancesJson(body, { inputSize: summary.inputSize, maxInstances: this.options.maxInstances });
        if (input.kind === 'images') {
          input.images.forEach((image, i) => {
            if (sniffImageFormat(image) === undefined) {
              throw invocationError('NOT_AN_IMAGE', `instances[${i}].b64 does not decode to a JPEG, PNG, WebP, GIF, AVIF or TIFF image`);
            }
          });
        }
        return input;
      } catch (err) {
        if (err instanceof PayloadError) throw invocationError(err.code, err.message);
        throw err;
      }
    }
    throw invocationError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not supported: ${supportedTypes()}`);
  }
}

/**
 * The answer's `outOfScope` block, only when the model that answered carries a calibration (the
 * classifications then all have a score): older models answer as before, probabilities alone.
 */
function outOfScopeOf(classifications: readonly Classification[]): Pick<InvocationAnswer, 'outOfScope'> {
  const first = classifications[0]?.outOfScope;
  if (!first || classifications.some((c) => c.outOfScope === undefined)) return {};
  return {
    outOfScope: {
      scores: classifications.map((c) => c.outOfScope!.score),
      levels: classifications.map((c) => c.outOfScope!.level),
      method: first.method,
      thresholds: first.thresholds,
    },
  };
}

function supportedTypes(): string {
  return 'send image/jpeg, image/png, image/webp or application/x-image bytes, or application/json {"instances": [...]}';
}

/** Maps what the queue or the model threw to the status the container answers. */
export function toInvocationError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof QueueFullError || err instanceof QueueTimeoutError) {
    return invocationError(err instanceof QueueFullError ? 'QUEUE_FULL' : 'QUEUE_TIMEOUT', err.message, {
      headers: { 'retry-after': String(err.retryAfterSeconds) },
    });
  }
  if (err instanceof ModelUnavailableError) {
    return invocationError('MODEL_LOADING', undefined, { headers: { 'retry-after': '5' } });
  }
  if (err instanceof ModelChangedError) {
    return invocationError('MODEL_CHANGED', err.message, { headers: { 'retry-after': '1' } });
  }
  if (err instanceof QueueClosedError) {
    return invocationError('SHUTTING_DOWN', err.message, { headers: { 'retry-after': '1', connection: 'close' } });
  }
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  // Matched by name, not instanceof: the error may come from another copy of @petal/imaging.
  if (e?.name === 'ImageInputError') {
    const code = typeof e.code === 'string' && e.code in ENDPOINT_ERRORS ? (e.code as EndpointErrorCode) : 'CORRUPT_IMAGE';
    return invocationError(code, String(e.message));
  }
  throw err;
}
