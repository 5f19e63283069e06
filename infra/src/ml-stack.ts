import { fileURLToPath } from 'node:url';
import { compilePipeline, flowerPipeline, type CompileSettings } from '@petal/pipeline';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import type { PetalConfig } from './config.js';
import { NAMES, imageUri, sagemakerArn } from './names.js';
import { acknowledgeIam5, arnPrefix, arnRef } from './nag.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the pipeline's CloudFormation body stops being inline: the template itself may be at most 1 MB. */
export const INLINE_PIPELINE_DEFINITION_LIMIT = 400 * 1024;

export interface MlStackProps extends StackProps {
  config: PetalConfig;
}

/**
 * The ML side: data and artifact buckets, the SageMaker roles, the model registry group, the pipeline
 * compiled from ml/pipeline's definition, the deploy Lambda that approvals trigger, and the endpoint.
 */
export class MlStack extends Stack {
  readonly dataBucket: s3.Bucket;
  readonly artifactBucket: s3.Bucket;
  readonly executionRole: iam.Role;
  readonly pipelineRole: iam.Role;
  readonly deployFunction: NodejsFunction;
  readonly rollbackAlarm: cloudwatch.Alarm;
  readonly endpointArn: string;
  readonly endpoint: sagemaker.CfnEndpoint | undefined;
  readonly pipelineDefinitionBytes: number;

  constructor(scope: Construct, id: string, props: MlStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.endpointArn = sagemakerArn(this, 'endpoint', NAMES.endpoint);

    // ---- buckets ----
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(config.logRetentionDays), noncurrentVersionExpiration: Duration.days(7) }],
      // Logs outlive the stack on purpose: they are the record of who read the data (README: teardown).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' });

    const dataBucket = (id: string, prefix: string) =>
      new s3.Bucket(this, id, {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: `${prefix}/`,
        lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(config.logRetentionDays) }],
        // Registered model versions point into these buckets; deleting them with the stack would leave the
        // registry naming artifacts that no longer exist. The README says how to empty and delete them.
        removalPolicy: RemovalPolicy.RETAIN,
      });
    this.dataBucket = dataBucket('Data', 'data');
    this.artifactBucket = dataBucket('Artifacts', 'artifacts');

    // ---- roles ----
    this.executionRole = new iam.Role(this, 'SageMakerExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Training, processing and endpoint containers: read data, read/write artifacts, pull the ML images, write logs and metrics',
    });
    this.dataBucket.grantRead(this.executionRole);
    this.artifactBucket.grantReadWrite(this.executionRole);
    const mlRepositoryArns = (['training', 'endpoint'] as const).map((r) =>
      Stack.of(this).formatArn({ service: 'ecr', resource: 'repository', resourceName: NAMES.repositories[r] }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], resources: mlRepositoryArns }),
    );
    this.executionRole.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': ['/aws/sagemaker/TrainingJobs', '/aws/sagemaker/ProcessingJobs', '/aws/sagemaker/Endpoints'] } } }),
    );
    acknowledgeIam5(this.executionRole, ['Resource::*'], 'ecr:GetAuthorizationToken and cloudwatch:PutMetricData take no resource; the metric call is limited to the SageMaker namespaces by condition.');
    acknowledgeIam5(this.executionRole, [`Resource::${arnRef(this.dataBucket)}/*`], 'Training reads any photo under the data bucket; the bucket is the boundary.');
    acknowledgeIam5(this.executionRole, [`Resource::${arnRef(this.artifactBucket)}/*`], 'Jobs write models and evaluations under per-execution prefixes not known at deploy time.');
    acknowledgeIam5(this.executionRole, ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*'], 'The CDK read/write grants (GetObject, GetObjectVersion…) on the data and artifact buckets only.');
    acknowledgeIam5(this.executionRole, [`Resource::${arnPrefix('logs')}log-group:/aws/sagemaker/*`], 'SageMaker names the job and endpoint log groups itself, under /aws/sagemaker/.');

    // ---- registry ----
    const group = new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: NAMES.modelPackageGroup,
      modelPackageGroupDescription: 'Petal model versions: the flower classifier',
    });
    const groupArn = sagemakerArn(this, 'model-package-group', NAMES.modelPackageGroup);
    const packagesArn = sagemakerArn(this, 'model-package', `${NAMES.modelPackageGroup}/*`);

    // ---- the rollback alarm both the stack's endpoint and the deploy Lambda's deployments watch ----
    this.rollbackAlarm = new cloudwatch.Alarm(this, 'Invocation5xxAlarm', {
      alarmName: `${NAMES.endpoint}-invocation-5xx`,
      alarmDescription: 'Any 5xx from the model container: rolls a blue/green endpoint deployment back',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: 'Invocation5XXErrors',
        dimensionsMap: { EndpointName: NAMES.endpoint, VariantName: NAMES.variant },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- the deploy Lambda (@petal/deploy/lambda) ----
    const servingImage = imageUri(this, 'endpoint', config.mlImageTag);
    const deployLogs = new logs.LogGroup(this, 'DeployFunctionLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const deployRole = new iam.Role(this, 'DeployFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'The deploy Lambda: read the registry group, create models/endpoint configs for it, create or update the one endpoint',
    });
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [deployLogs.logGroupArn] }));
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:ListTags', 'sagemaker:AddTags'], resources: [groupArn] }));
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: [packagesArn] }));
    // Model and config names are `<group>-v<version>-<hash>` (@petal/deploy's deployResourceName).
    const deployedNames = `${NAMES.modelPackageGroup}-v*`;
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:DescribeEndpointConfig', 'sagemaker:ListTags', 'sagemaker:AddTags'],
        resources: [sagemakerArn(this, 'model', deployedNames), sagemakerArn(this, 'endpoint-config', deployedNames)],
      }),
    );
    deployRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint', 'sagemaker:DescribeEndpoint', 'sagemaker:AddTags'], resources: [this.endpointArn] }),
    );
    // SageMaker reads the rollback alarm's state with the caller's permissions during the deployment.
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [this.rollbackAlarm.alarmArn] }));
    deployRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    acknowledgeIam5(deployRole, [`Resource::${arnPrefix('sagemaker')}model-package/${NAMES.modelPackageGroup}/*`], 'Any version of the one group may be approved; versions do not exist at deploy time.');
    acknowledgeIam5(
      deployRole,
      [`Resource::${arnPrefix('sagemaker')}model/${deployedNames}`, `Resource::${arnPrefix('sagemaker')}endpoint-config/${deployedNames}`],
      'Each deploy creates a model and an endpoint config named after the version with a unique suffix.',
    );

    this.deployFunction = new NodejsFunction(this, 'DeployFunction', {
      description: 'Deploys an approved flower-classifier version onto the image-classifier endpoint (blue/green, alarm rollback)',
      entry: `${REPO_ROOT}packages/deploy/src/lambda.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // The most Lambda allows: a blue/green update waits out the canary before the answer.
      timeout: Duration.minutes(15),
      role: deployRole,
      logGroup: deployLogs,
      environment: {
        PETAL_SAGEMAKER_ENDPOINT: NAMES.endpoint,
        PETAL_SAGEMAKER_IMAGE: servingImage,
        PETAL_INFERENCE_IMAGE: servingImage,
        PETAL_SAGEMAKER_ROLE_ARN: this.executionRole.roleArn,
        PETAL_SAGEMAKER_ROLLBACK_ALARMS: this.rollbackAlarm.alarmName,
        PETAL_SAGEMAKER_INSTANCE_TYPE: config.endpointInstanceType,
        PETAL_SAGEMAKER_INSTANCE_COUNT: String(config.endpointInstanceCount),
        PETAL_SAGEMAKER_SERVERLESS: config.serverless ? '1' : '0',
        PETAL_SAGEMAKER_SERVERLESS_MEMORY_MB: String(config.serverlessMemoryMb),
        PETAL_SAGEMAKER_SERVERLESS_CONCURRENCY: String(config.serverlessMaxConcurrency),
        PETAL_SAGEMAKER_TRAFFIC: trafficRouting(config).type,
        // Short enough that canary + old-fleet wait end inside one 15-minute invocation.
        PETAL_SAGEMAKER_CANARY_WAIT_SECONDS: '300',
        PETAL_SAGEMAKER_TERMINATION_WAIT_SECONDS: '120',
        PETAL_SAGEMAKER_MAX_DEPLOY_SECONDS: '780',
      },
      bundling: {
        // ESM keeps import.meta working in the workspace packages; the banner gives CommonJS dependencies their require.
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // Workspace packages resolve to their TypeScript sources, so no build step comes first.
        esbuildArgs: { '--conditions': 'source' },
        // The SDK version the package was tested with, not whatever the runtime carries.
        bundleAwsSDK: true,
        minify: true,
        sourceMap: false,
        // esbuild from node_modules, never Docker: synthesis must work offline.
        forceDockerBundling: false,
      },
    });

    // ---- approvals deploy ----
    new events.Rule(this, 'ApprovedVersionRule', {
      description: 'A flower-classifier version changed approval status: the deploy Lambda deploys it when Approved',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: [NAMES.modelPackageGroup], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] },
      },
      targets: [new targets.LambdaFunction(this.deployFunction, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });

    // ---- the pipeline ----
    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'SageMaker Pipelines: start the training and evaluation jobs, register versions, call the deploy Lambda',
    });
    const jobArns = ['training-job', 'processing-job'].map((r) => sagemakerArn(this, r, 'pipelines-*'));
    this.pipelineRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags'],
        resources: jobArns,
      }),
    );
    this.pipelineRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:AddTags'], resources: [packagesArn, groupArn] }));
    this.pipelineRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackageGroup'], resources: [groupArn] }));
    this.pipelineRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [this.executionRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
    );
    this.deployFunction.grantInvoke(this.pipelineRole);
    // Property files (evaluation.json) are read by the pipeline service itself.
    this.artifactBucket.grantRead(this.pipelineRole);
    acknowledgeIam5(
      this.pipelineRole,
      [`Resource::${arnPrefix('sagemaker')}training-job/pipelines-*`, `Resource::${arnPrefix('sagemaker')}processing-job/pipelines-*`],
      'SageMaker Pipelines names its jobs pipelines-<execution>-<step>; the prefix is all that is known.',
    );
    acknowledgeIam5(this.pipelineRole, [`Resource::${arnPrefix('sagemaker')}model-package/${NAMES.modelPackageGroup}/*`], 'Each run registers a new version of the one group.');
    acknowledgeIam5(this.pipelineRole, [`Resource::${arnRef(this.artifactBucket)}/*`, 'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*'], 'The CDK read grant on the artifact bucket (evaluation reports under per-execution prefixes).');
    acknowledgeIam5(this.pipelineRole, [`Resource::${arnRef(this.deployFunction)}:*`], 'The CDK invoke grant: the one function and its versions.');

    const settings: CompileSettings = {
      'role-arn': this.executionRole.roleArn,
      'training-image': imageUri(this, 'training', config.mlImageTag),
      // One image honours both the training and the Processing contract (issue 12's training image).
      'evaluation-image': imageUri(this, 'training', config.mlImageTag),
      'serving-image': servingImage,
      'deploy-function-arn': this.deployFunction.functionArn,
      'artifact-s3-uri': `s3://${this.artifactBucket.bucketName}/pipeline`,
    };
    const compiled = compilePipeline(flowerPipeline, settings);
    if (compiled.missingSettings.length) throw new Error(`the pipeline definition still needs ${compiled.missingSettings.join(', ')}`);
    // toJsonString keeps the tokens (role ARN, bucket name…) as CloudFormation references inside the string.
    const body = this.toJsonString(compiled.definition);
    this.pipelineDefinitionBytes = Buffer.byteLength(JSON.stringify(compiled.definition));
    if (this.pipelineDefinitionBytes > INLINE_PIPELINE_DEFINITION_LIMIT) {
      throw new Error(`the pipeline definition is ${this.pipelineDefinitionBytes} bytes, over the ${INLINE_PIPELINE_DEFINITION_LIMIT} this stack inlines`);
    }
    const pipeline = new sagemaker.CfnPipeline(this, 'Pipeline', {
      pipelineName: NAMES.pipeline,
      pipelineDescription: flowerPipeline.description,
      roleArn: this.pipelineRole.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: body },
    });
    pipeline.node.addDependency(group);

    new CfnOutput(this, 'DataBucketName', { value: this.dataBucket.bucketName, description: 'Upload the labelled photos under flowers/<class>/' });
    new CfnOutput(this, 'ArtifactBucketName', { value: this.artifactBucket.bucketName });
    new CfnOutput(this, 'DeployFunctionName', { value: this.deployFunction.functionName });

    // ---- the endpoint, from a configured approved version ----
    if (config.approvedModelVersion !== undefined) {
      this.endpoint = this.createEndpoint(config, config.approvedModelVersion);
      this.endpoint.node.addDependency(group);
    }
  }

  private createEndpoint(config: PetalConfig, version: number): sagemaker.CfnEndpoint {
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.executionRole.roleArn,
      // The package names its image and artifact; the environment tells the container which version it serves.
      primaryContainer: {
        modelPackageName: sagemakerArn(this, 'model-package', `${NAMES.modelPackageGroup}/${version}`),
        environment: { PETAL_MODEL_NAME: NAMES.modelPackageGroup, PETAL_MODEL_VERSION: String(version), ENDPOINT_NAME: NAMES.endpoint },
      },
    });
    model.node.addDependency(this.executionRole);
    const variant: sagemaker.CfnEndpointConfig.ProductionVariantProperty = config.serverless
      ? { variantName: NAMES.variant, modelName: model.attrModelName, serverlessConfig: { memorySizeInMb: config.serverlessMemoryMb, maxConcurrency: config.serverlessMaxConcurrency } }
      : { variantName: NAMES.variant, modelName: model.attrModelName, instanceType: config.endpointInstanceType, initialInstanceCount: config.endpointInstanceCount, initialVariantWeight: 1 };
    const endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', { productionVariants: [variant] });
    if (!config.serverless) {
      Validations.of(endpointConfig).acknowledge({
        id: 'AwsSolutions-SM2',
        reason: 'The instance volume holds the public model image and artifact only; the artifact bucket is encrypted at rest.',
      });
    }
    return new sagemaker.CfnEndpoint(this, 'Endpoint', {
      endpointName: NAMES.endpoint,
      endpointConfigName: endpointConfig.attrEndpointConfigName,
      deploymentConfig: {
        blueGreenUpdatePolicy: {
          trafficRoutingConfiguration: trafficRouting(config),
          terminationWaitInSeconds: 300,
          maximumExecutionTimeoutInSeconds: 3600,
        },
        autoRollbackConfiguration: { alarms: [{ alarmName: this.rollbackAlarm.alarmName }] },
      },
    });
  }
}

/**
 * A canary needs a fleet to split: at most half of it may take the canary, so one instance (the default)
 * and serverless shift all at once after a baking period the alarm watches.
 */
export function trafficRouting(config: PetalConfig): sagemaker.CfnEndpoint.TrafficRoutingConfigProperty & { type: 'CANARY' | 'ALL_AT_ONCE' } {
  if (!config.serverless && config.endpointInstanceCount >= 2) {
    return { type: 'CANARY', waitIntervalInSeconds: 300, canarySize: { type: 'CAPACITY_PERCENT', value: 50 } };
  }
  return { type: 'ALL_AT_ONCE', waitIntervalInSeconds: 300 };
}
