export { buildApp, type WasApp } from './app.js';
export { loadWasConfig, type WasConfig } from './config.js';
export { EndpointClient, endpointClientOptions, type EndpointPrediction } from './endpoint-client.js';
export { EndpointCallError, type EndpointFailureKind } from './endpoint-errors.js';
export { CircuitBreaker, CircuitOpenError, type CircuitState } from './circuit-breaker.js';
export { buildAnswer } from './answer.js';
