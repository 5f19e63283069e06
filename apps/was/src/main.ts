import { ConfigError, installGracefulShutdown } from '@petal/service-kit';
import { buildApp } from './app.js';
import { loadWasConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWasConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`was: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { app } = await buildApp(config);
  installGracefulShutdown(app, { timeoutMs: config.shutdownTimeoutMs });
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      endpoint: config.endpointName,
      runtimeUrl: config.runtimeUrl ?? `sagemaker-runtime (${config.region})`,
      confidenceThreshold: config.confidenceThreshold,
    },
    'WAS ready',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`was: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
