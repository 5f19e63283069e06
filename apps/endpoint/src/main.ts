import { existsSync } from 'node:fs';
import { ConfigError, installGracefulShutdown } from '@petal/service-kit';
import { loadEndpointConfig } from './config.js';
import { tuneHeapGrowth } from './heap-tuning.js';
import { buildEndpoint } from './server.js';

/**
 * The container entry point. SageMaker runs the image with the argument `serve`; no argument does the same.
 * Exits non-zero with a one-line reason when the configuration or the model is unusable, so a bad
 * deployment fails at start instead of answering 503 forever.
 */
async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  if (command !== 'serve') {
    process.stderr.write(`usage: main.js [serve]  (unknown command "${command}")\n`);
    process.exit(2);
  }
  let config;
  try {
    config = loadEndpointConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`endpoint: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (!existsSync(config.modelDir)) {
    process.stderr.write(
      `endpoint: model not found at ${config.modelDir}; set MODEL_DIR to a model directory or model.tar.gz ` +
        `(train one with \`npm run train\`)\n`,
    );
    process.exit(1);
  }

  tuneHeapGrowth(config.heapGrowingPercent ?? 0);
  const endpoint = buildEndpoint(config);
  const { app } = endpoint;
  installGracefulShutdown(app, { timeoutMs: config.shutdownTimeoutMs, onClose: endpoint.shutdown });
  // Listen first so /ping can say "loading" while the model warms up, as SageMaker expects.
  await app.listen({ port: config.port, host: config.host });
  try {
    await endpoint.loadInitialModel();
  } catch (err) {
    app.log.fatal({ err }, 'cannot load the model');
    process.stderr.write(`endpoint: ${(err as Error).message}\n`);
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  app.log.info({ model: endpoint.host.summary(), port: config.port }, 'endpoint ready');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`endpoint: fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
