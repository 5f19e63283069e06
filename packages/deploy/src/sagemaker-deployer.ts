/**
 * Deploys a registered version onto a SageMaker real-time endpoint: a new model and endpoint config per
 * deploy, then CreateEndpoint (first deploy) or UpdateEndpoint with a blue/green deployment (canary
 * traffic shifting, an `Invocation5XXErrors` CloudWatch alarm for automatic rollback), a bounded wait for
 * `InService`, and a check that the endpoint really runs the new config: when the alarm fires, SageMaker
 * rolls back to the old fleet and the endpoint is `InService` again as if nothing happened.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  type DeploymentConfig,
  type DescribeEndpointCommandOutput,
  type ProductionVariant,
  type ProductionVariantInstanceType,
  type SageMakerClient,
  type Tag,
  type TrafficRoutingConfig,
} from '@aws-sdk/client-sagemaker';
import type { DeployablePackage, Deployer, DeployOutcome, RegisteredIdentity } from './deploy-target.js';
import { GROUP_TAG, VERSION_TAG, deployResourceName } from './sagemaker-names.js';

/** The variant every config uses: blue/green updates need the new config to keep the old variant's name. */
export const VARIANT_NAME = 'AllTraffic';

export type SageMakerCapacity =
  | { kind: 'instances'; instanceType: ProductionVariantInstanceType; instanceCount: number }
  | { kind: 'serverless'; memorySizeInMB: number; maxConcurrency: number };

export type SageMakerTrafficRouting =
  /** A share of the new fleet takes traffic first; the rest follows after `waitIntervalSeconds` without an alarm. */
  | { type: 'CANARY'; canarySize: { type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; value: number }; waitIntervalSeconds: number }
  /** Everything at once, then a baking period of `waitIntervalSeconds` watched by the alarms. */
  | { type: 'ALL_AT_ONCE'; waitIntervalSeconds: number };

export interface SageMakerDeployConfig {
  endpointName: string;
  /** The inference image (the endpoint container in ECR). */
  imageUri: string;
  /** The role SageMaker assumes to pull the image and read the artifact. */
  executionRoleArn: string;
  capacity: SageMakerCapacity;
  trafficRouting: SageMakerTrafficRouting;
  /** How long the old fleet is kept after the switch (a rollback target while it lives). */
  terminationWaitSeconds: number;
  /** Upper bound SageMaker gives the whole blue/green deployment. */
  maximumExecutionTimeoutSeconds: number;
  /** CloudWatch alarms (on the endpoint's `Invocation5XXErrors`) that roll a deployment back. */
  rollbackAlarms: readonly string[];
  /** Waiting for `InService`: poll every `intervalMs`, give up after `timeoutMs`. */
  poll: { intervalMs: number; timeoutMs: number };
}

export interface SageMakerDeployerDeps {
  client: SageMakerClient;
  log?: (line: string) => void;
  /** The waiter's clock; tests pass one that does not really wait. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface SageMakerDeployResult extends DeployOutcome {
  modelName?: string;
  endpointConfigName?: string;
  /** The config the endpoint ran before (undefined on a first deploy). */
  previousEndpointConfigName?: string;
  /** `created` the endpoint, or `updated` it. */
  action?: 'created' | 'updated';
  waitedMs?: number;
}

const TERMINAL_FAILURES = new Set(['Failed', 'UpdateRollbackFailed', 'OutOfService', 'Deleting']);

export class SageMakerDeployer implements Deployer {
  private readonly client: SageMakerClient;
  private readonly log: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    readonly config: SageMakerDeployConfig,
    deps: SageMakerDeployerDeps,
  ) {
    checkConfig(config);
    this.client = deps.client;
    this.log = deps.log ?? (() => undefined);
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = deps.now ?? Date.now;
  }

  async current(): Promise<RegisteredIdentity | undefined> {
    const endpoint = await this.describeEndpoint();
    if (!endpoint?.EndpointConfigName) return undefined;
    return this.identityOfConfig(endpoint.EndpointConfigName);
  }

  async deploy(pkg: DeployablePackage): Promise<SageMakerDeployResult> {
    if (!pkg.artifactUri.startsWith('s3://')) {
      return { deployed: false, message: `${pkg.group} v${pkg.version} not deployed: SageMaker reads model data from S3, and ${pkg.artifactUri} is not an s3:// URI` };
    }
    const label = `${pkg.group} v${pkg.version}`;
    const { endpointName } = this.config;
    const name = deployResourceName(pkg.group, pkg.version, `${pkg.artifactUri}\n${this.now()}`);
    const tags: Tag[] = [
      { Key: GROUP_TAG, Value: pkg.group },
      { Key: VERSION_TAG, Value: String(pkg.version) },
    ];

    await this.client.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: this.config.executionRoleArn,
        PrimaryContainer: {
          Image: this.config.imageUri,
          ModelDataUrl: pkg.artifactUri,
          // The container reports this identity instead of the artifact manifest's (see the package README).
          Environment: { PETAL_MODEL_NAME: pkg.group, PETAL_MODEL_VERSION: String(pkg.version), ENDPOINT_NAME: endpointName },
        },
        Tags: tags,
      }),
    );
    await this.client.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [this.variant(name)], Tags: tags }));
    this.log(`deploy: model and endpoint config ${name} created for ${label}`);

    const before = await this.describeEndpoint();
    const previousConfig = before?.EndpointConfigName;
    let action: 'created' | 'updated';
    if (!before) {
      await this.client.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: name, Tags: tags }));
      action = 'created';
      this.log(`deploy: endpoint ${endpointName} does not exist yet; creating it with ${name}`);
    } else {
      if (before.EndpointStatus !== 'InService') {
        return {
          deployed: false,
          message: `${label} not deployed: endpoint ${endpointName} is ${before.EndpointStatus}, not InService (another update running?); model and config ${name} are left for a retry`,
          modelName: name,
          endpointConfigName: name,
          previousEndpointConfigName: previousConfig,
        };
      }
      await this.client.send(new UpdateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: name, DeploymentConfig: this.deploymentConfig() }));
      action = 'updated';
      this.log(`deploy: updating endpoint ${endpointName} from ${previousConfig} to ${name} (blue/green, ${describeRouting(this.config.trafficRouting)})`);
    }

    const started = this.now();
    const settled = await this.waitUntilSettled(name, before);
    const waitedMs = this.now() - started;
    const base = { modelName: name, endpointConfigName: name, previousEndpointConfigName: previousConfig, action, waitedMs };
    if (settled.kind === 'timeout') {
      return { deployed: false, message: `${label}: endpoint ${endpointName} still ${settled.status} after ${minutes(waitedMs)}; the deployment may still finish (check DescribeEndpoint)`, ...base };
    }
    if (settled.kind === 'failed') {
      return { deployed: false, message: `${label} not deployed: endpoint ${endpointName} is ${settled.status}${settled.reason ? ` (${settled.reason})` : ''}`, ...base };
    }
    const running = settled.endpoint.EndpointConfigName;
    if (running !== name) {
      // InService, but on another config: the alarm fired and SageMaker shifted traffic back to the old fleet.
      const rolledBackTo = running ? await this.identityOfConfig(running).catch(() => undefined) : undefined;
      const reason = settled.endpoint.FailureReason ? ` (${settled.endpoint.FailureReason})` : '';
      return {
        deployed: false,
        message: `${label} not deployed: SageMaker rolled endpoint ${endpointName} back to ${running}${rolledBackTo ? ` (${rolledBackTo.group} v${rolledBackTo.version})` : ''}${reason}`,
        ...(rolledBackTo ? { rolledBackTo } : {}),
        ...base,
      };
    }
    return { deployed: true, message: `${label} serves on endpoint ${endpointName} (${name}, ${action} in ${minutes(waitedMs)})`, ...base };
  }

  private variant(modelName: string): ProductionVariant {
    const { capacity } = this.config;
    if (capacity.kind === 'serverless') {
      return { VariantName: VARIANT_NAME, ModelName: modelName, ServerlessConfig: { MemorySizeInMB: capacity.memorySizeInMB, MaxConcurrency: capacity.maxConcurrency } };
    }
    return { VariantName: VARIANT_NAME, ModelName: modelName, InstanceType: capacity.instanceType, InitialInstanceCount: capacity.instanceCount, InitialVariantWeight: 1 };
  }

  private deploymentConfig(): DeploymentConfig {
    const routing = this.config.trafficRouting;
    const TrafficRoutingConfiguration: TrafficRoutingConfig =
      routing.type === 'CANARY'
        ? { Type: 'CANARY', CanarySize: { Type: routing.canarySize.type, Value: routing.canarySize.value }, WaitIntervalInSeconds: routing.waitIntervalSeconds }
        : { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: routing.waitIntervalSeconds };
    return {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration,
        TerminationWaitInSeconds: this.config.terminationWaitSeconds,
        MaximumExecutionTimeoutInSeconds: this.config.maximumExecutionTimeoutSeconds,
      },
      AutoRollbackConfiguration: { Alarms: this.config.rollbackAlarms.map((AlarmName) => ({ AlarmName })) },
    };
  }

  /**
   * Polls DescribeEndpoint until it leaves Creating/Updating/RollingBack, with a line per change and per
   * minute. SageMaker's answers lag its calls a little: a just-created endpoint may not be found yet, and
   * a just-updated one may still read InService on its old config. Neither is taken as the outcome until
   * the endpoint has shown the change (a transitional state, the new config, or a newer LastModifiedTime).
   */
  private async waitUntilSettled(
    newConfig: string,
    before: DescribeEndpointCommandOutput | undefined,
  ): Promise<
    | { kind: 'in-service'; endpoint: DescribeEndpointCommandOutput }
    | { kind: 'failed'; status: string; reason?: string }
    | { kind: 'timeout'; status: string }
  > {
    const { intervalMs, timeoutMs } = this.config.poll;
    const started = this.now();
    let lastStatus = '';
    let lastLine = started;
    let changed = false;
    for (;;) {
      const endpoint = await this.describeEndpoint();
      const status = endpoint?.EndpointStatus ?? 'not found';
      const elapsed = this.now() - started;
      if (status !== lastStatus || this.now() - lastLine >= 60_000) {
        this.log(`deploy: endpoint ${this.config.endpointName} ${status} (${minutes(elapsed)})`);
        lastStatus = status;
        lastLine = this.now();
      }
      if (endpoint) {
        changed ||= status !== 'InService' || endpoint.EndpointConfigName === newConfig || isNewer(endpoint.LastModifiedTime, before?.LastModifiedTime);
        if (status === 'InService' && changed) return { kind: 'in-service', endpoint };
        if (TERMINAL_FAILURES.has(status)) return { kind: 'failed', status, reason: endpoint.FailureReason };
      } else if (before) {
        return { kind: 'failed', status: 'gone (deleted during the update)' };
      }
      if (elapsed >= timeoutMs) return { kind: 'timeout', status };
      await this.sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)));
    }
  }

  /** DescribeEndpoint, or undefined when there is no such endpoint (SageMaker says so with a ValidationException). */
  private async describeEndpoint(): Promise<DescribeEndpointCommandOutput | undefined> {
    try {
      return await this.client.send(new DescribeEndpointCommand({ EndpointName: this.config.endpointName }));
    } catch (err) {
      if ((err as Error).name === 'ValidationException' && /could not find endpoint/i.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  /** The registered version an endpoint config holds, from the tags a deploy put on it; undefined for configs made some other way. */
  private async identityOfConfig(configName: string): Promise<RegisteredIdentity | undefined> {
    const config = await this.client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
    if (!config.EndpointConfigArn) return undefined;
    const { Tags = [] } = await this.client.send(new ListTagsCommand({ ResourceArn: config.EndpointConfigArn }));
    const group = Tags.find((t) => t.Key === GROUP_TAG)?.Value;
    const version = Tags.find((t) => t.Key === VERSION_TAG)?.Value;
    if (!group || !version || !/^[1-9]\d*$/.test(version)) return undefined;
    return { group, version: Number(version) };
  }
}

/** Refuses a config SageMaker would refuse later, after the model and config were already created. */
export function checkConfig(config: SageMakerDeployConfig): void {
  const problems: string[] = [];
  if (!config.endpointName) problems.push('no endpoint name');
  if (!config.imageUri) problems.push('no inference image URI');
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(config.executionRoleArn)) problems.push(`execution role ${JSON.stringify(config.executionRoleArn)} is not an IAM role ARN`);
  if (config.rollbackAlarms.length === 0) problems.push('no rollback alarm: name the CloudWatch alarm on the endpoint’s Invocation5XXErrors');
  const routing = config.trafficRouting;
  if (routing.type === 'CANARY') {
    const { capacity } = config;
    if (capacity.kind === 'serverless') problems.push('canary traffic shifting needs instances; a serverless endpoint shifts ALL_AT_ONCE');
    else if (routing.canarySize.type === 'INSTANCE_COUNT' && (routing.canarySize.value < 1 || routing.canarySize.value * 2 > capacity.instanceCount)) {
      problems.push(`a canary of ${routing.canarySize.value} instance(s) must be at least 1 and at most half of the ${capacity.instanceCount} instance(s)`);
    } else if (routing.canarySize.type === 'CAPACITY_PERCENT' && (routing.canarySize.value < 1 || routing.canarySize.value > 50 || capacity.instanceCount < 2)) {
      problems.push(`a canary of ${routing.canarySize.value}% needs 1–50% and at least 2 instances (has ${capacity.instanceCount})`);
    }
  }
  if (config.poll.intervalMs <= 0 || config.poll.timeoutMs <= 0) problems.push('poll interval and timeout must be positive');
  if (problems.length > 0) throw new Error(`SageMaker deploy configuration: ${problems.join('; ')}`);
}

function isNewer(a: Date | undefined, b: Date | undefined): boolean {
  return a !== undefined && b !== undefined && a.getTime() > b.getTime();
}

function describeRouting(routing: SageMakerTrafficRouting): string {
  if (routing.type === 'ALL_AT_ONCE') return `all at once, baking ${routing.waitIntervalSeconds} s`;
  const size = routing.canarySize.type === 'CAPACITY_PERCENT' ? `${routing.canarySize.value}%` : `${routing.canarySize.value} instance(s)`;
  return `canary ${size} for ${routing.waitIntervalSeconds} s`;
}

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}
