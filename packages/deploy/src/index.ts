/**
 * Deploy a registered model version with rollback: into the running local endpoint (copy under the
 * registered identity, swap, smoke test, swap back on failure) or onto a SageMaker endpoint (blue/green
 * canary, alarm-driven automatic rollback, silent-rollback check). `createDeployer(env)` picks one.
 */
export { createDeployer, localDeployerOptions, sagemakerDeployConfig, DeployConfigError, DEFAULT_DEPLOY_DIR, DEFAULT_ENDPOINT_URL, type CreateDeployerOptions } from './config.js';
export { registeredIdentity, servedIdentity, type DeployablePackage, type Deployer, type DeployOutcome, type RegisteredIdentity } from './deploy-target.js';
export { ArtifactError, localPathOf, storeDownloader, type ArtifactDownloader } from './artifact-download.js';
export { prepareDeployCopy, pruneDeployCopies, type DeployCopy } from './deploy-copy.js';
export { EndpointCallError, EndpointClient, type EndpointClientOptions } from './endpoint-client.js';
export { LocalDeployer, type LocalDeployerOptions, type LocalDeployResult, type LocalDeployTimings, type SmokeSource } from './local-deployer.js';
export {
  DEFAULT_SMOKE_PER_CLASS,
  SmokeSetError,
  chooseSmokePhotos,
  evaluationMistakes,
  heldOutSmokeSet,
  readSmokePhotos,
  smokeDataRoot,
  type SmokeCase,
  type SmokePhoto,
} from './smoke-set.js';
export { describeSmokeFailures, runSmokeTest, topLabel, type SmokeFailure, type SmokeReport } from './smoke-test.js';
export {
  SageMakerDeployer,
  VARIANT_NAME,
  checkConfig,
  type SageMakerCapacity,
  type SageMakerDeployConfig,
  type SageMakerDeployerDeps,
  type SageMakerDeployResult,
  type SageMakerTrafficRouting,
} from './sagemaker-deployer.js';
export { GROUP_TAG, SAGEMAKER_NAME_MAX, VERSION_TAG, deployResourceName, isValidSageMakerName } from './sagemaker-names.js';
