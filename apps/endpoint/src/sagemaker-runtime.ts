import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { errorBody, type RuntimeErrorBody } from '@petal/contracts';
import { HttpError } from '@petal/service-kit';
import type { Invoker } from './invocation.js';

export const CUSTOM_ATTRIBUTES_HEADER = 'x-amzn-sagemaker-custom-attributes';
const PRODUCTION_VARIANT = 'AllTraffic';
/** SageMaker's runtime tags its errors like this; the SDK reads the part before ":" as the error name. */
const CORAL_VALIDATE = 'http://internal.amazon.com/coral/com.amazon.coral.validate/';

export interface RuntimeApiOptions {
  endpointName: string;
  accountId: string;
  region: string;
  maxPayloadBytes: number;
}

/**
 * The `sagemaker-runtime` InvokeEndpoint operation (restJson1: `POST /endpoints/{EndpointName}/invocations`,
 * the payload is the raw body, metadata travels in headers), served by the same process so the WAS can
 * use the real AWS SDK against a local endpoint. Errors carry `x-amzn-ErrorType` and the body fields the
 * SDK deserializes (ValidationError, ModelError with OriginalStatusCode/OriginalMessage/LogStreamArn,
 * ServiceUnavailable).
 *
 * Requests are not SigV4-verified: there are no real credentials locally (the SDK signs with dummy ones),
 * and in AWS the real service does the verification before traffic ever reaches the container.
 */
export function registerRuntimeApi(app: FastifyInstance, invoker: Invoker, options: RuntimeApiOptions): void {
  const logStreamArn = `arn:aws:logs:${options.region}:${options.accountId}:log-group:/aws/sagemaker/Endpoints/${options.endpointName}`;

  app.register(async (scope) => {
    // The payload is opaque to the runtime API: take any content type as bytes and let the container judge it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxPayloadBytes }, (_req, body, done) => done(null, body));

    scope.setErrorHandler((err: FastifyError, request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return sendAwsError(reply, request.id, 413, 'ValidationError', `Request payload exceeds the limit of ${options.maxPayloadBytes} bytes.`);
      }
      if ((err.statusCode ?? 500) < 500) {
        return sendAwsError(reply, request.id, 400, 'ValidationError', err.message);
      }
      request.log.error({ err }, 'runtime API failure');
      return sendAwsError(reply, request.id, 500, 'InternalFailure', 'An internal error occurred.');
    });

    scope.post<{ Params: { endpointName: string } }>('/endpoints/:endpointName/invocations', async (request, reply) => {
      const { endpointName } = request.params;
      if (endpointName !== options.endpointName) {
        return sendAwsError(
          reply,
          request.id,
          400,
          'ValidationError',
          `Endpoint ${endpointName} of account ${options.accountId} not found.`,
        );
      }
      const customAttributes = request.headers[CUSTOM_ATTRIBUTES_HEADER];
      try {
        const result = await invoker.invoke({
          contentType: request.headers['content-type'],
          accept: request.headers.accept,
          body: request.body as Buffer | undefined,
        });
        reply
          .code(200)
          .header('content-type', 'application/json')
          .header('x-amzn-invoked-production-variant', PRODUCTION_VARIANT)
          .header('x-amzn-requestid', request.id);
        if (typeof customAttributes === 'string') reply.header(CUSTOM_ATTRIBUTES_HEADER, customAttributes);
        // A Buffer, so Fastify sends the Content-Type exactly as set (no "; charset=utf-8" added), as SageMaker does.
        return reply.send(Buffer.from(JSON.stringify(result)));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        if (err.statusCode === 503) {
          // Overload and warm-up are the service's problem, not the model's: SageMaker says ServiceUnavailable.
          reply.headers(err.headers);
          return sendAwsError(reply, request.id, 503, 'ServiceUnavailable', err.message);
        }
        // Anything else the container refused becomes ModelError (424), carrying the container's answer.
        const original = JSON.stringify(errorBody(err.code, err.message));
        const side = err.statusCode < 500 ? 'client' : 'server';
        return sendAwsError(reply, request.id, 424, 'ModelError', undefined, {
          ErrorCode: side === 'client' ? 'CLIENT_ERROR_FROM_MODEL' : 'SERVER_ERROR_FROM_MODEL',
          Message:
            `Received ${side} error (${err.statusCode}) from primary with message "${original}". ` +
            `See ${logStreamArn} in account ${options.accountId} for more information.`,
          OriginalStatusCode: err.statusCode,
          OriginalMessage: original,
          LogStreamArn: logStreamArn,
        });
      }
    });
  });
}

function sendAwsError(
  reply: FastifyReply,
  requestId: string,
  status: number,
  type: string,
  message: string | undefined,
  fields: RuntimeErrorBody = {},
): FastifyReply {
  const errorType = type === 'ValidationError' ? `${type}:${CORAL_VALIDATE}` : type;
  const body: RuntimeErrorBody = message === undefined ? fields : { message, ...fields };
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .header('x-amzn-errortype', errorType)
    .header('x-amzn-requestid', requestId)
    .send(JSON.stringify(body));
}
