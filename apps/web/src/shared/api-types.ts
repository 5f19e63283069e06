// The JSON shapes the browser sees. The WAS defines /classify/image; the BFF defines /api/status.

export type Lang = 'ko' | 'en';

export interface ClassifyResult {
  no: number;
  name: string;
  /** Probability of the top class, 0..1. */
  acc: number;
  description: string;
}

export interface Candidate {
  no: number;
  key: string;
  name: string;
  probability: number;
}

export interface ClassifyResponse {
  result: ClassifyResult;
  top: Candidate[];
  model?: { name: string; version: string };
  lang?: Lang;
  elapsedMs?: number;
  /** False when the WAS judged the top probability too low to name the flower with confidence. */
  confident: boolean;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export type ComponentState = 'up' | 'degraded' | 'down' | 'unknown';

export interface ComponentStatus {
  state: ComponentState;
  /** Round-trip time of the probe, when one answered. */
  latencyMs?: number;
  /** Why the component is not up, in plain words (English; operators read it). */
  detail?: string;
}

export interface ModelInfo {
  name: string;
  version: string;
  /** Held-out test accuracy 0..1 from the model's evaluation report, when known. */
  accuracy?: number;
  labels?: string[];
  /** Which probe told us: the endpoint's /models or the WAS readiness body. */
  source: 'endpoint' | 'was';
}

export interface StatusResponse {
  web: ComponentStatus & { uptimeS: number; version: string };
  was: ComponentStatus & { ready: boolean };
  endpoint: ComponentStatus;
  model: ModelInfo | null;
  checkedAt: string;
}
