import { z } from 'zod';

/** SageMaker Pipelines' parameter types. */
export type ParameterType = 'String' | 'Integer' | 'Float' | 'Boolean';
export type ParameterValue = string | number | boolean;

/** What an execution knows when it starts, beyond the values a person passes. */
export interface StartContext {
  /** Where the photos are when nobody names them (the local executor: the shared data set). */
  data?: string;
  /** The accuracy of the model version the endpoint now serves; 0 when nothing is deployed. */
  deployedAccuracy?: number;
  /** The commit of the code that runs (recorded with the registered version). */
  gitCommit?: string;
}

export interface ParameterDef {
  name: string;
  type: ParameterType;
  description: string;
  /** Absent: the value must be given when the execution starts. */
  default?: ParameterValue;
  /** The only values allowed (SageMaker's `EnumValues`; String parameters only). */
  enumValues?: readonly string[];
  /** Extra checks on a value (e.g. the training job's own hyperparameter schema); returns the problem. */
  check?: (value: ParameterValue) => string | undefined;
  /**
   * Filled when an execution starts (`pipeline start`, the local executor) from what is known then —
   * the registry, git — unless given explicitly.
   */
  fromContext?: (context: StartContext) => ParameterValue | undefined;
  /**
   * Computed from other parameters when an execution starts; never given by hand. SageMaker Pipelines
   * has no arithmetic, so a condition that needs `a − b` compares against a parameter computed here.
   */
  derive?: (values: Readonly<Record<string, ParameterValue>>) => ParameterValue;
}

const valueSchemas: Record<ParameterType, z.ZodType<ParameterValue>> = {
  String: z.string(),
  Integer: z.coerce.number().int(),
  Float: z.coerce.number().refine(Number.isFinite, 'expected a finite number'),
  Boolean: z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]),
};

export class ParameterError extends Error {
  override name = 'ParameterError';
}

/** Parses one value (from `--param name=value` or a default) against its declaration. */
export function parseParameterValue(def: ParameterDef, raw: unknown): ParameterValue {
  if (def.type !== 'String' && raw === '') throw new ParameterError(`parameter ${def.name}: expected ${def.type}, got an empty string`);
  const parsed = valueSchemas[def.type].safeParse(raw);
  if (!parsed.success) {
    throw new ParameterError(`parameter ${def.name}: expected ${def.type}, got ${JSON.stringify(raw)}`);
  }
  const value = parsed.data;
  if (def.enumValues && !def.enumValues.includes(String(value))) {
    throw new ParameterError(`parameter ${def.name}: ${JSON.stringify(value)} is not one of ${def.enumValues.join(', ')}`);
  }
  const problem = def.check?.(value);
  if (problem) throw new ParameterError(`parameter ${def.name}: ${problem}`);
  return value;
}

/**
 * The values of one execution: what was given, else what the start context says, else the default;
 * then the derived ones. Unknown names, missing required values, wrong types and hand-set derived
 * values are errors that name the parameter.
 */
export function resolveParameters(
  defs: readonly ParameterDef[],
  given: Readonly<Record<string, unknown>>,
  context: StartContext = {},
): Record<string, ParameterValue> {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const unknown = Object.keys(given).filter((n) => !byName.has(n));
  if (unknown.length) {
    throw new ParameterError(`unknown parameter(s): ${unknown.join(', ')} (known: ${defs.map((d) => d.name).join(', ')})`);
  }
  const values: Record<string, ParameterValue> = {};
  for (const def of defs) {
    if (def.derive) {
      if (given[def.name] !== undefined) {
        throw new ParameterError(`parameter ${def.name} is computed when the execution starts (${def.description}); set the parameters it comes from instead`);
      }
      continue;
    }
    const raw = given[def.name] ?? def.fromContext?.(context) ?? def.default;
    if (raw === undefined) {
      throw new ParameterError(`parameter ${def.name} has no value: pass --param ${def.name}=<${def.type}> (${def.description})`);
    }
    values[def.name] = parseParameterValue(def, raw);
  }
  for (const def of defs) {
    if (def.derive) values[def.name] = parseParameterValue(def, def.derive(values));
  }
  return values;
}

/** `name=value` pairs from the command line (`--param epochs=20`). */
export function parseParameterAssignments(assignments: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new ParameterError(`--param expects name=value, got ${JSON.stringify(assignment)}`);
    const name = assignment.slice(0, at);
    if (name in result) throw new ParameterError(`--param ${name} given twice`);
    result[name] = assignment.slice(at + 1);
  }
  return result;
}
