/**
 * The app's settings, read from CDK context (`-c key=value`, or `context` in cdk.json) with the defaults
 * the README's configuration table documents. Values arrive as strings from the command line and as JSON
 * values from cdk.json, so each is parsed and checked here once; a bad value stops synthesis with a
 * message naming the key instead of producing a template CloudFormation would reject later.
 */
import type { Node } from 'constructs';

export type SourceKind = 'codeconnections' | 'codecommit';
export type EcsDeployKind = 'rolling' | 'blue-green';

export interface PetalConfig {
  /** Prefix of the stack, build, pipeline, role and task-family names (`Petal-<envName>-Network`…). The other resources have fixed names, so one environment per account and region (infra/README.md). */
  envName: string;
  natGateways: number;
  webDesiredCount: number;
  wasDesiredCount: number;
  /** Auto-scaling bounds of both services. */
  minTasks: number;
  maxTasks: number;
  /** The commit whose web/WAS images the services run (the delivery pipelines push `:<commit>` tags). */
  imageTag: string;
  /** The commit whose training/evaluation/endpoint images the ML side uses. */
  mlImageTag: string;
  /** An ACM certificate for an HTTPS listener on the web ALB; none = HTTP only. */
  certificateArn: string | undefined;
  endpointInstanceType: string;
  endpointInstanceCount: number;
  serverless: boolean;
  serverlessMemoryMb: number;
  serverlessMaxConcurrency: number;
  /** The approved `flower-classifier` version the stack creates the endpoint from; none = the deploy Lambda creates it on the first approval. */
  approvedModelVersion: number | undefined;
  source: SourceKind;
  /** `owner/name` of the GitHub repository (codeconnections). */
  repository: string;
  branch: string;
  /** ARN of a CodeConnections connection in AVAILABLE state (codeconnections). */
  connectionArn: string | undefined;
  /** The CodeCommit repository name (codecommit), created by the stack. */
  codeCommitRepository: string;
  ecsDeploy: EcsDeployKind;
  /** Days the access-log, flow-log and artifact buckets keep noncurrent data. */
  logRetentionDays: number;
}

export const DEFAULTS: PetalConfig = {
  envName: 'dev',
  natGateways: 2,
  webDesiredCount: 2,
  wasDesiredCount: 2,
  minTasks: 2,
  maxTasks: 4,
  imageTag: 'unset',
  mlImageTag: 'unset',
  certificateArn: undefined,
  endpointInstanceType: 'ml.m5.xlarge',
  endpointInstanceCount: 1,
  serverless: false,
  serverlessMemoryMb: 3072,
  serverlessMaxConcurrency: 5,
  approvedModelVersion: undefined,
  source: 'codeconnections',
  repository: 'your-org/petal',
  branch: 'main',
  connectionArn: undefined,
  codeCommitRepository: 'petal',
  ecsDeploy: 'rolling',
  logRetentionDays: 90,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Raw = (key: string) => unknown;

function str(raw: Raw, key: keyof PetalConfig, pattern?: RegExp, what?: string): string | undefined {
  const value = raw(key);
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (pattern && !pattern.test(text)) throw new ConfigError(`context ${key}=${JSON.stringify(text)}: ${what ?? `must match ${pattern}`}`);
  return text;
}

function int(raw: Raw, key: keyof PetalConfig, min: number, max: number): number | undefined {
  const text = str(raw, key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`context ${key}=${text}: expected an integer from ${min} to ${max}`);
  return value;
}

function bool(raw: Raw, key: keyof PetalConfig): boolean | undefined {
  const text = str(raw, key);
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`context ${key}=${text}: expected true or false`);
}

function oneOf<T extends string>(raw: Raw, key: keyof PetalConfig, values: readonly T[]): T | undefined {
  const text = str(raw, key);
  if (text === undefined) return undefined;
  if (!(values as readonly string[]).includes(text)) throw new ConfigError(`context ${key}=${text}: expected one of ${values.join(', ')}`);
  return text as T;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The configuration from a construct tree's context (the App's), defaults filled in. */
export function readConfig(node: Pick<Node, 'tryGetContext'>): PetalConfig {
  const raw: Raw = (key) => node.tryGetContext(key);
  const pick = <K extends keyof PetalConfig>(key: K, value: PetalConfig[K] | undefined): PetalConfig[K] => (value === undefined ? DEFAULTS[key] : value);
  const config: PetalConfig = {
    envName: pick('envName', str(raw, 'envName', /^[a-z][a-z0-9-]{0,15}$/, 'lower-case letters, digits and hyphens, at most 16, starting with a letter')),
    natGateways: pick('natGateways', int(raw, 'natGateways', 1, 2)),
    webDesiredCount: pick('webDesiredCount', int(raw, 'webDesiredCount', 0, 20)),
    wasDesiredCount: pick('wasDesiredCount', int(raw, 'wasDesiredCount', 0, 20)),
    minTasks: pick('minTasks', int(raw, 'minTasks', 1, 20)),
    maxTasks: pick('maxTasks', int(raw, 'maxTasks', 1, 50)),
    imageTag: pick('imageTag', str(raw, 'imageTag', TAG, 'must be an image tag (a commit id)')),
    mlImageTag: pick('mlImageTag', str(raw, 'mlImageTag', TAG, 'must be an image tag (a commit id)')),
    certificateArn: str(raw, 'certificateArn', /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, 'must be an ACM certificate ARN'),
    endpointInstanceType: pick('endpointInstanceType', str(raw, 'endpointInstanceType', /^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type (ml.m5.xlarge)')),
    endpointInstanceCount: pick('endpointInstanceCount', int(raw, 'endpointInstanceCount', 1, 10)),
    serverless: pick('serverless', bool(raw, 'serverless')),
    serverlessMemoryMb: pick('serverlessMemoryMb', int(raw, 'serverlessMemoryMb', 1024, 6144)),
    serverlessMaxConcurrency: pick('serverlessMaxConcurrency', int(raw, 'serverlessMaxConcurrency', 1, 200)),
    approvedModelVersion: int(raw, 'approvedModelVersion', 1, 1_000_000),
    source: pick('source', oneOf(raw, 'source', ['codeconnections', 'codecommit'] as const)),
    repository: pick('repository', str(raw, 'repository', /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name')),
    branch: pick('branch', str(raw, 'branch', /^[A-Za-z0-9_./-]+$/, 'must be a branch name')),
    connectionArn: str(raw, 'connectionArn', /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/, 'must be a CodeConnections connection ARN'),
    codeCommitRepository: pick('codeCommitRepository', str(raw, 'codeCommitRepository', /^[A-Za-z0-9_.-]{1,100}$/, 'must be a CodeCommit repository name')),
    ecsDeploy: pick('ecsDeploy', oneOf(raw, 'ecsDeploy', ['rolling', 'blue-green'] as const)),
    logRetentionDays: pick('logRetentionDays', int(raw, 'logRetentionDays', 1, 3650)),
  };
  if (config.minTasks > config.maxTasks) throw new ConfigError(`context minTasks=${config.minTasks} is above maxTasks=${config.maxTasks}`);
  if (config.serverless && config.endpointInstanceCount !== DEFAULTS.endpointInstanceCount) {
    throw new ConfigError('context endpointInstanceCount has no meaning with serverless=true');
  }
  return config;
}
