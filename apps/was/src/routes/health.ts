import type { HealthBody, WasReadiness } from '@petal/contracts';
import type { FastifyInstance } from 'fastify';
import { healthResponse, readyResponse } from '../schemas.js';

export interface HealthRouteOptions {
  /** Local runtime URL whose `/ping` says whether the endpoint is up; undefined on AWS. */
  runtimeUrl: string | undefined;
  readyTimeoutMs: number;
}

async function ping(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * `/health` is liveness: the process answers, nothing else is checked, so an endpoint outage never gets
 * WAS tasks killed. `/health/ready` asks whether classification can work now: the circuit is not open and,
 * locally, the endpoint answers `/ping`. On AWS, sagemaker-runtime has no ping, so ready means config
 * loaded and circuit not open (an open circuit means recent calls failed).
 */
export async function healthRoutes(app: FastifyInstance, options: HealthRouteOptions): Promise<void> {
  app.get(
    '/health',
    { config: { rateLimit: false }, schema: { summary: 'Liveness', tags: ['health'], response: { 200: healthResponse } } },
    async (): Promise<HealthBody> => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      config: { rateLimit: false },
      schema: { summary: 'Readiness: can the model endpoint be reached?', tags: ['health'], response: { 200: readyResponse, 503: readyResponse } },
    },
    async (_request, reply): Promise<WasReadiness> => {
      const client = app.endpoint;
      const circuit = client.circuitState;
      const endpoint = options.runtimeUrl === undefined ? 'not_checked' : (await ping(options.runtimeUrl, options.readyTimeoutMs)) ? 'reachable' : 'unreachable';
      const ready = circuit !== 'open' && endpoint !== 'unreachable';
      // Which model serves and what it knows, for the status page, even before the first classification.
      if (ready) await client.learnModel(options.readyTimeoutMs);
      reply.code(ready ? 200 : 503);
      const model = client.lastModel;
      return { status: ready ? 'ready' : 'not_ready', checks: { circuit, endpoint }, ...(model ? { model } : {}) };
    },
  );
}
