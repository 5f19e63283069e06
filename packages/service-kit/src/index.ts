export { HttpError, createErrors, errorBody, type ErrorBody, type ErrorOptions } from './errors.js';
export { ConfigError, loadConfig, portVar, intVar, listVar } from './config.js';
export { serverOptions, logFormat, REQUEST_ID_HEADER, type LogFormat } from './logger.js';
export { registerHttpMetrics, type HttpMetrics } from './metrics.js';
export { installGracefulShutdown, type ShutdownOptions } from './shutdown.js';
export { installErrorHandler } from './error-handler.js';
export { clientErrorHandler } from './client-errors.js';
export { installDraining } from './draining.js';
export { petalService, metricPrefix, type PetalServiceOptions } from './plugin.js';
