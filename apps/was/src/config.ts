import { ConfigError, intVar, listVar, loadConfig, portVar } from '@petal/service-kit';
import { z } from 'zod';

const booleanVar = <F extends boolean | undefined>(fallback: F) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

const schema = z.object({
  PORT: portVar(8081),
  HOST: z.string().min(1).default('127.0.0.1'),
  SAGEMAKER_ENDPOINT_NAME: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'must be a SageMaker endpoint name')
    .max(63)
    .default('image-classifier'),
  /** Points the SDK at a local server speaking the sagemaker-runtime API (apps/endpoint) instead of AWS. */
  SAGEMAKER_RUNTIME_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_PROFILE: z.string().optional(),
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: z.string().optional(),
  AWS_CONTAINER_CREDENTIALS_FULL_URI: z.string().optional(),
  AWS_WEB_IDENTITY_TOKEN_FILE: z.string().optional(),
  /** One endpoint call (one attempt) may take this long before it is abandoned. */
  ENDPOINT_TIMEOUT_MS: intVar(10_000),
  ENDPOINT_CONNECT_TIMEOUT_MS: intVar(1_000),
  /** Retries after the first attempt, on throttling / 5xx / connection failures only. */
  ENDPOINT_MAX_RETRIES: intVar(2, 0),
  ENDPOINT_RETRY_BASE_MS: intVar(50),
  ENDPOINT_RETRY_MAX_MS: intVar(1_000),
  ENDPOINT_MAX_SOCKETS: intVar(64),
  /** Consecutive endpoint failures that open the circuit. */
  BREAKER_FAILURE_THRESHOLD: intVar(5),
  /** How long an open circuit fails fast before one probe request is let through. */
  BREAKER_COOLDOWN_MS: intVar(10_000),
  READY_TIMEOUT_MS: intVar(1_000),
  CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  MAX_UPLOAD_BYTES: intVar(6 * 1024 * 1024),
  CORS_ORIGINS: listVar([]),
  /** Requests per client address per window: a backstop behind the web tier's own, tighter limits. */
  RATE_LIMIT_MAX: intVar(120),
  RATE_LIMIT_WINDOW_MS: intVar(60_000),
  /**
   * Addresses or CIDRs of the proxies in front (the web BFF, an internal ALB) whose `X-Forwarded-For` names
   * the client. Anyone else's header is ignored, so a client cannot choose its own rate-limit bucket.
   */
  TRUSTED_PROXIES: listVar([]),
  /** Retired: a hop count trusts whatever the nearest client writes. */
  TRUST_PROXY_HOPS: z.string().optional(),
  NODE_ENV: z.string().optional(),
  /** Swagger UI at /docs and /openapi.json; off by default when NODE_ENV=production. */
  DOCS_ENABLED: booleanVar(undefined),
  SHUTDOWN_TIMEOUT_MS: intVar(15_000),
});

export interface WasConfig {
  port: number;
  host: string;
  endpointName: string;
  runtimeUrl: string | undefined;
  region: string;
  /** True when no AWS credential source is configured and the runtime URL is local: sign with dummies. */
  useDummyCredentials: boolean;
  endpointTimeoutMs: number;
  endpointConnectTimeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxSockets: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  readyTimeoutMs: number;
  confidenceThreshold: number;
  maxUploadBytes: number;
  corsOrigins: string[];
  rateLimitMax: number;
  rateLimitWindowMs: number;
  trustedProxies: string[];
  docsEnabled: boolean;
  shutdownTimeoutMs: number;
}

export { ConfigError };

export function loadWasConfig(env: NodeJS.ProcessEnv = process.env): WasConfig {
  const c = loadConfig(schema, env);
  const hasCredentialSource = Boolean(
    c.AWS_ACCESS_KEY_ID ||
      c.AWS_PROFILE ||
      c.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
      c.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      c.AWS_WEB_IDENTITY_TOKEN_FILE,
  );
  if (c.TRUST_PROXY_HOPS !== undefined) {
    throw new ConfigError([
      'TRUST_PROXY_HOPS: no longer read (it let any client pick its own address); list the proxies in front in TRUSTED_PROXIES (addresses or CIDRs)',
    ]);
  }
  if (c.ENDPOINT_RETRY_MAX_MS < c.ENDPOINT_RETRY_BASE_MS) {
    throw new ConfigError(['ENDPOINT_RETRY_MAX_MS: must be at least ENDPOINT_RETRY_BASE_MS']);
  }
  return {
    port: c.PORT,
    host: c.HOST,
    endpointName: c.SAGEMAKER_ENDPOINT_NAME,
    runtimeUrl: c.SAGEMAKER_RUNTIME_URL?.replace(/\/+$/, ''),
    region: c.AWS_REGION ?? c.AWS_DEFAULT_REGION ?? 'us-east-1',
    useDummyCredentials: c.SAGEMAKER_RUNTIME_URL !== undefined && !hasCredentialSource,
    endpointTimeoutMs: c.ENDPOINT_TIMEOUT_MS,
    endpointConnectTimeoutMs: c.ENDPOINT_CONNECT_TIMEOUT_MS,
    maxRetries: c.ENDPOINT_MAX_RETRIES,
    retryBaseMs: c.ENDPOINT_RETRY_BASE_MS,
    retryMaxMs: c.ENDPOINT_RETRY_MAX_MS,
    maxSockets: c.ENDPOINT_MAX_SOCKETS,
    breakerFailureThreshold: c.BREAKER_FAILURE_THRESHOLD,
    breakerCooldownMs: c.BREAKER_COOLDOWN_MS,
    readyTimeoutMs: c.READY_TIMEOUT_MS,
    confidenceThreshold: c.CONFIDENCE_THRESHOLD,
    maxUploadBytes: c.MAX_UPLOAD_BYTES,
    corsOrigins: c.CORS_ORIGINS,
    rateLimitMax: c.RATE_LIMIT_MAX,
    rateLimitWindowMs: c.RATE_LIMIT_WINDOW_MS,
    trustedProxies: c.TRUSTED_PROXIES,
    docsEnabled: c.DOCS_ENABLED ?? c.NODE_ENV !== 'production',
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
  };
}
