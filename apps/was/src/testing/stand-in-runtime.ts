import type { EndpointPing, InvocationAnswer, RuntimeErrorBody } from '@petal/contracts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small local stand-in for the sagemaker-runtime API (`POST /endpoints/{name}/invocations`, `/ping`),
 * speaking the same wire protocol as apps/endpoint and AWS (restJson1 errors with `x-amzn-ErrorType`).
 * Tests use it for behaviour the real endpoint cannot be made to show on demand: slowness, throttling.
 */
export type StandInBehaviour =
  | { kind: 'ok'; predictions?: number[]; labels?: string[] }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'model-error'; originalStatus: number; message: string }
  | { kind: 'throttle'; times: number; errorType?: 'ThrottlingException' | 'ServiceUnavailable' };

export interface ReceivedCall {
  endpoint: string;
  headers: IncomingMessage['headers'];
  bytes: number;
}

export interface StandInRuntime {
  url: string;
  calls: ReceivedCall[];
  setBehaviour(b: StandInBehaviour): void;
  close(): Promise<void>;
}

const DEFAULT_LABELS = ['astilbe', 'bellflower', 'black_eyed_susan'];

export async function startStandInRuntime(endpointName = 'image-classifier', port = 0): Promise<StandInRuntime> {
  let behaviour: StandInBehaviour = { kind: 'ok' };
  let throttled = 0;
  const calls: ReceivedCall[] = [];
  const sendJson = (res: import('node:http').ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      if (req.method === 'GET' && url === '/health') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url === '/ping') return sendJson(res, 200, { status: 'ready', model: null } satisfies EndpointPing);
      const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(url);
      if (req.method !== 'POST' || !match) return sendJson(res, 404, { message: 'not found' });
      const endpoint = decodeURIComponent(match[1] ?? '');
      calls.push({ endpoint, headers: req.headers, bytes: Buffer.concat(chunks).length });
      if (endpoint !== endpointName) {
        const notFound: RuntimeErrorBody = { message: `Endpoint ${endpoint} of account 000000000000 not found.` };
        return sendJson(res, 400, notFound, 'ValidationError');
      }
      const ok = (predictions = [0.9, 0.06, 0.04], labels = DEFAULT_LABELS) =>
        sendJson(res, 200, { predictions: [predictions], labels, model: { name: 'stand-in', version: '0' } } satisfies InvocationAnswer);
      switch (behaviour.kind) {
        case 'ok':
          return ok(behaviour.predictions, behaviour.labels);
        case 'slow':
          setTimeout(() => ok(), behaviour.delayMs).unref();
          return;
        case 'model-error':
          return sendJson(
            res,
            424,
            {
              Message: 'Received client error from primary with message',
              OriginalStatusCode: behaviour.originalStatus,
              OriginalMessage: behaviour.message,
            } satisfies RuntimeErrorBody,
            'ModelError',
          );
        case 'throttle':
          if (throttled < behaviour.times) {
            throttled += 1;
            const type = behaviour.errorType ?? 'ThrottlingException';
            return sendJson(res, type === 'ThrottlingException' ? 429 : 503, { message: 'slow down' } satisfies RuntimeErrorBody, type);
          }
          return ok();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    calls,
    setBehaviour(b) {
      behaviour = b;
      throttled = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
