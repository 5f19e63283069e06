/**
 * A petalService server with a 1 KiB body limit in a process of its own, for tests of what a client in
 * another process sees (a server in the test's own process shares its event loop with the client, which
 * hides the reset a real client gets). Prints `port <n>` once listening; SIGTERM stops it.
 */
import Fastify from 'fastify';
import { petalService } from '../plugin.js';
import { serverOptions } from '../logger.js';

const app = Fastify(serverOptions('small-limit', { logger: false, bodyLimit: 1024 }));
await app.register(petalService, { service: 'small_limit' });
app.post('/echo', async (request) => request.body ?? {});
app.get('/ok', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`port ${typeof address === 'object' && address ? address.port : 0}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
