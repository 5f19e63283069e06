/**
 * The running endpoint as the local deployer sees it: its admin API (swap the model), `/models` (what
 * serves) and `/invocations` (classify one photo). Every answer is checked against `@petal/contracts`,
 * so a deploy never acts on a body it misread.
 */
import {
  endpointModelsSchema,
  errorBodySchema,
  invocationAnswerSchema,
  modelSwapAnswerSchema,
  parseContract,
  type EndpointModels,
  type InvocationAnswer,
  type ModelSwapAnswer,
  type ModelSwapRequest,
} from '@petal/contracts';

/** The endpoint refused or could not be reached; `code` is its catalog code when it answered with one. */
export class EndpointCallError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'EndpointCallError';
  }
}

export interface EndpointClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Sent as `Authorization: Bearer …` to the admin API when set. */
  adminToken?: string;
  /** Per request; a swap loads and warms a model, so it gets `swapTimeoutMs`. */
  timeoutMs?: number;
  swapTimeoutMs?: number;
}

export class EndpointClient {
  readonly url: string;
  private readonly adminToken: string | undefined;
  private readonly timeoutMs: number;
  private readonly swapTimeoutMs: number;

  constructor(options: EndpointClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.adminToken = options.adminToken;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.swapTimeoutMs = options.swapTimeoutMs ?? 300_000;
  }

  async models(): Promise<EndpointModels> {
    const body = await this.call('GET', '/models', undefined, this.timeoutMs);
    return parseContract(endpointModelsSchema, body, `the endpoint's /models answer`);
  }

  /** Loads and warms `modelDir` beside the current model and switches to it (`POST /admin/models`). */
  async swap(modelDir: string): Promise<ModelSwapAnswer> {
    const request: ModelSwapRequest = { modelDir };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    const body = await this.call('POST', '/admin/models', { body: JSON.stringify(request), headers }, this.swapTimeoutMs);
    return parseContract(modelSwapAnswerSchema, body, `the endpoint's model swap answer`);
  }

  /** One image through the container contract (`POST /invocations`, raw bytes; the endpoint sniffs the format). */
  async classify(image: Uint8Array): Promise<InvocationAnswer> {
    const body = await this.call('POST', '/invocations', { body: image, headers: { 'content-type': 'application/x-image', accept: 'application/json' } }, this.timeoutMs);
    return parseContract(invocationAnswerSchema, body, `the endpoint's /invocations answer`);
  }

  private async call(method: string, path: string, init: { body: string | Uint8Array; headers: Record<string, string> } | undefined, timeoutMs: number): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, { method, ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new EndpointCallError(`${method} ${this.url}${path} failed: ${cause}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EndpointCallError(`${method} ${this.url}${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok) {
      const error = errorBodySchema.safeParse(json);
      const detail = error.success ? `${error.data.error.code}: ${error.data.error.message}` : text.slice(0, 200);
      throw new EndpointCallError(`${method} ${this.url}${path} answered ${res.status} (${detail})`, res.status, error.success ? error.data.error.code : undefined);
    }
    return json;
  }
}
