export { buildEndpoint, type Endpoint, type EndpointDeps } from './server.js';
export { loadEndpointConfig, defaultModelDir, type EndpointConfig } from './config.js';
export { ModelHost, ModelLoadError, SwapInProgressError, type ModelSummary, type ModelLoader } from './model-host.js';
export { InferenceQueue, QueueFullError, type InferenceInput, type QueueOptions } from './inference-queue.js';
export { parseInstancesJson, PayloadError } from './json-instances.js';
export { warmUpModel } from './warm-up.js';
