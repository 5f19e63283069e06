import { isExpr, type CompileSetting, type Value } from '../expressions.js';
import type { ParameterType } from '../parameters.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What rendering needs beyond the value: the compile settings and the declared parameter types. */
export interface RenderContext {
  setting(key: CompileSetting): string;
  parameterType(name: string): ParameterType | undefined;
}

/**
 * A value as SageMaker Pipelines writes it: literals as they are, `{"Get": "Parameters.x"}`,
 * `{"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}`, `{"Std:JsonGet": {PropertyFile, Path}}`,
 * `{"Std:Join": {On, Values}}`, `{"Get": "Execution.PipelineExecutionId"}` (the shapes of the SageMaker
 * Python SDK's test_functions.py, test_properties.py and test_execution_variables.py).
 */
export function renderValue(value: Value, context: RenderContext): Json {
  if (!isExpr(value)) return value;
  switch (value.kind) {
    case 'parameter':
      return { Get: `Parameters.${value.name}` };
    case 'property':
      return { Get: `Steps.${value.step}.${value.path}` };
    case 'jsonGet':
      return { 'Std:JsonGet': { PropertyFile: { Get: `Steps.${value.step}.PropertyFiles.${value.propertyFile}` }, Path: value.path } };
    case 'join':
      return { 'Std:Join': { On: value.on, Values: value.values.map((v) => renderValue(v, context)) } };
    case 'execution':
      return { Get: `Execution.${value.variable}` };
    case 'setting':
      return context.setting(value.key);
  }
}

/**
 * A value where the API wants a string (hyperparameters, customer metadata): the SDK's `to_string()`,
 * which leaves String parameters as they are and wraps anything else in a one-element `Std:Join`.
 */
export function renderString(value: Value, context: RenderContext): Json {
  if (!isExpr(value)) return String(value);
  if (value.kind === 'setting' || value.kind === 'join') return renderValue(value, context);
  if (value.kind === 'parameter' && context.parameterType(value.name) === 'String') return renderValue(value, context);
  return { 'Std:Join': { On: '', Values: [renderValue(value, context)] } };
}

export function renderRecord(record: Readonly<Record<string, Value>>, context: RenderContext, render = renderValue): Record<string, Json> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, render(v, context)]));
}
