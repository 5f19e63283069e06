import type { ComponentStatus, ModelInfo, StatusAnswer } from '@petal/contracts';
import type { FastifyInstance } from 'fastify';
import type { WebConfig } from './config.js';
import { endpointStateFromPing, endpointStateFromReadiness, modelFromEndpoint, modelFromWasReadiness } from './model-info.js';
import { UpstreamError, callUpstream, parseJson } from './upstream.js';
import type { UpstreamMetrics } from './upstream-metrics.js';
import { apiLimit } from './rate-limits.js';
import type { ModelSightings } from './proxy-routes.js';

interface Probe {
  status: ComponentStatus;
  ok: boolean;
  body: unknown;
}

async function probe(service: string, url: string, timeoutMs: number, metrics: UpstreamMetrics, target: string, route: string): Promise<Probe> {
  const end = metrics.duration.startTimer({ target, route });
  try {
    const res = await callUpstream(service, { url, timeoutMs, headers: { accept: 'application/json' } });
    end({ outcome: String(res.status) });
    const ok = res.status >= 200 && res.status < 300;
    const latencyMs = Math.round(res.elapsedMs);
    return {
      ok,
      body: parseJson(res.body),
      status: ok ? { state: 'up', latencyMs } : { state: 'down', latencyMs, detail: `answered HTTP ${res.status}` },
    };
  } catch (err) {
    const reason = err instanceof UpstreamError ? err.reason : 'error';
    end({ outcome: reason });
    const detail = reason === 'timeout' ? `no answer within ${timeoutMs} ms` : reason === 'unreachable' ? 'unreachable' : 'unusable answer';
    return { ok: false, body: undefined, status: { state: 'down', detail } };
  }
}

/**
 * `GET /api/status`: one view of the whole chain for the UI's status page. Every probe is bounded and
 * independent, so a dead WAS or endpoint shows as "down" instead of making the page hang or fail.
 */
export function registerStatusRoute(app: FastifyInstance, config: WebConfig, metrics: UpstreamMetrics, version: string, sightings: ModelSightings) {
  const startedAt = Date.now();
  app.get('/api/status', { config: { rateLimit: apiLimit(config) } }, async (request, reply): Promise<StatusAnswer> => {
    const t = config.STATUS_TIMEOUT_MS;
    const endpointUrl = config.ENDPOINT_URL;
    const [wasHealth, wasReady, ping, models] = await Promise.all([
      probe('WAS', `${config.WAS_URL}/health`, t, metrics, 'was', '/health'),
      probe('WAS', `${config.WAS_URL}/health/ready`, t, metrics, 'was', '/health/ready'),
      endpointUrl ? probe('endpoint', `${endpointUrl}/ping`, t, metrics, 'endpoint', '/ping') : undefined,
      endpointUrl ? probe('endpoint', `${endpointUrl}/models`, t, metrics, 'endpoint', '/models') : undefined,
    ]);

    const was: StatusAnswer['was'] = { ...wasHealth.status, ready: wasReady.ok };
    if (wasHealth.ok && !wasReady.ok) {
      was.state = 'degraded';
      was.detail = 'alive but not ready to classify';
    }

    let endpoint: ComponentStatus;
    if (ping) {
      endpoint = ping.status;
      // The endpoint answers /ping 503 while its model loads (SageMaker's contract): starting, not broken.
      const said = endpointStateFromPing(ping.body);
      if (!ping.ok && said === 'degraded') endpoint = { ...ping.status, state: 'degraded', detail: 'model loading' };
    } else {
      // No direct line to the endpoint: infer from what the WAS's readiness check says about it.
      const said = endpointStateFromReadiness(wasReady.body);
      if (said) endpoint = { state: said, detail: 'as reported by the WAS' };
      else if (wasReady.ok) endpoint = { state: 'up', detail: 'the WAS is ready, so its endpoint answers' };
      else endpoint = { state: 'unknown', detail: wasHealth.ok ? 'the WAS is not ready' : 'the WAS cannot be reached' };
    }

    let model: ModelInfo | null = null;
    if (models?.ok) {
      const read = modelFromEndpoint(models.body);
      if (read.problem) request.log.warn({ problem: read.problem }, "the endpoint's /models does not match the contract");
      model = read.value ?? null;
    }
    model ??= modelFromWasReadiness(wasReady.body);
    // Last resort: the model the latest classification through this web task named (no accuracy there).
    model ??= sightings.last;

    reply.header('cache-control', 'no-store');
    return {
      web: { state: 'up', uptimeS: Math.round((Date.now() - startedAt) / 1000), version },
      was,
      endpoint,
      model,
      checkedAt: new Date().toISOString(),
    };
  });
}
