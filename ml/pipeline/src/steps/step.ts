import type { Value } from '../expressions.js';

/** What every step has, whatever its kind (SageMaker's Name, Description, DisplayName, DependsOn). */
export interface StepBase {
  name: string;
  description?: string;
  /** Steps this one waits for beyond those whose outputs it reads (those are implied). */
  dependsOn?: string[];
}

/** Reuse a finished job with the same arguments (SageMaker's CacheConfig; the local executor's cache). */
export interface CacheSetting {
  /** ISO-8601 duration: `P30D`, `PT1H`. */
  expireAfter: string;
}

/** A directory the local executor allots to one of the step's named outputs. */
export interface LocalOutputArg {
  output: string;
}
export type LocalArg = Value | LocalOutputArg;

/**
 * How the local executor runs a job step: a root npm script (`npm run <script> -- <args>`), its
 * arguments built from parameter values, upstream outputs and the directories of this step's outputs.
 */
export interface LocalCommand {
  script: string;
  args: LocalArg[];
}

export const output = (name: string): LocalOutputArg => ({ output: name });

export function isLocalOutputArg(arg: LocalArg): arg is LocalOutputArg {
  return typeof arg === 'object' && arg !== null && 'output' in arg && !('kind' in arg);
}

/**
 * Where the local executor finds a step property: a file or directory among the step's outputs, or a
 * value the step's local action returned (a registered version's identity, a deploy result).
 */
export type LocalPropertySource = { output: string; file?: string } | { result: string };

/** A property a step exposes, or why it does not. */
export type PropertyLookup = { ok: true; local: LocalPropertySource } | { ok: false; problem: string };
