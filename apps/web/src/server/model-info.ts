import {
  checkContract,
  endpointModelsSchema,
  endpointPingSchema,
  wasReadinessSchema,
  type ComponentState,
  type ModelIdentity,
  type ModelInfo,
} from '@petal/contracts';

/** What to report for an answer that breaks its contract: nothing, plus why (operators read `detail`). */
export interface Read<T> {
  value: T | undefined;
  problem?: string;
}

/** The model the endpoint's `/models` names, with its held-out test accuracy when the manifest records it. */
export function modelFromEndpoint(body: unknown): Read<ModelInfo | null> {
  const checked = checkContract(endpointModelsSchema, body);
  if (!checked.ok) return { value: undefined, problem: `/models: ${checked.problem}` };
  const model = checked.value.model;
  if (!model) return { value: null };
  const accuracy = model.metrics?.testAccuracy;
  return {
    value: { name: model.name, version: model.version, labels: model.labels, source: 'endpoint', ...(accuracy !== undefined ? { accuracy } : {}) },
  };
}

/** The model the WAS's readiness names (the one that answered its latest classification), if any. */
export function modelFromWasReadiness(body: unknown): ModelInfo | null {
  const checked = checkContract(wasReadinessSchema, body);
  if (!checked.ok || !checked.value.model) return null;
  const { labels } = checked.value.model;
  return { ...fromIdentity(checked.value.model), ...(labels ? { labels } : {}) };
}

export const fromIdentity = (model: ModelIdentity): ModelInfo => ({ name: model.name, version: model.version, source: 'was' });

/** What the WAS's readiness says about its endpoint: unknown on AWS, where sagemaker-runtime has no ping. */
export function endpointStateFromReadiness(body: unknown): ComponentState | undefined {
  const checked = checkContract(wasReadinessSchema, body);
  if (!checked.ok) return undefined;
  const { endpoint } = checked.value.checks;
  return endpoint === 'reachable' ? 'up' : endpoint === 'unreachable' ? 'down' : undefined;
}

/** The endpoint's `/ping` body: loading is a start, not a failure (SageMaker's contract answers 503 meanwhile). */
export function endpointStateFromPing(body: unknown): ComponentState | undefined {
  const checked = checkContract(endpointPingSchema, body);
  if (!checked.ok) return undefined;
  return { ready: 'up', loading: 'degraded', failed: 'down' }[checked.value.status] as ComponentState;
}
