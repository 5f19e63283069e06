import type { FastifyInstance } from 'fastify';

export interface ShutdownOptions {
  /** Longest wait for in-flight requests before the process exits anyway. */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  /** Extra cleanup after the server stopped accepting and drained (model sessions, clients). */
  onClose?: () => Promise<void> | void;
  exit?: (code: number) => void;
}

/**
 * On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (Fastify's close waits
 * for them and answers 503 to new ones meanwhile), run cleanup, exit 0; exit 1 if draining overruns.
 */
export function installGracefulShutdown(app: FastifyInstance, options: ShutdownOptions = {}): () => Promise<void> {
  const { timeoutMs = 10_000, signals = ['SIGTERM', 'SIGINT'], onClose, exit = (code) => process.exit(code) } = options;
  let closing: Promise<void> | undefined;
  const shutdown = (signal = 'shutdown') => {
    closing ??= (async () => {
      app.log.info({ signal }, 'shutting down: draining in-flight requests');
      const timer = setTimeout(() => {
        app.log.error({ timeoutMs }, 'shutdown timed out; exiting with requests still in flight');
        exit(1);
      }, timeoutMs);
      timer.unref();
      try {
        await app.close();
        await onClose?.();
        app.log.info('shutdown complete');
        clearTimeout(timer);
        exit(0);
      } catch (err) {
        app.log.error({ err }, 'error during shutdown');
        clearTimeout(timer);
        exit(1);
      }
    })();
    return closing;
  };
  for (const signal of signals) process.once(signal, () => void shutdown(signal));
  return () => shutdown();
}
