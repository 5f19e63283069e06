import { Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueObserver } from './inference-queue.js';
import type { ModelSummary } from './model-host.js';

export interface EndpointMetrics extends QueueObserver {
  modelChanged(current: ModelSummary, previous: ModelSummary | undefined): void;
}

/** The model-serving metrics on top of service-kit's HTTP ones: queue, batches, inference time, model version. */
export function createEndpointMetrics(registry: Registry, prefix = 'petal_endpoint'): EndpointMetrics {
  const depth = new Gauge({ name: `${prefix}_queue_depth`, help: 'Requests waiting for the model', registers: [registry] });
  const batchSize = new Histogram({
    name: `${prefix}_batch_size`,
    help: 'Images per model call',
    labelNames: ['input'],
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [registry],
  });
  const inference = new Histogram({
    name: `${prefix}_inference_duration_seconds`,
    help: 'Time of one model call (a whole batch)',
    labelNames: ['input'],
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const wait = new Histogram({
    name: `${prefix}_queue_wait_seconds`,
    help: 'Time a request waited before its batch started',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const info = new Gauge({
    name: `${prefix}_model_info`,
    help: 'The model answering requests (value 1), by name and version',
    labelNames: ['name', 'version'],
    registers: [registry],
  });
  return {
    depth: (n) => depth.set(n),
    batch: (kind, images, _requests, seconds) => {
      batchSize.observe({ input: kind }, images);
      inference.observe({ input: kind }, seconds);
    },
    queueWait: (seconds) => wait.observe(seconds),
    modelChanged: (current, previous) => {
      if (previous) info.remove({ name: previous.name, version: previous.version });
      info.set({ name: current.name, version: current.version }, 1);
    },
  };
}
