import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intVar, listVar, loadConfig, portVar } from '@petal/service-kit';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The built UI lives in apps/web/dist/client. Run from sources (src/server) or from the compiled server
 * (dist/node/server) the relative path differs, so both are tried.
 */
export function defaultClientDir(): string {
  const candidates = [resolve(here, '../../dist/client'), resolve(here, '../../client')];
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html'))) ?? candidates[0]!;
}

const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

export const webConfigSchema = z.object({
  PORT: portVar(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  WAS_URL: httpUrl.default('http://127.0.0.1:8081'),
  /** Optional: lets the status view read the model's name/version/accuracy from the endpoint's /models. */
  ENDPOINT_URL: httpUrl.optional(),
  CLIENT_DIR: z.string().optional(),
  /** The WAS refuses images over 6 MB; the cap here adds room for the multipart envelope. */
  MAX_UPLOAD_BYTES: intVar(6 * 1024 * 1024 + 64 * 1024),
  /** Classification can queue behind other requests at the endpoint; the WAS has its own, shorter timeout. */
  WAS_TIMEOUT_MS: intVar(30_000),
  STATUS_TIMEOUT_MS: intVar(2_000),
  /**
   * Addresses or CIDRs of the proxies in front of this server (the ALB) whose `X-Forwarded-For` names the
   * client. Empty: the socket's address is the client. Nobody else's header is believed.
   */
  TRUSTED_PROXIES: listVar([]),
  /** Classifications per client per window: a phone classifying a few photos a minute stays well inside. */
  CLASSIFY_RATE_LIMIT_MAX: intVar(30),
  /** Other API calls (the catalog, the status view) per client per window. */
  RATE_LIMIT_MAX: intVar(300),
  RATE_LIMIT_WINDOW_MS: intVar(60_000),
  /** Prometheus `/metrics` on its own port (never on the public one); unset: not served. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export type WebConfig = z.infer<typeof webConfigSchema> & { CLIENT_DIR: string };

export function loadWebConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const parsed = loadConfig(webConfigSchema, env);
  return { ...parsed, CLIENT_DIR: parsed.CLIENT_DIR ? resolve(parsed.CLIENT_DIR) : defaultClientDir() };
}
