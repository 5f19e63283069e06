export { HttpError, errorBody, type ErrorBody } from './errors.js';
export { ConfigError, loadConfig, portVar, intVar, listVar } from './config.js';
export { serverOptions, REQUEST_ID_HEADER } from './logger.js';
export { registerHttpMetrics, type HttpMetrics } from './metrics.js';
export { installGracefulShutdown, type ShutdownOptions } from './shutdown.js';
export { installErrorHandler } from './error-handler.js';
