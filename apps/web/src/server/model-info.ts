import type { ComponentState, ModelInfo } from '../shared/api-types.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

function pickAccuracy(m: Json): number | undefined {
  const sources: unknown[] = [m.accuracy, isObject(m.metrics) ? m.metrics.accuracy : undefined];
  if (isObject(m.metrics)) sources.push(m.metrics.testAccuracy, m.metrics.valAccuracy, m.metrics.val_accuracy, m.metrics.validationAccuracy);
  if (isObject(m.evaluation)) sources.push(m.evaluation.accuracy);
  const found = sources.find((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (found === undefined) return undefined;
  return found > 1 && found <= 100 ? found / 100 : found;
}

function asModel(m: unknown, source: ModelInfo['source']): ModelInfo | null {
  if (!isObject(m)) return null;
  const name = typeof m.name === 'string' ? m.name : typeof m.modelName === 'string' ? m.modelName : undefined;
  const version = typeof m.version === 'string' || typeof m.version === 'number' ? String(m.version) : undefined;
  if (!name) return null;
  const accuracy = pickAccuracy(m);
  const labels = Array.isArray(m.labels) && m.labels.every((l) => typeof l === 'string') ? (m.labels as string[]) : undefined;
  return { name, version: version ?? 'unknown', source, ...(accuracy !== undefined ? { accuracy } : {}), ...(labels ? { labels } : {}) };
}

/**
 * Reads model facts from whatever shape the endpoint's `/models` (or the WAS readiness body) takes: a
 * model object, `{model}`, `{models: [...]}` or a bare array. The tiers evolve separately; the status
 * view should degrade to "unknown", never break.
 */
export function extractModelInfo(body: unknown, source: ModelInfo['source']): ModelInfo | null {
  if (Array.isArray(body)) return asModel(body[0], source);
  if (!isObject(body)) return null;
  if (Array.isArray(body.models)) return asModel(body.models[0], source);
  if (isObject(body.model)) return asModel(body.model, source);
  if (isObject(body.checks) && isObject(body.checks.model)) return asModel(body.checks.model, source);
  if (isObject(body.endpoint) && isObject(body.endpoint.model)) return asModel(body.endpoint.model, source);
  // A bare object is a model only at the endpoint's /models; a WAS body with a "name" is the service's own.
  return source === 'endpoint' ? asModel(body, source) : null;
}

const GOOD = new Set(['ok', 'up', 'ready', 'healthy', 'pass', 'inservice', 'reachable']);
const BAD = new Set(['down', 'error', 'fail', 'failed', 'unhealthy', 'unavailable', 'unreachable', 'outofservice']);

function stateOf(v: unknown): ComponentState | undefined {
  if (typeof v === 'boolean') return v ? 'up' : 'down';
  if (typeof v === 'string') {
    const s = v.toLowerCase().replace(/[\s_-]/g, '');
    if (GOOD.has(s)) return 'up';
    if (BAD.has(s)) return 'down';
    if (s === 'degraded' || s === 'warn' || s === 'loading' || s === 'starting') return 'degraded';
    return undefined;
  }
  if (isObject(v)) return stateOf(v.status ?? v.state ?? v.ok ?? v.ready);
  return undefined;
}

/** What the WAS readiness body says about the endpoint behind it, when it says anything. */
export function endpointStateFromReadiness(body: unknown): ComponentState | undefined {
  if (!isObject(body)) return undefined;
  const candidates = [body.endpoint, isObject(body.checks) ? body.checks.endpoint : undefined, body.model];
  for (const c of candidates) {
    const s = stateOf(c);
    if (s) return s;
  }
  return undefined;
}
