/**
 * The deploy Lambda: deploys a registered version onto a SageMaker endpoint on AWS, invoked two ways.
 *
 * 1. By the compiled pipeline's `Deploy` Lambda step (`ml/pipeline`'s deploy step) with
 *    `{model_package_arn, endpoint_name}`; the step reads the answer's `endpoint_config_name`.
 * 2. By an EventBridge rule on `SageMaker Model Package State Change` for the group: an `Approved`
 *    version is deployed onto `PETAL_SAGEMAKER_ENDPOINT`; any other status is answered "nothing to do".
 *
 * Either way the version is read back through `SageMakerModelRegistry` (an event may be stale), refused
 * unless Approved, deployed with `SageMakerDeployer` (blue/green, alarm rollback, silent-rollback check;
 * settings from `sagemakerDeployConfig(env)`), and recorded as the group's deployed version when it took.
 * An event of no known shape throws, so Lambda marks the invocation failed (and the pipeline step fails).
 */
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  MODEL_PACKAGE_STATE_CHANGE,
  SageMakerModelRegistry,
  modelPackageStateChangeEventSchema,
  parseModelPackageArn,
  type ModelRegistry,
} from '@petal/registry';
import { z } from 'zod';
import { sagemakerDeployConfig } from './sagemaker-config.js';
import { SageMakerDeployer, type SageMakerDeployConfig } from './sagemaker-deployer.js';

/** What the pipeline's Deploy step sends (its `Arguments`). */
export const pipelineDeployEventSchema = z
  .object({
    model_package_arn: z.string().refine(isPackageArn, 'not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)'),
    endpoint_name: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'not a SageMaker endpoint name (letters, digits and hyphens, at most 63)'),
  })
  .strict();
export type PipelineDeployEvent = z.infer<typeof pipelineDeployEventSchema>;

function isPackageArn(arn: string): boolean {
  try {
    parseModelPackageArn(arn);
    return true;
  } catch {
    return false;
  }
}

/** The answer, as JSON. The pipeline step's one output is `endpoint_config_name`. */
export interface DeployLambdaResult {
  /** The endpoint config created for this version ('' when nothing was created). */
  endpoint_config_name: string;
  deployed: boolean;
  message: string;
  /** The registered version this invocation was about (null only when it named none). */
  version: number | null;
  group: string;
  model_package_arn: string;
  endpoint_name: string;
  /** What SageMaker put back when the new version failed (alarm rollback). */
  rolled_back_to?: { group: string; version: number };
  /** The version the registry recorded as deployed before this one, when it took and replaced one. */
  previous_version?: number;
}

/** The part of Lambda's context object the handler uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
  functionName?: string;
}

export interface DeployHandlerDeps {
  /** The SageMaker client both the registry and the deployer use. */
  sagemaker: SageMakerClient;
  /** The PETAL_* settings (the package README's table); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Default: a `SageMakerModelRegistry` on `sagemaker`. */
  registry?: ModelRegistry;
  /** Progress lines; default stderr (CloudWatch Logs). */
  log?: (line: string) => void;
  /** The deployer's clock; tests pass ones that do not really wait. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type DeployHandler = (event: unknown, context?: LambdaContextLike) => Promise<DeployLambdaResult>;

/** Left of the Lambda's remaining time when the deployer stops waiting, so it can still answer. */
const ANSWER_MARGIN_MS = 30_000;

export function createHandler(deps: DeployHandlerDeps): DeployHandler {
  const env = deps.env ?? process.env;
  const log = deps.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const registry =
    deps.registry ??
    new SageMakerModelRegistry({
      client: deps.sagemaker,
      image: env.PETAL_INFERENCE_IMAGE || env.PETAL_SAGEMAKER_IMAGE || '',
      onWarning: (m) => log(`warning: ${m}`),
    });

  return async (event, context) => {
    const request = readEvent(event);
    const { group, version } = parseModelPackageArn(request.arn);
    const endpointName = request.endpointName ?? (env.PETAL_SAGEMAKER_ENDPOINT || 'image-classifier');
    const base = { group, version, model_package_arn: request.arn, endpoint_name: endpointName, endpoint_config_name: '' };
    const label = `${group} version ${version}`;

    if (request.kind === 'state-change' && request.status !== 'Approved') {
      const message = `nothing to do: ${label} is ${request.status}; only an Approved version is deployed`;
      log(`deploy lambda: ${message}`);
      return { ...base, deployed: false, message };
    }

    // The event may be stale (approved, then rejected before this ran): SageMaker's current status decides.
    const pkg = await registry.get(group, version);
    if (pkg.approval !== 'Approved') {
      const message = `${label} is ${pkg.approval}: only an Approved version can be deployed`;
      if (request.kind === 'state-change') {
        log(`deploy lambda: nothing to do: ${message} (it changed since the event)`);
        return { ...base, deployed: false, message: `nothing to do: ${message} (it changed since the event)` };
      }
      throw new Error(`deploy refused: ${message}`);
    }

    const config: SageMakerDeployConfig = { ...sagemakerDeployConfig(env), endpointName };
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining !== undefined) {
      // Stop waiting before Lambda kills the invocation: the answer then says the deployment may still finish.
      config.poll = { ...config.poll, timeoutMs: Math.max(1000, Math.min(config.poll.timeoutMs, remaining - ANSWER_MARGIN_MS)) };
    }
    const deployer = new SageMakerDeployer(config, {
      client: deps.sagemaker,
      log,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
    if (request.kind === 'state-change') {
      // An auto-approved pipeline run deploys in its own Deploy step, and the approval event may arrive after
      // that: a version the endpoint already serves is not deployed again.
      const serving = await deployer.current().catch(() => undefined);
      if (serving?.group === group && serving.version === version) {
        const message = `nothing to do: endpoint ${endpointName} already serves ${label}`;
        log(`deploy lambda: ${message}`);
        return { ...base, deployed: false, message };
      }
    }
    log(`deploy lambda: deploying ${label} (${request.arn}) onto endpoint ${endpointName}`);
    const outcome = await deployer.deploy(pkg);
    const result: DeployLambdaResult = {
      ...base,
      endpoint_config_name: outcome.endpointConfigName ?? '',
      deployed: outcome.deployed,
      message: outcome.message,
      ...(outcome.rolledBackTo ? { rolled_back_to: outcome.rolledBackTo } : {}),
    };
    if (!outcome.deployed) {
      log(`deploy lambda: not deployed: ${outcome.message}`);
      return result;
    }
    const record = await registry.recordDeployment(group, version, { by: context?.functionName ? `lambda:${context.functionName}` : 'lambda:petal-deploy' });
    log(`deploy lambda: ${outcome.message}; recorded as ${group}'s deployed version`);
    return { ...result, ...(record.previous !== undefined ? { previous_version: record.previous } : {}) };
  };
}

type DeployRequest =
  | { kind: 'pipeline'; arn: string; endpointName: string }
  | { kind: 'state-change'; arn: string; endpointName?: undefined; status: string };

/** The event as one of the two shapes, or an error that says what is wrong with it. */
export function readEvent(event: unknown): DeployRequest {
  if (typeof event === 'object' && event !== null && 'detail-type' in event) {
    const detailType = (event as Record<string, unknown>)['detail-type'];
    if (detailType !== MODEL_PACKAGE_STATE_CHANGE) {
      throw new Error(`deploy lambda: EventBridge event of detail-type ${JSON.stringify(detailType)}: only "${MODEL_PACKAGE_STATE_CHANGE}" is handled`);
    }
    const parsed = modelPackageStateChangeEventSchema.safeParse(event);
    if (!parsed.success) throw new Error(`deploy lambda: malformed "${MODEL_PACKAGE_STATE_CHANGE}" event: ${issues(parsed.error)}`);
    const { detail } = parsed.data;
    if (!isPackageArn(detail.ModelPackageArn)) throw new Error(`deploy lambda: detail.ModelPackageArn ${detail.ModelPackageArn} is not a versioned model package ARN`);
    return { kind: 'state-change', arn: detail.ModelPackageArn, status: detail.ModelApprovalStatus };
  }
  const parsed = pipelineDeployEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(
      `deploy lambda: unrecognised event: expected the pipeline's {model_package_arn, endpoint_name} or an EventBridge "${MODEL_PACKAGE_STATE_CHANGE}" event: ${issues(parsed.error)}`,
    );
  }
  return { kind: 'pipeline', arn: parsed.data.model_package_arn, endpointName: parsed.data.endpoint_name };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(event)'}: ${i.message}`).join('; ');
}

let real: DeployHandler | undefined;

/** The Lambda entry point: a handler on a real SageMaker client (`AWS_REGION`, the function's role), built on first use. */
export const handler: DeployHandler = (event, context) => {
  real ??= createHandler({ sagemaker: new SageMakerClient(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}) });
  return real(event, context);
};
