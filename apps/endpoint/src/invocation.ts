import { sniffImageFormat } from '@petal/imaging';
import type { Classification } from '@petal/model';
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

/**
 * A refused or failed invocation, as the container reports it: an HTTP status, a stable code and a
 * message safe to show. `/invocations` sends it as is; the runtime API wraps it like SageMaker does.
 */
export class InvocationError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'InvocationError';
  }
}

export interface InvocationRequest {
  contentType: string | undefined;
  accept: string | undefined;
  body: Buffer | undefined;
}

export interface PredictionBody {
  predictions: number[][];
  labels: string[];
  model: { name: string; version: string };
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

  async invoke(request: InvocationRequest): Promise<PredictionBody> {
    if (!acceptsJson(request.accept)) {
      throw new InvocationError(406, 'NOT_ACCEPTABLE', `cannot answer in ${request.accept}; this model answers application/json`);
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
    };
  }

  private parse(request: InvocationRequest): InferenceInput {
    const type = mediaType(request.contentType);
    const body = request.body ?? Buffer.alloc(0);
    if (type === undefined) {
      throw new InvocationError(415, 'UNSUPPORTED_MEDIA_TYPE', `a Content-Type is required: ${supportedTypes()}`);
    }
    if (IMAGE_CONTENT_TYPES.has(type)) {
      if (body.length === 0) throw new InvocationError(400, 'EMPTY_INPUT', 'the request body is empty; send the image bytes');
      // The declared type is only a hint; the bytes decide what this is.
      if (sniffImageFormat(body) === undefined) {
        throw new InvocationError(400, 'NOT_AN_IMAGE', `the body (${type}) is not a JPEG, PNG, WebP, GIF, AVIF or TIFF image`);
      }
      return { kind: 'images', images: [body] };
    }
    if (type === JSON_CONTENT_TYPE) {
      const summary = this.host.summary();
      if (!summary) throw new InvocationError(503, 'MODEL_LOADING', 'the model is still loading', { 'retry-after': '5' });
      try {
        const input = parseInstancesJson(body, { inputSize: summary.inputSize, maxInstances: this.options.maxInstances });
        if (input.kind === 'images') {
          input.images.forEach((image, i) => {
            if (sniffImageFormat(image) === undefined) {
              throw new InvocationError(400, 'NOT_AN_IMAGE', `instances[${i}].b64 does not decode to a JPEG, PNG, WebP, GIF, AVIF or TIFF image`);
            }
          });
        }
        return input;
      } catch (err) {
        if (err instanceof PayloadError) throw new InvocationError(400, err.code, err.message);
        throw err;
      }
    }
    throw new InvocationError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not supported: ${supportedTypes()}`);
  }
}

function supportedTypes(): string {
  return 'send image/jpeg, image/png, image/webp or application/x-image bytes, or application/json {"instances": [...]}';
}

/** Maps what the queue or the model threw to the status the container answers. */
export function toInvocationError(err: unknown): InvocationError {
  if (err instanceof InvocationError) return err;
  if (err instanceof QueueFullError || err instanceof QueueTimeoutError) {
    return new InvocationError(503, err instanceof QueueFullError ? 'QUEUE_FULL' : 'QUEUE_TIMEOUT', err.message, {
      'retry-after': String(err.retryAfterSeconds),
    });
  }
  if (err instanceof ModelUnavailableError) {
    return new InvocationError(503, 'MODEL_LOADING', 'the model is still loading', { 'retry-after': '5' });
  }
  if (err instanceof ModelChangedError) {
    return new InvocationError(503, 'MODEL_CHANGED', err.message, { 'retry-after': '1' });
  }
  if (err instanceof QueueClosedError) {
    return new InvocationError(503, 'SHUTTING_DOWN', err.message, { 'retry-after': '1', connection: 'close' });
  }
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | undefined;
  // Matched by name, not instanceof: the error may come from another copy of @petal/imaging.
  if (e?.name === 'ImageInputError') {
    return new InvocationError(400, typeof e.code === 'string' ? e.code : 'BAD_IMAGE', String(e.message));
  }
  throw err;
}
