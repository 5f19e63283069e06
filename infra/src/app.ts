/**
 * The Petal CDK app: four stacks with one responsibility each, cdk-nag's AwsSolutions checks on all of
 * them. Every stack is environment-agnostic (account and region are CloudFormation pseudo-parameters),
 * so synthesis needs no AWS account and the same templates deploy to any account and region.
 */
import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AppStack } from './app-stack.js';
import { readConfig, type PetalConfig } from './config.js';
import { DeliveryStack } from './delivery-stack.js';
import { MlStack } from './ml-stack.js';
import { NetworkStack } from './network-stack.js';

export interface PetalApp {
  app: App;
  config: PetalConfig;
  network: NetworkStack;
  ml: MlStack;
  appStack: AppStack;
  delivery: DeliveryStack;
}

export interface BuildOptions extends AppProps {
  /** Run cdk-nag during synthesis (the default; a finding nobody acknowledged fails synthesis). */
  nag?: boolean;
}

export function buildApp(options: BuildOptions = {}): PetalApp {
  const { nag = true, ...appProps } = options;
  const app = new App({
    ...appProps,
    // Exports stay "strong": CloudFormation refuses to remove an output another stack still imports.
    context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong', ...appProps.context },
  });
  const config = readConfig(app.node);
  const prefix = `Petal-${config.envName}`;

  const network = new NetworkStack(app, `${prefix}-Network`, { config, description: 'Petal: VPC, subnets, NAT, VPC endpoints, flow logs' });
  const ml = new MlStack(app, `${prefix}-Ml`, { config, description: 'Petal: data and artifact buckets, SageMaker roles, model registry group, pipeline, deploy Lambda, endpoint' });
  const appStack = new AppStack(app, `${prefix}-App`, { config, vpc: network.vpc, description: 'Petal: ECS Fargate web and WAS services behind their ALBs' });
  const delivery = new DeliveryStack(app, `${prefix}-Delivery`, { config, vpc: network.vpc, ml, description: 'Petal: ECR repositories and the CodePipelines for web, WAS and the ML pipeline' });
  Tags.of(app).add('project', 'petal');
  Tags.of(app).add('environment', config.envName);

  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, network, ml, appStack, delivery };
}
