import type { FastifyInstance } from 'fastify';

/** How much of a refused body is read and thrown away so the client can read the refusal. */
export const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;
/** A refused body still arriving after this long is not waited for. */
const DISCARD_DEADLINE_MS = 10_000;

/**
 * A refusal sent while the request body is still arriving (413 on `Content-Length`, a bad multipart, a
 * rate limit, a drain): Fastify and Node then close the socket with the body half-read, the kernel resets
 * the connection, and a client still writing (fetch, a browser) sees `EPIPE`/"network error" instead of
 * the answer. So the rest of the body is read and discarded, up to a bound and a deadline, and the
 * connection ends cleanly after the response. A body declared larger than the bound is refused at once
 * and the connection closed: reading it would be the work the limit exists to avoid.
 */
export function installRefusalDrain(app: FastifyInstance, limitBytes = DISCARD_LIMIT_BYTES): void {
  app.addHook('onSend', async (request, reply) => {
    const req = request.raw;
    if (reply.statusCode < 400 || req.complete || req.readableEnded) return;
    const declared = Number(req.headers['content-length']);
    if (declared > limitBytes) {
      reply.header('connection', 'close');
      return;
    }
    // Keep-alive until the body has been read (Node would destroy a `Connection: close` socket with unread
    // bytes, which resets it); a draining server then closes it as soon as it is idle.
    reply.removeHeader('connection');
    let discarded = 0;
    const socket = req.socket;
    const deadline = setTimeout(() => socket.destroy(), DISCARD_DEADLINE_MS);
    deadline.unref();
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limitBytes) socket.destroy();
    });
    req.once('close', () => clearTimeout(deadline));
    req.once('end', () => clearTimeout(deadline));
    // A multipart parser may still hold the stream piped (and paused, once it stopped reading).
    req.unpipe();
    req.resume();
  });
}
