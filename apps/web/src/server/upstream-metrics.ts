import { Histogram, type Registry } from 'prom-client';

export interface UpstreamMetrics {
  duration: Histogram<'target' | 'route' | 'outcome'>;
}

/** Latency of the BFF's calls to the tiers behind it, by outcome (HTTP status, timeout, unreachable). */
export function createUpstreamMetrics(registry: Registry, prefix: string): UpstreamMetrics {
  return {
    duration: new Histogram({
      name: `${prefix}_upstream_request_duration_seconds`,
      help: 'Latency of calls from the web tier to the WAS and endpoint',
      labelNames: ['target', 'route', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
