/**
 * Names other stacks (and the services' code) refer to without a CloudFormation reference between
 * stacks: fixed names break the deploy-order cycles (the delivery pipelines deploy services and push
 * to repositories that the App and Ml stacks read by name).
 */
import { MODEL_PACKAGE_GROUP, FLOWER_PIPELINE_NAME } from '@petal/pipeline';
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PetalConfig } from './config.js';

export const NAMES = {
  cluster: 'AppEcsCluster',
  webService: 'app-web-service',
  wasService: 'app-was-service',
  webAlb: 'app-web-alb',
  wasAlb: 'app-was-alb',
  webTargetGroup: 'app-web-alb-tg',
  wasTargetGroup: 'app-was-alb-tg',
  modelPackageGroup: MODEL_PACKAGE_GROUP,
  pipeline: FLOWER_PIPELINE_NAME,
  endpoint: 'image-classifier',
  /** SageMaker's name for the one variant the deploy package creates (`VARIANT_NAME` in @petal/deploy). */
  variant: 'AllTraffic',
  repositories: { web: 'app-web', was: 'app-was', training: 'petal-training', endpoint: 'petal-endpoint' },
} as const;

export const PORTS = { web: 8000, was: 8081, endpoint: 8080 } as const;

export type RepositoryKey = keyof typeof NAMES.repositories;

/** The image URI of a repository in this stack's account and region. */
export function imageUri(scope: Construct, repository: RepositoryKey, tag: string): string {
  const stack = Stack.of(scope);
  return `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${NAMES.repositories[repository]}:${tag}`;
}

/** A SageMaker ARN in this stack's partition, account and region (`resource` like `endpoint`). */
export function sagemakerArn(scope: Construct, resource: string, name: string): string {
  return Arn.format({ service: 'sagemaker', resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, Stack.of(scope));
}

/** The task definition family of a service (the ECS deploy action registers new revisions of it). */
export const taskFamily = (config: PetalConfig, service: 'web' | 'was') => `petal-${config.envName}-${service}`;

/** The IAM role names of a service's tasks (the ECS deploy action passes them to each new revision). */
export const taskRoleName = (config: PetalConfig, service: 'web' | 'was', kind: 'task' | 'execution') => `petal-${config.envName}-${service}-${kind}`;

/** CodeDeploy's application and deployment groups (ecsDeploy=blue-green), named so the Delivery stack finds them. */
export const codeDeployNames = (config: PetalConfig) => ({
  application: `petal-${config.envName}-app`,
  deploymentGroup: (service: 'web' | 'was') => `petal-${config.envName}-${service}`,
});
