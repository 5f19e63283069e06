import { InvokeEndpointCommand, SageMakerRuntimeClient, type SageMakerRuntimeClientConfig } from '@aws-sdk/client-sagemaker-runtime';
import { checkContract, invocationAnswerSchema, type InvocationAnswer } from '@petal/contracts';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import type { WasConfig } from './config.js';
import { EndpointCallError, classifyEndpointError, isEndpointFault, isRetryable } from './endpoint-errors.js';
import { EndpointDeadlineError, EndpointHttpHandler } from './endpoint-http-handler.js';
import { CIRCUIT_STATE_VALUE, type EndpointMetrics } from './metrics.js';
import { withRetries } from './retry.js';

/** The endpoint's JSON answer (`Accept: application/json`), as the contract declares it. */
export type EndpointPrediction = InvocationAnswer;

/** An 8×8 grey PNG: the smallest honest question to ask a model which classes it knows. */
const PROBE_IMAGE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAD0lEQVQImWMoxwEYhpYEAN/GWUFk1iW4AAAAAElFTkSuQmCC',
  'base64',
);
export const MODEL_PROBE_INTERVAL_MS = 30_000;

export interface EndpointClientOptions {
  endpointName: string;
  region: string;
  runtimeUrl?: string | undefined;
  useDummyCredentials: boolean;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxSockets: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  metrics?: EndpointMetrics;
  log?: { warn: (obj: object, msg: string) => void; info: (obj: object, msg: string) => void };
}

/** The client's settings as the WAS's configuration gives them (metrics and log are the caller's). */
export function endpointClientOptions(config: WasConfig): EndpointClientOptions {
  return {
    endpointName: config.endpointName,
    region: config.region,
    runtimeUrl: config.runtimeUrl,
    useDummyCredentials: config.useDummyCredentials,
    timeoutMs: config.endpointTimeoutMs,
    connectTimeoutMs: config.endpointConnectTimeoutMs,
    maxRetries: config.maxRetries,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    maxSockets: config.maxSockets,
    breakerFailureThreshold: config.breakerFailureThreshold,
    breakerCooldownMs: config.breakerCooldownMs,
  };
}

export interface InvokeOptions {
  requestId: string;
  contentType: string;
}

/** Request ids travel in a header and in CustomAttributes, which SageMaker forwards to the container. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const REQUEST_ID_ATTRIBUTE = /^request-id=([A-Za-z0-9._:-]{1,64})$/;

/**
 * Calls the model endpoint through the AWS SDK (`InvokeEndpoint`) with a per-attempt deadline, our own
 * bounded retries with full jitter (the SDK's retries are off so we decide and count them) and a circuit
 * breaker around every attempt.
 */
export class EndpointClient {
  readonly breaker: CircuitBreaker;
  /** The model that answered most recently (readiness reports it; there is no model listing in sagemaker-runtime). */
  lastModel: { name: string; version: string; labels?: string[] } | undefined;
  private modelProbe: Promise<void> | undefined;
  private modelProbedAt = Number.NEGATIVE_INFINITY;
  private readonly sdk: SageMakerRuntimeClient;

  constructor(private readonly options: EndpointClientOptions) {
    this.sdk = new SageMakerRuntimeClient({
      region: options.region,
      maxAttempts: 1,
      ...(options.runtimeUrl ? { endpoint: options.runtimeUrl } : {}),
      ...(options.useDummyCredentials
        ? { credentials: { accessKeyId: 'petal-local', secretAccessKey: 'petal-local' } }
        : {}),
      // The handler owns each attempt's deadline (so no per-call options), and no command adds its own
      // middleware: the SDK then resolves its middleware chain once instead of on every call.
      cacheMiddleware: true,
      requestHandler: new EndpointHttpHandler({
        timeoutMs: options.timeoutMs,
        connectTimeoutMs: options.connectTimeoutMs,
        maxSockets: options.maxSockets,
      }) as unknown as SageMakerRuntimeClientConfig['requestHandler'],
    });
    // The request id as a header too, for the container's logs (SageMaker passes CustomAttributes on).
    this.sdk.middlewareStack.add(
      (next) => async (args) => {
        const id = REQUEST_ID_ATTRIBUTE.exec((args.input as { CustomAttributes?: string }).CustomAttributes ?? '')?.[1];
        const request = args.request as { headers?: Record<string, string> };
        if (id && request.headers) request.headers['x-request-id'] = id;
        return next(args);
      },
      { step: 'build', name: 'petalRequestIdHeader' },
    );
    const metrics = options.metrics;
    metrics?.circuitState.set(CIRCUIT_STATE_VALUE.closed);
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breakerFailureThreshold,
      cooldownMs: options.breakerCooldownMs,
      onStateChange: (state, previous) => {
        metrics?.circuitState.set(CIRCUIT_STATE_VALUE[state]);
        metrics?.circuitTransitions.inc({ to: state });
        options.log?.warn({ circuit: state, previous, endpoint: options.endpointName }, `endpoint circuit ${state}`);
      },
    });
  }

  get circuitState(): CircuitState {
    return this.breaker.currentState;
  }

  /** Sends the image bytes as they came (ContentType = sniffed type) and returns the parsed predictions. */
  async invoke(image: Uint8Array, { requestId, contentType }: InvokeOptions): Promise<EndpointPrediction> {
    const { metrics } = this.options;
    return withRetries(() => this.breaker.run(() => this.attempt(image, contentType, requestId), isEndpointFault), {
      maxRetries: this.options.maxRetries,
      baseMs: this.options.retryBaseMs,
      maxMs: this.options.retryMaxMs,
      isRetryable,
      onRetry: (err, attempt, delayMs) => {
        const kind = err instanceof EndpointCallError ? err.kind : 'unknown';
        metrics?.retries.inc({ reason: kind });
        this.options.log?.warn({ attempt, delayMs, reason: (err as Error).message }, 'retrying endpoint call');
      },
    }).catch((err: unknown) => {
      const failure = classifyEndpointError(err, false, this.options.timeoutMs);
      if (failure.kind === 'circuit_open') metrics?.callDuration.observe({ outcome: 'circuit_open' }, 0);
      throw failure;
    });
  }

  /**
   * Learns which model serves, and its classes, before anyone has classified: sagemaker-runtime has no
   * model listing, so the only way to ask is one invocation. It sends a tiny grey image once (again at most
   * every {@link MODEL_PROBE_INTERVAL_MS} while it fails), outside the circuit breaker and the retries, so
   * a failed look never counts against real traffic. Resolves when done or after `waitMs`, whichever is
   * first; the probe itself goes on.
   */
  async learnModel(waitMs: number): Promise<void> {
    // Known once any answer named its model: an endpoint that sends no labels would not send them now.
    if (this.lastModel) return;
    if (!this.modelProbe && performance.now() - this.modelProbedAt >= MODEL_PROBE_INTERVAL_MS) {
      this.modelProbedAt = performance.now();
      this.modelProbe = this.attempt(PROBE_IMAGE, 'image/png', 'petal-model-probe')
        .then(
          () => undefined,
          (err: unknown) => this.options.log?.info({ reason: (err as Error).message }, 'could not learn which model serves yet'),
        )
        .finally(() => {
          this.modelProbe = undefined;
        });
    }
    if (!this.modelProbe) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.modelProbe, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  private async attempt(image: Uint8Array, contentType: string, requestId: string): Promise<EndpointPrediction> {
    const started = performance.now();
    const id = SAFE_REQUEST_ID.test(requestId) ? requestId : undefined;
    const command = new InvokeEndpointCommand({
      EndpointName: this.options.endpointName,
      Body: image,
      ContentType: contentType,
      Accept: 'application/json',
      ...(id ? { CustomAttributes: `request-id=${id}` } : {}),
    });
    let outcome = 'ok';
    try {
      const output = await this.sdk.send(command);
      const text = new TextDecoder().decode(output.Body);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new EndpointCallError('bad_response', 'the model endpoint answered with something that is not JSON');
      }
      const checked = checkContract(invocationAnswerSchema, json);
      if (!checked.ok) {
        this.options.log?.warn({ problem: checked.problem }, "the endpoint's answer does not match the invocation contract");
        throw new EndpointCallError('bad_response', `the model endpoint answered without usable predictions (${checked.problem})`);
      }
      if (checked.value.model) {
        const { labels } = checked.value;
        this.lastModel = { ...checked.value.model, ...(labels ? { labels } : {}) };
      }
      return checked.value;
    } catch (err) {
      const failure = classifyEndpointError(err, err instanceof EndpointDeadlineError, this.options.timeoutMs);
      outcome = failure.kind;
      throw failure;
    } finally {
      this.options.metrics?.callDuration.observe({ outcome }, (performance.now() - started) / 1000);
    }
  }

  destroy(): void {
    // Destroys the request handler and its kept-alive connections too.
    this.sdk.destroy();
  }
}
