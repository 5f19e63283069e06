import { installGracefulShutdown } from '@petal/service-kit';
import { buildApp } from './app.js';
import { loadWebConfig } from './config.js';

const config = loadWebConfig();
const app = await buildApp(config);
installGracefulShutdown(app);
try {
  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info({ wasUrl: config.WAS_URL, endpointUrl: config.ENDPOINT_URL ?? null, clientDir: config.CLIENT_DIR }, 'web ready');
} catch (err) {
  app.log.error({ err }, 'web failed to start');
  process.exit(1);
}
