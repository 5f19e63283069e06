import { installGracefulShutdown, serveMetrics } from '@petal/service-kit';
import { buildApp } from './app.js';
import { loadWebConfig } from './config.js';

const config = loadWebConfig();
const app = await buildApp(config);
installGracefulShutdown(app);
try {
  if (config.METRICS_PORT !== undefined) {
    // Never on the public port; stopped with the app.
    const metrics = await serveMetrics(app.httpMetrics.registry, config.METRICS_PORT, config.METRICS_HOST);
    app.addHook('onClose', async () => void (await new Promise((resolve) => metrics.close(resolve))));
    app.log.info({ port: config.METRICS_PORT, host: config.METRICS_HOST }, 'metrics served on their own port');
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info({ wasUrl: config.WAS_URL, endpointUrl: config.ENDPOINT_URL ?? null, clientDir: config.CLIENT_DIR }, 'web ready');
} catch (err) {
  app.log.error({ err }, 'web failed to start');
  process.exit(1);
}
