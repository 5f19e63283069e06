import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { buildQueryString } from '@smithy/core/protocols';

/** The parts of the SDK's HttpRequest (after serialization and SigV4 signing) that go on the wire. */
export interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number | undefined;
  path: string;
  query?: Record<string, string | string[] | null> | undefined;
  headers: Record<string, string>;
  body?: unknown;
}

/** The SDK's HttpResponse shape (`HttpResponse.isInstance` checks the shape): the body already read. */
export interface SdkHttpResponse {
  statusCode: number;
  reason?: string | undefined;
  headers: Record<string, string>;
  body: Buffer;
}

/** One attempt ran past its deadline; the request was destroyed. The client answers 504. */
export class EndpointDeadlineError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'EndpointDeadlineError';
  }
}

export interface EndpointHttpHandlerOptions {
  /** Deadline of one attempt, from the first byte sent to the last byte of the answer. */
  timeoutMs: number;
  /** How long a new connection may take to open; failing that is a TimeoutError (the SDK's name for it). */
  connectTimeoutMs: number;
  maxSockets: number;
}

function flatHeaders(raw: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * The SDK's transport for InvokeEndpoint, in place of its NodeHttpHandler: the signed request goes out
 * over kept-alive connections, headers and body in one write, and the answer (a small JSON document) is
 * read whole before the SDK sees it. The SDK's handler arms four or five timers and a socket keep-alive
 * call per request, hands the body on as a stream to be collected again, and takes the deadline as a
 * per-call AbortSignal, which rules out the SDK's cached middleware chain; together about 0.25 ms of CPU
 * per call in bench/was.bench.ts. The deadline lives here instead: one timer per attempt.
 *
 * Everything above the transport is the AWS SDK as it runs on AWS (serialization, SigV4, error
 * deserialization); on AWS this sends to the regional runtime over https with the same agent settings.
 */
export class EndpointHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly options: EndpointHttpHandlerOptions) {
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  handle(request: SdkHttpRequest, { abortSignal }: { abortSignal?: AbortSignal } = {}): Promise<{ response: SdkHttpResponse }> {
    return new Promise((resolve, reject) => {
      const ssl = request.protocol === 'https:';
      if (abortSignal?.aborted) {
        reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
        return;
      }
      let settled = false;
      // Hoisted: the request's callbacks below call these, always after this function body has run.
      function fail(err: Error) {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        req.destroy();
        reject(err);
      }
      function succeed(response: SdkHttpResponse) {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ response });
      }
      // The SDK's own encoding (RFC 3986, sorted keys), as its NodeHttpHandler builds the path.
      const query = request.query ? buildQueryString(request.query) : '';
      // IPv6 literals arrive bracketed from the endpoint URL; node:http wants them bare.
      const host = request.hostname.startsWith('[') ? request.hostname.slice(1, -1) : request.hostname;
      const req = (ssl ? httpsRequest : httpRequest)(
        {
          host,
          port: request.port,
          method: request.method,
          path: query ? `${request.path}?${query}` : request.path,
          headers: request.headers,
          agent: ssl ? this.httpsAgent : this.httpAgent,
          ...(abortSignal ? { signal: abortSignal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', fail);
          res.once('end', () => {
            const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            succeed({ statusCode: res.statusCode ?? -1, reason: res.statusMessage, headers: flatHeaders(res.headers), body });
          });
        },
      );
      const deadline = setTimeout(() => fail(new EndpointDeadlineError(this.options.timeoutMs)), this.options.timeoutMs);
      req.once('error', fail);
      req.once('socket', (socket) => {
        if (!socket.connecting) return; // a kept-alive connection
        const connectTimer = setTimeout(
          () => fail(Object.assign(new Error(`connection not established within ${this.options.connectTimeoutMs} ms`), { name: 'TimeoutError' })),
          this.options.connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      const body = request.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else fail(new TypeError('the endpoint client sends bytes only (no streaming request bodies)'));
    });
  }

  updateHttpClientConfig(): void {
    // Configured once at construction; the SDK calls this only when asked to change it.
  }

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
