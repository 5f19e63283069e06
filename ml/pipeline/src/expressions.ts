/**
 * Values a step argument can take: a literal, or a reference resolved when the execution runs — a
 * parameter, a property of an upstream step, a field of an upstream step's property file, a string
 * joined from other values, an execution variable. The same reference means the same thing on
 * SageMaker (compiled to `Get`, `Std:JsonGet`, `Std:Join`) and in the local executor (resolved by
 * `resolveValue`).
 */
export type Literal = string | number | boolean;

export interface ParameterRef {
  kind: 'parameter';
  name: string;
}

export interface StepPropertyRef {
  kind: 'property';
  step: string;
  /** A path into the step's SageMaker properties: `ModelArtifacts.S3ModelArtifacts`, `Outcome`, … */
  path: string;
}

export interface JsonGetRef {
  kind: 'jsonGet';
  step: string;
  propertyFile: string;
  /** A JSON path into the property file: `multiclass_classification_metrics.accuracy.value`. */
  path: string;
}

export interface JoinExpr {
  kind: 'join';
  on: string;
  values: Value[];
}

/** SageMaker's execution variables (`Execution.PipelineExecutionId`, …). */
export const EXECUTION_VARIABLES = ['PipelineExecutionId', 'PipelineExecutionArn', 'PipelineName', 'PipelineArn', 'StartDateTime', 'CurrentDateTime'] as const;
export type ExecutionVariable = (typeof EXECUTION_VARIABLES)[number];

export interface ExecutionRef {
  kind: 'execution';
  variable: ExecutionVariable;
}

/**
 * Deployment settings known only where the definition is compiled for an AWS account (role ARN, image
 * URIs, the deploy function, the S3 prefix for artifacts). They are not pipeline parameters because
 * SageMaker fixes them when the pipeline is created; the local executor never reads them.
 */
export const COMPILE_SETTINGS = ['role-arn', 'training-image', 'evaluation-image', 'serving-image', 'deploy-function-arn', 'artifact-s3-uri'] as const;
export type CompileSetting = (typeof COMPILE_SETTINGS)[number];

export interface SettingRef {
  kind: 'setting';
  key: CompileSetting;
}

export type Expr = ParameterRef | StepPropertyRef | JsonGetRef | JoinExpr | ExecutionRef | SettingRef;
export type Value = Literal | Expr;

export const param = (name: string): ParameterRef => ({ kind: 'parameter', name });
export const stepProperty = (step: string, path: string): StepPropertyRef => ({ kind: 'property', step, path });
export const jsonGet = (step: string, propertyFile: string, path: string): JsonGetRef => ({ kind: 'jsonGet', step, propertyFile, path });
export const join = (on: string, values: Value[]): JoinExpr => ({ kind: 'join', on, values });
export const execution = (variable: ExecutionVariable): ExecutionRef => ({ kind: 'execution', variable });
export const setting = (key: CompileSetting): SettingRef => ({ kind: 'setting', key });

const EXPR_KINDS: ReadonlySet<string> = new Set<Expr['kind']>(['parameter', 'property', 'jsonGet', 'join', 'execution', 'setting']);

export function isExpr(value: unknown): value is Expr {
  return typeof value === 'object' && value !== null && EXPR_KINDS.has((value as { kind?: unknown }).kind as string);
}

/** Every reference inside a value, joins unfolded. */
export function referencesIn(value: Value): Exclude<Expr, JoinExpr>[] {
  if (!isExpr(value)) return [];
  if (value.kind === 'join') return value.values.flatMap(referencesIn);
  return [value];
}

/** The references inside any structure of values (arrays and plain objects walked). */
export function referencesInTree(tree: unknown): Exclude<Expr, JoinExpr>[] {
  if (Array.isArray(tree)) return tree.flatMap(referencesInTree);
  if (isExpr(tree)) return referencesIn(tree);
  if (typeof tree === 'object' && tree !== null) return Object.values(tree).flatMap(referencesInTree);
  return [];
}

/** How a reference reads in messages and the summary: `param(epochs)`, `Train.ModelArtifacts.S3ModelArtifacts`. */
export function describeValue(value: Value): string {
  if (!isExpr(value)) return JSON.stringify(value);
  switch (value.kind) {
    case 'parameter':
      return `param(${value.name})`;
    case 'property':
      return `${value.step}.${value.path}`;
    case 'jsonGet':
      return `${value.step}.${value.propertyFile}:${value.path}`;
    case 'join':
      return `join(${JSON.stringify(value.on)}, ${value.values.map(describeValue).join(', ')})`;
    case 'execution':
      return `execution(${value.variable})`;
    case 'setting':
      return `setting(${value.key})`;
  }
}
