import { metricPrefix } from '@petal/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CircuitState } from './circuit-breaker.js';

export interface EndpointMetrics {
  callDuration: Histogram<'outcome'>;
  retries: Counter<'reason'>;
  circuitState: Gauge;
  circuitTransitions: Counter<'to'>;
}

export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** Metrics about the WAS → model endpoint hop, registered next to service-kit's HTTP metrics. */
export function createEndpointMetrics(registry: Registry, prefix = metricPrefix('was')): EndpointMetrics {
  return {
    callDuration: new Histogram({
      name: `${prefix}_endpoint_call_duration_seconds`,
      help: 'Latency of one InvokeEndpoint attempt, by outcome (ok, bad_input, unavailable, timeout, ...)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    retries: new Counter({
      name: `${prefix}_endpoint_retries_total`,
      help: 'InvokeEndpoint retries, by the kind of failure that caused them',
      labelNames: ['reason'],
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: `${prefix}_endpoint_circuit_state`,
      help: 'Circuit breaker state for the model endpoint: 0 closed, 1 half-open, 2 open',
      registers: [registry],
    }),
    circuitTransitions: new Counter({
      name: `${prefix}_endpoint_circuit_transitions_total`,
      help: 'Circuit breaker state changes, by the state entered',
      labelNames: ['to'],
      registers: [registry],
    }),
  };
}
