/**
 * A bare relay tier for the load bench's floor section (bench/topology-floor.ts): node:http in, one upstream
 * call out, and nothing a product tier adds (no framework, no rate limits, no validation, no logs, no
 * metrics). Run as `node --conditions=source --import tsx bench/floor/bare-relay.ts MODE UPSTREAM`; it prints
 * `listening http://127.0.0.1:PORT` once it listens.
 *
 * - `bytes`: the body goes upstream as it came, over a kept-alive connection, and the answer comes back as it
 *   came: the least a BFF can do.
 * - `invoke`: reads the file out of the multipart upload with @fastify/busboy (the parser under
 *   @fastify/multipart) and calls the endpoint through the WAS's own EndpointClient, configured from the
 *   same environment as the WAS (the AWS SDK's InvokeEndpoint, SigV4 included): the least the WAS must do.
 */
import { Busboy, type BusboyHeaders } from '@fastify/busboy';
import { EndpointClient, endpointClientOptions, loadWasConfig } from '@petal/was';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

const [mode, upstream] = process.argv.slice(2);
if ((mode !== 'bytes' && mode !== 'invoke') || !upstream) {
  process.stderr.write('usage: bare-relay.ts bytes|invoke UPSTREAM_URL\n');
  process.exit(2);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function fileOf(req: IncomingMessage, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parser = new Busboy({ headers: req.headers as BusboyHeaders });
    const chunks: Buffer[] = [];
    parser.on('file', (_field, stream) => stream.on('data', (chunk: Buffer) => chunks.push(chunk)));
    parser.once('finish', () => resolve(Buffer.concat(chunks)));
    parser.once('error', reject);
    parser.end(body);
  });
}

function answer(res: ServerResponse, status: number, contentType: string, body: Buffer | string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function bytesRelay(): (req: IncomingMessage, res: ServerResponse, body: Buffer) => void {
  const agent = new Agent({ keepAlive: true });
  return (req, res, body) => {
    const headers = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': String(body.length) };
    const out = request(`${upstream}${req.url ?? '/'}`, { method: 'POST', agent, headers }, (up) => {
      readBody(up).then(
        (answerBody) => answer(res, up.statusCode ?? 502, up.headers['content-type'] ?? 'application/json', answerBody),
        () => res.destroy(),
      );
    });
    out.once('error', () => answer(res, 502, 'text/plain', 'upstream failed'));
    out.end(body);
  };
}

function invokeRelay(): (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> {
  const client = new EndpointClient(endpointClientOptions(loadWasConfig({ ...process.env, SAGEMAKER_RUNTIME_URL: upstream })));
  let id = 0;
  return async (req, res, body) => {
    const image = await fileOf(req, body);
    const prediction = await client.invoke(image, { requestId: `floor-${++id}`, contentType: 'image/jpeg' });
    answer(res, 200, 'application/json', JSON.stringify(prediction));
  };
}

const relay = mode === 'bytes' ? bytesRelay() : invokeRelay();
const server = createServer((req, res) => {
  readBody(req)
    .then((body) => relay(req, res, body))
    .catch((err: unknown) => answer(res, 502, 'text/plain', (err as Error).message));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`listening http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
