import * as z from 'zod/mini';

/**
 * The MLOps console (`/console` on the web origin, its API under `/api/console`): the pipeline's
 * executions with their step graphs and logs, and the model registry's versions with their evaluation,
 * approval and deployment. The BFF builds these from the local executor's records and the registry, the
 * console page validates every answer against them.
 */

/** A pipeline parameter's value, as SageMaker Pipelines types them. */
export const consoleParameterValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type ConsoleParameterValue = z.infer<typeof consoleParameterValueSchema>;

export const CONSOLE_PARAMETER_TYPES = ['String', 'Integer', 'Float', 'Boolean'] as const;

/** One parameter the start form offers. */
export const consoleParameterSchema = z.object({
  name: z.string(),
  type: z.enum(CONSOLE_PARAMETER_TYPES),
  description: z.string(),
  default: z.optional(consoleParameterValueSchema),
  enumValues: z.optional(z.array(z.string())),
  /** Filled at start from the registry or git, or computed from other parameters: shown, not asked for. */
  automatic: z.boolean(),
});
export type ConsoleParameter = z.infer<typeof consoleParameterSchema>;

/**
 * Who may act: `token` (every action needs the admin token as `Authorization: Bearer …`), `open` (a
 * loopback-only server with no token configured) or `off` (a public server with no token: no actions).
 */
export const CONSOLE_ACTION_MODES = ['token', 'open', 'off'] as const;
export type ConsoleActionMode = (typeof CONSOLE_ACTION_MODES)[number];

/** `GET /api/console/info`. */
export const consoleInfoSchema = z.object({
  pipeline: z.string(),
  group: z.string(),
  registry: z.enum(['local', 'sagemaker']),
  actions: z.enum(CONSOLE_ACTION_MODES),
  parameters: z.array(consoleParameterSchema),
});
export type ConsoleInfo = z.infer<typeof consoleInfoSchema>;

export const CONSOLE_EXECUTION_STATUSES = ['running', 'succeeded', 'rejected', 'failed', 'interrupted'] as const;
export type ConsoleExecutionStatus = (typeof CONSOLE_EXECUTION_STATUSES)[number];
export const CONSOLE_STEP_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'skipped', 'cached', 'stopped'] as const;
export type ConsoleStepStatus = (typeof CONSOLE_STEP_STATUSES)[number];

const registeredSchema = z.object({ group: z.string(), version: z.number().check(z.int()), approval: z.string() });
const executionMetricsSchema = z.object({
  accuracy: z.number(),
  macroF1: z.optional(z.number()),
  testSize: z.optional(z.number()),
  /** The two out-of-scope numbers the pipeline's quality gate reads (absent in runs from before it did). */
  inScopeFlowerRate: z.optional(z.number()),
  outOfScopeDetectionRate: z.optional(z.number()),
});

/** One execution in the list. */
export const executionSummarySchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  status: z.enum(CONSOLE_EXECUTION_STATUSES),
  /** Why it was rejected, failed or interrupted. */
  message: z.optional(z.string()),
  parameters: z.record(z.string(), consoleParameterValueSchema),
  startedAt: z.string(),
  endedAt: z.optional(z.string()),
  /** Until now while it runs. */
  durationMs: z.number().check(z.nonnegative()),
  attempt: z.number().check(z.int(), z.positive()),
  progress: z.object({ done: z.number().check(z.int()), total: z.number().check(z.int()) }),
  /** The step running now. */
  current: z.optional(z.string()),
  metrics: z.optional(executionMetricsSchema),
  registered: z.optional(registeredSchema),
});
export type ExecutionSummary = z.infer<typeof executionSummarySchema>;

/** `GET /api/console/executions`: newest first. */
export const executionListSchema = z.object({ executions: z.array(executionSummarySchema) });
export type ExecutionList = z.infer<typeof executionListSchema>;

export const consoleStepSchema = z.object({
  name: z.string(),
  kind: z.string(),
  status: z.enum(CONSOLE_STEP_STATUSES),
  startedAt: z.optional(z.string()),
  durationMs: z.optional(z.number().check(z.nonnegative())),
  message: z.optional(z.string()),
  /** What the step returned (a condition's Outcome, the registered package's ARN, …). */
  result: z.optional(z.record(z.string(), consoleParameterValueSchema)),
  /** The execution whose finished step this one reused. */
  cachedFrom: z.optional(z.string()),
  /** Whether `GET …/logs/<step>` has a log (job steps). */
  hasLog: z.boolean(),
});
export type ConsoleStep = z.infer<typeof consoleStepSchema>;

/** The step graph laid out in layers: `depth` is the column, `row` the place in it. */
export const stepGraphSchema = z.object({
  nodes: z.array(z.object({ name: z.string(), depth: z.number().check(z.int()), row: z.number().check(z.int()) })),
  /** Only edges not implied by another path (no lines across the graph); `branch` on a condition's edges. */
  edges: z.array(z.object({ from: z.string(), to: z.string(), branch: z.optional(z.enum(['if', 'else'])) })),
});
export type StepGraph = z.infer<typeof stepGraphSchema>;

/** `GET /api/console/executions/:id`. */
export const executionDetailSchema = z.object({
  execution: executionSummarySchema,
  steps: z.array(consoleStepSchema),
  graph: stepGraphSchema,
  deployed: z.optional(z.object({ endpoint: z.string(), version: z.number(), message: z.string() })),
});
export type ExecutionDetail = z.infer<typeof executionDetailSchema>;

/** `GET /api/console/executions/:id/logs/:step`: the end of the step's log. */
export const stepLogSchema = z.object({
  step: z.string(),
  text: z.string(),
  /** The log is longer than `text`, which is its end. */
  truncated: z.boolean(),
  bytes: z.number().check(z.int(), z.nonnegative()),
});
export type StepLog = z.infer<typeof stepLogSchema>;

/** `POST /api/console/executions`: values for the parameters to set; the rest take their defaults. */
export const startRunRequestSchema = z.object({
  parameters: z.record(z.string().check(z.maxLength(64)), consoleParameterValueSchema),
});
export type StartRunRequest = z.infer<typeof startRunRequestSchema>;

/** 202: the run has started; poll `GET /api/console/executions/:id`. */
export const startRunAnswerSchema = z.object({ id: z.string() });
export type StartRunAnswer = z.infer<typeof startRunAnswerSchema>;

export const CONSOLE_APPROVAL_STATUSES = ['PendingManualApproval', 'Approved', 'Rejected'] as const;
export type ConsoleApproval = (typeof CONSOLE_APPROVAL_STATUSES)[number];

/** One registered version (SageMaker's model package). */
export const modelVersionSchema = z.object({
  version: z.number().check(z.int(), z.positive()),
  approval: z.enum(CONSOLE_APPROVAL_STATUSES),
  createdAt: z.string(),
  metrics: z.object({ accuracy: z.number(), macroF1: z.number(), testSize: z.number() }),
  modelName: z.string(),
  modelVersion: z.string(),
  gitCommit: z.string(),
  dataFingerprint: z.string(),
  description: z.optional(z.string()),
  /** The endpoint serves this version (as the registry recorded it). */
  deployed: z.boolean(),
  history: z.array(z.object({ status: z.enum(CONSOLE_APPROVAL_STATUSES), at: z.string(), by: z.string(), reason: z.optional(z.string()) })),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const deploymentSchema = z.object({
  version: z.number().check(z.int()),
  deployedAt: z.string(),
  by: z.string(),
  previous: z.optional(z.number().check(z.int())),
});
export type ConsoleDeployment = z.infer<typeof deploymentSchema>;

/** `GET /api/console/models`: newest version first. */
export const modelListSchema = z.object({
  group: z.string(),
  deployed: z.nullable(deploymentSchema),
  versions: z.array(modelVersionSchema),
});
export type ModelList = z.infer<typeof modelListSchema>;

/** A version's evaluation (its evaluation.json), as the Models view draws it. */
export const evaluationViewSchema = z.object({
  labels: z.array(z.string()),
  /** confusion[actual][predicted], in `labels` order. */
  confusion: z.array(z.array(z.number().check(z.int(), z.nonnegative()))),
  perClass: z.array(z.object({ label: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })),
  accuracy: z.number(),
  macroF1: z.number(),
  itemCount: z.number().check(z.int(), z.nonnegative()),
  evaluatedAt: z.string(),
  mistakes: z.number().check(z.int(), z.nonnegative()),
  /** `GET /api/console/models/:version/report` serves the evaluation's report.html. */
  report: z.boolean(),
});
export type EvaluationView = z.infer<typeof evaluationViewSchema>;

/** `GET /api/console/models/:version`. */
export const modelDetailSchema = z.object({
  model: modelVersionSchema,
  /** null when the evaluation file cannot be read. */
  evaluation: z.nullable(evaluationViewSchema),
});
export type ModelDetail = z.infer<typeof modelDetailSchema>;

export const CONSOLE_MODEL_ACTIONS = ['approve', 'reject', 'deploy'] as const;
export type ModelAction = (typeof CONSOLE_MODEL_ACTIONS)[number];

/** `POST /api/console/models/:version/{approve,reject,deploy}`. */
export const modelActionRequestSchema = z.object({ reason: z.optional(z.string().check(z.maxLength(500))) });
export type ModelActionRequest = z.infer<typeof modelActionRequestSchema>;

export const modelActionAnswerSchema = z.object({
  /** One line for a person: what happened. */
  message: z.string(),
  model: modelVersionSchema,
  /** deploy: whether the endpoint now serves it (a failed smoke test rolls back and says so). */
  deployed: z.optional(z.boolean()),
  /** reject of the deployed version: what the rollback did. */
  rollback: z.optional(z.object({ from: z.number(), to: z.optional(z.number()), deployed: z.boolean(), message: z.string() })),
});
export type ModelActionAnswer = z.infer<typeof modelActionAnswerSchema>;
