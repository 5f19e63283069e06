import { setting, type Value } from '../expressions.js';
import { lambdaStep, type LambdaStep } from './lambda-step.js';

/** The local executor's action for a deploy step: the Deployer, given the same arguments. */
export const DEPLOY_ACTION = 'deploy';

/**
 * Deploys a registered version to an endpoint. On SageMaker it is a Lambda step: the function whose ARN
 * is the `deploy-function-arn` compile setting receives `{model_package_arn, endpoint_name}` and runs
 * the same blue/green deployment `npm run registry -- deploy` does (create model + endpoint config,
 * UpdateEndpoint or CreateEndpoint), answering `endpoint_config_name`. Locally the executor calls the
 * Deployer (`@petal/deploy`) with the registered version and the endpoint.
 */
export function deployStep(options: { name: string; description?: string; modelPackageArn: Value; endpointName: Value; dependsOn?: string[] }): LambdaStep {
  return lambdaStep({
    name: options.name,
    ...(options.description ? { description: options.description } : {}),
    ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    functionArn: setting('deploy-function-arn'),
    arguments: { model_package_arn: options.modelPackageArn, endpoint_name: options.endpointName },
    outputs: [{ name: 'endpoint_config_name', type: 'String' }],
    local: { action: DEPLOY_ACTION },
  });
}
