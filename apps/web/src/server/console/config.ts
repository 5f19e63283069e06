import { ConfigError, loadConfig } from '@petal/service-kit';
import type { ConsoleActionMode } from '@petal/contracts';
import { z } from 'zod';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

// An empty variable reads as unset, so a compose file can leave CONSOLE_ADMIN_TOKEN= blank.
const blankAsUnset = (value: unknown) => (value === '' ? undefined : value);

export const consoleEnvSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  /** Set when a proxy forwards to this server: then loopback is not "this machine only". */
  TRUSTED_PROXIES: z.preprocess(blankAsUnset, z.string().optional()),
  /** `on` / `off`; default on when the server listens on loopback only, off otherwise. */
  CONSOLE: z.preprocess(blankAsUnset, z.enum(['on', 'off']).optional()),
  /** `open` (anyone who reaches the server may read) / `admin` (reads need the token too). */
  CONSOLE_VIEWS: z.preprocess(blankAsUnset, z.enum(['open', 'admin']).optional()),
  /** The admin credential for the console's actions (and, with CONSOLE_VIEWS=admin, its reads). */
  CONSOLE_ADMIN_TOKEN: z.preprocess(blankAsUnset, z.string().min(16, 'must be at least 16 characters').optional()),
});

export interface ConsoleConfig {
  enabled: boolean;
  /** Reads need the token. */
  viewsNeedToken: boolean;
  actions: ConsoleActionMode;
  token: string | undefined;
  /** Only people on this machine reach the server (loopback, no proxy in front): open mode's premise. */
  localOnly: boolean;
}

/**
 * The console's switches. A server reachable from elsewhere (HOST not loopback, or a proxy in front) never acts without the
 * admin token and keeps the console off unless told; a loopback-only one (a person's own machine) is
 * open to whoever is on that machine.
 */
export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const parsed = loadConfig(consoleEnvSchema, env);
  // A proxy on this machine makes a loopback listener public: whoever reaches the proxy reaches the console.
  const loopback = LOOPBACK.has(parsed.HOST) && !parsed.TRUSTED_PROXIES;
  const enabled = parsed.CONSOLE ? parsed.CONSOLE === 'on' : loopback;
  const token = parsed.CONSOLE_ADMIN_TOKEN;
  const viewsNeedToken = (parsed.CONSOLE_VIEWS ?? (loopback ? 'open' : 'admin')) === 'admin';
  if (enabled && viewsNeedToken && !token) {
    throw new ConfigError(['CONSOLE_VIEWS: admin needs CONSOLE_ADMIN_TOKEN (or CONSOLE_VIEWS=open, or CONSOLE=off)']);
  }
  return { enabled, viewsNeedToken, token, actions: token ? 'token' : loopback ? 'open' : 'off', localOnly: loopback };
}
