import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as codeconnections from 'aws-cdk-lib/aws-codeconnections';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PetalConfig } from './config.js';
import type { MlStack } from './ml-stack.js';
import { acknowledgeIam5, arnPrefix, arnRef, ref } from './nag.js';
import { NAMES, PORTS, codeDeployNames, sagemakerArn, taskFamily, taskRoleName, type RepositoryKey } from './names.js';

/** How each image is built from the repository root: the stages of the one multi-target containers/Dockerfile. */
export const DOCKER_BUILDS: Record<RepositoryKey, string> = {
  web: '-f containers/Dockerfile --target web',
  was: '-f containers/Dockerfile --target was',
  endpoint: '-f containers/Dockerfile --target endpoint',
  training: '-f containers/Dockerfile --target training',
};

/** What a change must touch to start each pipeline (CodeConnections sources; CodeCommit starts on every push). */
export const TRIGGER_PATHS: Record<'web' | 'was' | 'ml', string[]> = {
  web: ['apps/web/**', 'packages/**', 'containers/**', 'package-lock.json', 'infra/buildspecs/service.yml'],
  was: ['apps/was/**', 'packages/**', 'containers/**', 'package-lock.json', 'infra/buildspecs/service.yml'],
  // CodePipeline takes at most 8 paths: a change to the ML buildspec alone applies from the next run.
  ml: ['ml/**', 'apps/endpoint/**', 'packages/model/**', 'packages/imaging/**', 'packages/registry/**', 'packages/deploy/**', 'containers/**', 'package-lock.json'],
};

/** The tests each build runs before it builds an image. */
export const TEST_PATHS: Record<'web' | 'was' | 'ml', string> = {
  web: 'apps/web packages/contracts packages/service-kit',
  was: 'apps/was packages/contracts packages/service-kit',
  ml: 'ml/pipeline ml/evaluation packages/registry packages/deploy',
};

export interface DeliveryStackProps extends StackProps {
  config: PetalConfig;
  vpc: ec2.IVpc;
  ml: MlStack;
}

/**
 * CI/CD on AWS: the ECR repositories, and one CodePipeline per service (source → test and build the image
 * → deploy to ECS) plus the ML pipeline (source → rebuild the training and endpoint images → upsert and
 * start the SageMaker pipeline). Services are referenced by name, so this stack can be deployed before the
 * App stack (whose tasks need the images this one pushes).
 */
export class DeliveryStack extends Stack {
  readonly repositories: Record<RepositoryKey, ecr.Repository>;
  readonly pipelines: Record<'web' | 'was' | 'ml', codepipeline.Pipeline>;
  readonly projects: Record<'web' | 'was' | 'ml', codebuild.PipelineProject>;
  readonly connectionArn: string | undefined;

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, props);
    const { config, ml } = props;

    // ---- repositories ----
    const repositories = {} as Record<RepositoryKey, ecr.Repository>;
    for (const key of Object.keys(NAMES.repositories) as RepositoryKey[]) {
      repositories[key] = new ecr.Repository(this, `${key[0]!.toUpperCase()}${key.slice(1)}Repository`, {
        repositoryName: NAMES.repositories[key],
        imageScanOnPush: true,
        // Commit tags are never rewritten, so a running task's image is the one its tag names.
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        lifecycleRules: [
          { description: 'Untagged layers of interrupted pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7), rulePriority: 1 },
          { description: 'The last 30 commits are enough to roll back to', tagStatus: ecr.TagStatus.ANY, maxImageCount: 30, rulePriority: 2 },
        ],
        // Every image can be rebuilt from its commit: cdk destroy deletes the repository and its images.
        removalPolicy: RemovalPolicy.DESTROY,
        emptyOnDelete: true,
      });
    }
    this.repositories = repositories;

    // ---- shared: an encryption key for builds and artifacts, the artifact bucket ----
    const key = new kms.Key(this, 'ArtifactKey', { enableKeyRotation: true, description: 'Petal delivery: pipeline artifacts and build output', removalPolicy: RemovalPolicy.DESTROY });
    const artifactBucket = new s3.Bucket(this, 'PipelineArtifacts', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) }],
      // Build artifacts are transient; the bucket is kept (CloudFormation cannot delete a non-empty one) and expires its objects.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(artifactBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Pipeline artifacts are written and read by CodePipeline and CodeBuild only, both recorded in CloudTrail; an access-log bucket would log the pipelines’ own traffic.',
    });

    // ---- source ----
    let connectionArn: string | undefined;
    let repository: codecommit.IRepository | undefined;
    if (config.source === 'codeconnections') {
      // A new connection starts PENDING: a person completes the GitHub handshake once in the console (README).
      connectionArn = config.connectionArn ?? new codeconnections.CfnConnection(this, 'GitHubConnection', { connectionName: `petal-${config.envName}-github`, providerType: 'GitHub' }).attrConnectionArn;
    } else {
      repository = new codecommit.Repository(this, 'Repository', { repositoryName: config.codeCommitRepository, description: 'Petal source' });
    }
    this.connectionArn = connectionArn;
    if (connectionArn) new CfnOutput(this, 'ConnectionArn', { value: connectionArn, description: 'Complete the GitHub handshake for this connection in the console (README: connect a GitHub repository)' });
    if (repository) new CfnOutput(this, 'CodeCommitCloneUrl', { value: repository.repositoryCloneUrlHttp });
    const [owner, repo] = config.repository.split('/') as [string, string];

    const sourceStage = (name: 'web' | 'was' | 'ml', output: codepipeline.Artifact): { action: actions.Action; trigger?: codepipeline.TriggerProps } => {
      if (connectionArn) {
        const action = new actions.CodeStarConnectionsSourceAction({ actionName: 'Source', connectionArn, owner, repo, branch: config.branch, output, triggerOnPush: false });
        return {
          action,
          trigger: {
            providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
            gitConfiguration: { sourceAction: action, pushFilter: [{ branchesIncludes: [config.branch], filePathsIncludes: TRIGGER_PATHS[name] }] },
          },
        };
      }
      return { action: new actions.CodeCommitSourceAction({ actionName: 'Source', repository: repository!, branch: config.branch, output }) };
    };

    // ---- build projects ----
    const project = (name: 'web' | 'was' | 'ml', buildspec: string, environment: Record<string, string>, description: string) => {
      const logGroup = new logs.LogGroup(this, `${cap(name)}BuildLogs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
      const built = new codebuild.PipelineProject(this, `${cap(name)}Build`, {
        projectName: `petal-${config.envName}-${name}`,
        description,
        buildSpec: codebuild.BuildSpec.fromSourceFilename(buildspec),
        encryptionKey: key,
        environment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.MEDIUM,
          // Building a container image needs the Docker daemon, which CodeBuild runs only in privileged mode.
          privileged: true,
        },
        environmentVariables: Object.fromEntries(Object.entries(environment).map(([k, value]) => [k, { value }])),
        logging: { cloudWatch: { logGroup } },
        timeout: Duration.minutes(name === 'ml' ? 60 : 30),
      });
      Validations.of(built).acknowledge({ id: 'AwsSolutions-CB3', reason: 'Privileged mode runs the Docker daemon the image build needs (docker build/push); the build runs the repository’s own code only.' });
      return built;
    };

    const blueGreen = config.ecsDeploy === 'blue-green';
    const serviceEnv = (name: 'web' | 'was') => ({
      SERVICE: name,
      IMAGE_REPO_URI: repositories[name].repositoryUri,
      DOCKER_ARGS: DOCKER_BUILDS[name],
      TEST_PATHS: TEST_PATHS[name],
      DEPLOY_KIND: config.ecsDeploy,
      TASK_FAMILY: taskFamily(config, name),
      CONTAINER_PORT: String(PORTS[name]),
    });
    const web = project('web', 'infra/buildspecs/service.yml', serviceEnv('web'), 'Test app-web, build and push its image, write its deployment artifacts');
    const was = project('was', 'infra/buildspecs/service.yml', serviceEnv('was'), 'Test app-was, build and push its image, write its deployment artifacts');
    if (blueGreen) {
      // The CodeDeploy task definition template starts from the service's current revision; this call has no resource-level permission.
      for (const p of [web, was]) p.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }));
    }
    const mlBuild = project(
      'ml',
      'infra/buildspecs/ml.yml',
      {
        TRAINING_REPO_URI: repositories.training.repositoryUri,
        ENDPOINT_REPO_URI: repositories.endpoint.repositoryUri,
        TRAINING_DOCKER_ARGS: DOCKER_BUILDS.training,
        ENDPOINT_DOCKER_ARGS: DOCKER_BUILDS.endpoint,
        TEST_PATHS: TEST_PATHS.ml,
        PETAL_SAGEMAKER_ROLE_ARN: ml.executionRole.roleArn,
        PETAL_PIPELINE_ROLE_ARN: ml.pipelineRole.roleArn,
        PETAL_DEPLOY_FUNCTION_ARN: ml.deployFunction.functionArn,
        PETAL_PIPELINE_S3_URI: `s3://${ml.artifactBucket.bucketName}/pipeline`,
        PETAL_TRAINING_DATA: `s3://${ml.dataBucket.bucketName}/flowers/`,
      },
      'Test the ML code, rebuild the training and endpoint images, upsert and start the SageMaker pipeline',
    );
    this.projects = { web, was, ml: mlBuild };

    // Least privilege: each build pushes to its own repositories only (pull too: layer reuse).
    repositories.web.grantPullPush(web);
    repositories.was.grantPullPush(was);
    repositories.training.grantPullPush(mlBuild);
    repositories.endpoint.grantPullPush(mlBuild);
    const describeImages = (p: codebuild.PipelineProject, repos: ecr.Repository[]) =>
      p.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:DescribeImages'], resources: repos.map((r) => r.repositoryArn) }));
    describeImages(web, [repositories.web]);
    describeImages(was, [repositories.was]);
    describeImages(mlBuild, [repositories.training, repositories.endpoint]);

    // The ML build upserts and starts the one pipeline, and reads the registry for the deployed accuracy.
    const pipelineArn = sagemakerArn(this, 'pipeline', NAMES.pipeline);
    mlBuild.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribePipeline', 'sagemaker:CreatePipeline', 'sagemaker:UpdatePipeline', 'sagemaker:StartPipelineExecution', 'sagemaker:AddTags'], resources: [pipelineArn] }),
    );
    mlBuild.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages', 'sagemaker:DescribeModelPackage', 'sagemaker:ListTags'],
        resources: [sagemakerArn(this, 'model-package-group', NAMES.modelPackageGroup), sagemakerArn(this, 'model-package', `${NAMES.modelPackageGroup}/*`)],
      }),
    );
    mlBuild.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [ml.pipelineRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );

    // ---- pipelines ----
    const cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', { clusterName: NAMES.cluster, vpc: props.vpc });
    const codeDeployApplication = blueGreen ? codedeploy.EcsApplication.fromEcsApplicationName(this, 'CodeDeployApplication', codeDeployNames(config).application) : undefined;
    const deployAction = (name: 'web' | 'was', service: ecs.IBaseService, image: codepipeline.Artifact): codepipeline.IAction => {
      if (!codeDeployApplication) {
        // Rolling update; the service's circuit breaker and 5xx alarm roll a bad image back.
        return new actions.EcsDeployAction({ actionName: 'DeployToEcs', service, imageFile: image.atPath('imagedefinitions.json'), deploymentTimeout: Duration.minutes(30) });
      }
      const deploymentGroup = codedeploy.EcsDeploymentGroup.fromEcsDeploymentGroupAttributes(this, `${cap(name)}DeploymentGroup`, {
        application: codeDeployApplication,
        deploymentGroupName: codeDeployNames(config).deploymentGroup(name),
        // The action reads the group's deployment config; it must name the one the App stack set.
        deploymentConfig: codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      });
      return new actions.CodeDeployEcsDeployAction({
        actionName: 'DeployBlueGreen',
        deploymentGroup,
        taskDefinitionTemplateFile: image.atPath('taskdef.json'),
        appSpecTemplateFile: image.atPath('appspec.yaml'),
        containerImageInputs: [{ input: image, taskDefinitionPlaceholder: 'IMAGE1_NAME' }],
      });
    };
    const servicePipeline = (name: 'web' | 'was', build: codebuild.PipelineProject, serviceName: string) => {
      const source = new codepipeline.Artifact('Source');
      const image = new codepipeline.Artifact('ImageDefinitions');
      const { action, trigger } = sourceStage(name, source);
      const service = ecs.FargateService.fromFargateServiceAttributes(this, `${cap(name)}Service`, { cluster, serviceName });
      return new codepipeline.Pipeline(this, `${cap(name)}Pipeline`, {
        pipelineName: `petal-${config.envName}-${name}`,
        pipelineType: codepipeline.PipelineType.V2,
        artifactBucket,
        restartExecutionOnUpdate: false,
        ...(trigger ? { triggers: [trigger] } : {}),
        stages: [
          { stageName: 'Source', actions: [action] },
          { stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'TestAndBuildImage', project: build, input: source, outputs: [image] })] },
          { stageName: 'Deploy', actions: [deployAction(name, service, image)] },
        ],
      });
    };
    const mlPipeline = (() => {
      const source = new codepipeline.Artifact('Source');
      const { action, trigger } = sourceStage('ml', source);
      return new codepipeline.Pipeline(this, 'MlPipeline', {
        pipelineName: `petal-${config.envName}-ml`,
        pipelineType: codepipeline.PipelineType.V2,
        artifactBucket,
        restartExecutionOnUpdate: false,
        ...(trigger ? { triggers: [trigger] } : {}),
        stages: [
          { stageName: 'Source', actions: [action] },
          { stageName: 'BuildImagesAndStartPipeline', actions: [new actions.CodeBuildAction({ actionName: 'ImagesUpsertStart', project: mlBuild, input: source })] },
        ],
      });
    })();
    this.pipelines = { web: servicePipeline('web', web, NAMES.webService), was: servicePipeline('was', was, NAMES.wasService), ml: mlPipeline };

    // ---- acknowledgements: what CDK's grants write and nothing narrower can replace ----
    // The artifact bucket and its key are this stack's own, used by these pipelines only.
    acknowledgeIam5(
      this,
      ['Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*', 'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', `Resource::${arnRef(artifactBucket)}/*`],
      'CDK’s artifact grants: object-level access to the one pipeline artifact bucket and its key, nothing else.',
    );
    for (const [name, built] of Object.entries(this.projects)) {
      acknowledgeIam5(built, ['Resource::*'], 'ecr:GetAuthorizationToken takes no resource; pushes are limited to this build’s repositories.');
      acknowledgeIam5(
        built,
        [`Resource::${arnPrefix('logs')}log-group:/aws/codebuild/${ref(built)}:*`, `Resource::${arnPrefix('codebuild')}report-group/${ref(built)}-*`],
        `CodeBuild’s own log streams and test-report groups of the ${name} project only.`,
      );
    }
    acknowledgeIam5(mlBuild, [`Resource::${arnPrefix('sagemaker')}model-package/${NAMES.modelPackageGroup}/*`], 'pipeline start reads the deployed version’s accuracy from any version of the one group.');
    for (const name of ['web', 'was'] as const) {
      const deployAction = this.pipelines[name].node.findChild('Deploy').node.findChild(blueGreen ? 'DeployBlueGreen' : 'DeployToEcs');
      narrowEcsDeployPolicy(deployAction, config, name, blueGreen);
      acknowledgeIam5(deployAction, ['Resource::*'], 'ecs:RegisterTaskDefinition and DescribeTaskDefinition have no resource-level permissions; ListTasks is limited to the cluster by condition.');
    }
  }
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
}

/**
 * CDK writes the deploy actions' ECS and iam:PassRole statements on `*`. Every one of those actions but
 * RegisterTaskDefinition/DescribeTaskDefinition can name its resource, and the service, its task family
 * and its roles have fixed names, so the statements are rewritten to name them; the artifact and
 * CodeDeploy statements CDK wrote are kept as they are.
 */
function narrowEcsDeployPolicy(deployAction: Construct, config: PetalConfig, service: 'web' | 'was', blueGreen: boolean): void {
  const role = deployAction.node.findChild('CodePipelineActionRole');
  const cfnPolicy = role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
  const stack = Stack.of(deployAction);
  const document = stack.resolve(cfnPolicy.policyDocument) as { Statement: Statement[] };
  const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
  const isWide = (st: Statement) => st.Resource === '*' && actionsOf(st).every((a) => a.startsWith('ecs:') || a === 'iam:PassRole');
  const wide = document.Statement.filter(isWide).flatMap(actionsOf).sort();
  const expected = blueGreen
    ? ['ecs:RegisterTaskDefinition', 'iam:PassRole']
    : ['ecs:DescribeServices', 'ecs:DescribeTaskDefinition', 'ecs:DescribeTasks', 'ecs:ListTasks', 'ecs:RegisterTaskDefinition', 'ecs:TagResource', 'ecs:UpdateService', 'iam:PassRole'];
  // A CDK upgrade that changes what the action needs must be looked at, not silently narrowed.
  if (wide.join() !== expected.join()) throw new Error(`the ECS deploy action's wide statements changed: ${wide.join(', ')}`);
  const passRole = document.Statement.find((st) => isWide(st) && actionsOf(st).includes('iam:PassRole'));
  const clusterArn = stack.formatArn({ service: 'ecs', resource: 'cluster', resourceName: NAMES.cluster });
  const serviceName = service === 'web' ? NAMES.webService : NAMES.wasService;
  const passRoleNarrowed: Statement = {
    Effect: 'Allow',
    Action: 'iam:PassRole',
    Resource: (['task', 'execution'] as const).map((kind) => stack.resolve(stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: taskRoleName(config, service, kind) }))),
    ...(passRole?.Condition ? { Condition: passRole.Condition } : {}),
  };
  if (blueGreen) {
    // CodeDeploy itself updates the service; the action only registers the revision and passes its roles.
    const statements = [{ Effect: 'Allow', Action: 'ecs:RegisterTaskDefinition', Resource: '*' }, passRoleNarrowed, ...document.Statement.filter((st) => !isWide(st))];
    cfnPolicy.addPropertyOverride('PolicyDocument.Statement', statements);
    return;
  }
  const narrowed: Statement[] = [
    { Effect: 'Allow', Action: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], Resource: '*' },
    { Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: stack.resolve(stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${NAMES.cluster}/${serviceName}` })) },
    { Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: stack.resolve(stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${NAMES.cluster}/*` })) },
    { Effect: 'Allow', Action: 'ecs:ListTasks', Resource: '*', Condition: { ArnEquals: { 'ecs:cluster': stack.resolve(clusterArn) } } },
    { Effect: 'Allow', Action: 'ecs:TagResource', Resource: stack.resolve(stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${taskFamily(config, service)}:*` })) },
    passRoleNarrowed,
  ];
  cfnPolicy.addPropertyOverride('PolicyDocument.Statement', [...narrowed, ...document.Statement.filter((st) => !isWide(st))]);
}

const cap = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;
