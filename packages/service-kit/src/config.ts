import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates environment variables against a zod object schema whose keys are the variable names, so
 * every message names the variable that is wrong.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  );
}

/** A TCP port from the environment (string) with a default. */
export const portVar = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A positive integer from the environment with a default. */
export const intVar = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/** Comma-separated list from the environment. */
export const listVar = (fallback: string[] = []) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter(Boolean)));
