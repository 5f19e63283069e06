import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PetalConfig } from './config.js';
import { NAMES, PORTS, codeDeployNames, sagemakerArn, taskFamily, taskRoleName } from './names.js';

export interface AppStackProps extends StackProps {
  config: PetalConfig;
  vpc: ec2.IVpc;
}

/** The port of the blue/green test listener on each ALB. */
export const TEST_LISTENER_PORT = 9000;

interface ServiceSpec {
  key: 'web' | 'was';
  serviceName: string;
  port: number;
  cpu: number;
  memoryMiB: number;
  desiredCount: number;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroupName: string;
  securityGroup: ec2.SecurityGroup;
  environment: Record<string, string>;
  taskRole: iam.Role;
}

/**
 * The two services on ECS Fargate: the web tier behind the internet-facing ALB, the WAS behind an
 * internal one. The security groups form one chain (internet → web ALB :80 → web tasks :8000 → WAS ALB
 * :80 → WAS tasks :8081) and the WAS may call the one SageMaker endpoint.
 */
export class AppStack extends Stack {
  readonly cluster: ecs.Cluster;
  readonly services: Record<'web' | 'was', ecs.FargateService>;
  readonly webAlb: elbv2.ApplicationLoadBalancer;
  readonly wasAlb: elbv2.ApplicationLoadBalancer;
  readonly groups: { webAlb: ec2.SecurityGroup; webTasks: ec2.SecurityGroup; wasAlb: ec2.SecurityGroup; wasTasks: ec2.SecurityGroup };
  /** With ecsDeploy=blue-green: the CodeDeploy deployment group of each service. */
  readonly deploymentGroups: Partial<Record<'web' | 'was', codedeploy.EcsDeploymentGroup>> = {};
  private readonly codeDeployApplication: codedeploy.EcsApplication | undefined;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    if (config.imageTag === 'unset') {
      Annotations.of(this).addWarningV2('petal:imageTag', 'no -c imageTag=<commit>: the services name the tag "unset", which no build pushes; deploy with the commit the delivery pipelines built');
    }
    this.codeDeployApplication = config.ecsDeploy === 'blue-green' ? new codedeploy.EcsApplication(this, 'CodeDeployApplication', { applicationName: codeDeployNames(config).application }) : undefined;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: NAMES.cluster,
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    // ---- the security-group chain; no group allows all outbound, so each hop is written down ----
    const group = (id: string, description: string) => new ec2.SecurityGroup(this, id, { vpc, description, allowAllOutbound: false });
    const webAlbSg = group('WebAlbSg', 'app-web-alb: HTTP(S) from the internet');
    const webTasksSg = group('WebTasksSg', 'app-web-service tasks: 8000 from the web ALB');
    const wasAlbSg = group('WasAlbSg', 'app-was-alb: 80 from the web tasks');
    const wasTasksSg = group('WasTasksSg', 'app-was-service tasks: 8081 from the WAS ALB');
    this.groups = { webAlb: webAlbSg, webTasks: webTasksSg, wasAlb: wasAlbSg, wasTasks: wasTasksSg };

    webAlbSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from the internet');
    if (config.certificateArn) webAlbSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from the internet');
    Validations.of(webAlbSg).acknowledge({ id: 'AwsSolutions-EC23', reason: 'The internet-facing web ALB is the one public entry point; everything behind it admits only the previous hop.' });
    webAlbSg.addEgressRule(webTasksSg, ec2.Port.tcp(PORTS.web), 'to the web tasks');
    webTasksSg.addIngressRule(webAlbSg, ec2.Port.tcp(PORTS.web), 'from the web ALB');
    webTasksSg.addEgressRule(wasAlbSg, ec2.Port.tcp(80), 'to the WAS ALB');
    wasAlbSg.addIngressRule(webTasksSg, ec2.Port.tcp(80), 'from the web tasks');
    wasAlbSg.addEgressRule(wasTasksSg, ec2.Port.tcp(PORTS.was), 'to the WAS tasks');
    wasTasksSg.addIngressRule(wasAlbSg, ec2.Port.tcp(PORTS.was), 'from the WAS ALB');
    // Image pulls, logs and (for the WAS) SageMaker Runtime go over HTTPS to AWS endpoints, in the VPC or through NAT.
    for (const tasks of [webTasksSg, wasTasksSg]) tasks.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (ECR, CloudWatch Logs, SageMaker Runtime)');

    // ---- load balancers ----
    this.webAlb = new elbv2.ApplicationLoadBalancer(this, 'WebAlb', {
      loadBalancerName: NAMES.webAlb,
      vpc,
      internetFacing: true,
      securityGroup: webAlbSg,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    this.wasAlb = new elbv2.ApplicationLoadBalancer(this, 'WasAlb', {
      loadBalancerName: NAMES.wasAlb,
      vpc,
      internetFacing: false,
      securityGroup: wasAlbSg,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      dropInvalidHeaderFields: true,
    });
    for (const alb of [this.webAlb, this.wasAlb]) {
      Validations.of(alb).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason: 'ALB access logging needs the region at synthesis (its log-delivery principal differs by region) and this app is environment-agnostic; requests are traced in the services’ own logs.',
      });
    }

    // ---- roles ----
    // Named, so the Delivery stack's ECS deploy action may pass exactly these roles without a stack reference.
    const taskRole = (id: string, key: 'web' | 'was', description: string) =>
      new iam.Role(this, id, { roleName: taskRoleName(config, key, 'task'), assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'), description });
    const webTaskRole = taskRole('WebTaskRole', 'web', 'app-web-service tasks: no AWS calls');
    const wasTaskRole = taskRole('WasTaskRole', 'was', 'app-was-service tasks: invoke the image-classifier endpoint');
    wasTaskRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [sagemakerArn(this, 'endpoint', NAMES.endpoint)] }));

    const wasUrl = `http://${this.wasAlb.loadBalancerDnsName}`;
    const specs: ServiceSpec[] = [
      {
        key: 'web',
        serviceName: NAMES.webService,
        port: PORTS.web,
        cpu: 512,
        memoryMiB: 1024,
        desiredCount: config.webDesiredCount,
        loadBalancer: this.webAlb,
        targetGroupName: NAMES.webTargetGroup,
        securityGroup: webTasksSg,
        // The ALB in front is inside the VPC: its X-Forwarded-For names the client, which is the web tier's
        // rate-limit bucket. Nobody outside the VPC can reach a task, so no client can write that header.
        environment: { PORT: String(PORTS.web), HOST: '0.0.0.0', WAS_URL: wasUrl, TRUSTED_PROXIES: vpc.vpcCidrBlock },
        taskRole: webTaskRole,
      },
      {
        key: 'was',
        serviceName: NAMES.wasService,
        port: PORTS.was,
        cpu: 1024,
        memoryMiB: 3072,
        desiredCount: config.wasDesiredCount,
        loadBalancer: this.wasAlb,
        targetGroupName: NAMES.wasTargetGroup,
        securityGroup: wasTasksSg,
        // The web tasks and the internal ALB between them are in the VPC; the client the web tier saw is the
        // address before them in X-Forwarded-For.
        environment: {
          PORT: String(PORTS.was),
          HOST: '0.0.0.0',
          SAGEMAKER_ENDPOINT_NAME: NAMES.endpoint,
          AWS_REGION: Aws.REGION,
          TRUSTED_PROXIES: vpc.vpcCidrBlock,
        },
        taskRole: wasTaskRole,
      },
    ];

    const services = {} as Record<'web' | 'was', ecs.FargateService>;
    for (const spec of specs) services[spec.key] = this.service(spec, config);
    this.services = services;

    new CfnOutput(this, 'WebUrl', { value: `http://${this.webAlb.loadBalancerDnsName}`, description: 'The web app (HTTPS on the same name once a certificate and DNS record are in place)' });

  }

  /**
   * CodeDeploy blue/green (the seed's design): a green target group, a test listener, 10% canary for five
   * minutes, rollback on the 5xx alarm or a failed/stopped deployment.
   */
  private blueGreen(spec: ServiceSpec, service: ecs.FargateService, listener: elbv2.ApplicationListener, blue: elbv2.ApplicationTargetGroup, alarm: cloudwatch.Alarm, config: PetalConfig): void {
    const id = spec.key === 'web' ? 'Web' : 'Was';
    const green = new elbv2.ApplicationTargetGroup(this, `${id}GreenTargetGroup`, {
      targetGroupName: `${spec.targetGroupName}-green`,
      vpc: this.cluster.vpc,
      port: spec.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      healthCheck: { path: '/health', port: String(spec.port), healthyHttpCodes: '200', interval: Duration.seconds(15), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      deregistrationDelay: Duration.seconds(30),
    });
    // No security-group rule admits the test port: a validation hook run inside the VPC gets one when it is added.
    const testListener = spec.loadBalancer.addListener('Test', { port: TEST_LISTENER_PORT, protocol: elbv2.ApplicationProtocol.HTTP, open: false, defaultTargetGroups: [green] });
    this.deploymentGroups[spec.key] = new codedeploy.EcsDeploymentGroup(this, `${id}DeploymentGroup`, {
      application: this.codeDeployApplication!,
      deploymentGroupName: codeDeployNames(config).deploymentGroup(spec.key),
      service,
      blueGreenDeploymentConfig: { blueTargetGroup: blue, greenTargetGroup: green, listener, testListener, terminationWaitTime: Duration.minutes(5) },
      deploymentConfig: codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
      // During a canary the new task set serves from whichever group is not in production, so both are watched.
      alarms: [alarm, this.target5xxAlarm(`${id}Green`, `${spec.serviceName}-green-target-5xx`, spec.serviceName, green)],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroups[spec.key]!.role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
      reason: 'CodeDeploy’s own service role for ECS blue/green: AWS keeps the policy in step with what the service calls on the listener, target groups and task sets.',
    });
  }

  private target5xxAlarm(id: string, alarmName: string, serviceName: string, targetGroup: elbv2.ApplicationTargetGroup): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, `${id}Target5xxAlarm`, {
      alarmName,
      alarmDescription: `${serviceName} answers 5xx: rolls an ECS deployment back`,
      metric: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private service(spec: ServiceSpec, config: PetalConfig): ecs.FargateService {
    const id = spec.key === 'web' ? 'Web' : 'Was';
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    const executionRole = new iam.Role(this, `${id}ExecutionRole`, {
      roleName: taskRoleName(config, spec.key, 'execution'),
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `${spec.serviceName} task execution: pull its image, write its logs`,
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, `${id}Task`, {
      family: taskFamily(config, spec.key),
      executionRole,
      cpu: spec.cpu,
      memoryLimitMiB: spec.memoryMiB,
      taskRole: spec.taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const repository = ecr.Repository.fromRepositoryName(this, `${id}Repository`, NAMES.repositories[spec.key]);
    taskDefinition.addContainer(spec.key, {
      image: ecs.ContainerImage.fromEcrRepository(repository, config.imageTag),
      portMappings: [{ containerPort: spec.port }],
      environment: spec.environment,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: spec.key }),
      // The images run as the `node` user already; this makes ECS refuse a root image.
      user: '1000',
    });
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The variables are ports, a host, an endpoint name, a region and an internal URL: no secrets.',
    });
    Validations.of(executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken takes no resource; the image pulls themselves are limited to the service’s repository.',
    });

    // With a certificate the users' listener is HTTPS :443 (the one CodeDeploy switches in blue/green) and
    // :80 only redirects, so nothing is served in plain HTTP and no listener stays on a retired target group.
    const certificateArn = spec.key === 'web' ? config.certificateArn : undefined;
    let listener: elbv2.ApplicationListener;
    if (certificateArn) {
      listener = spec.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
      });
      spec.loadBalancer.addRedirect({ sourcePort: 80, sourceProtocol: elbv2.ApplicationProtocol.HTTP, targetPort: 443, targetProtocol: elbv2.ApplicationProtocol.HTTPS, open: false });
    } else {
      listener = spec.loadBalancer.addListener('Http', { port: 80, protocol: elbv2.ApplicationProtocol.HTTP, open: false });
    }
    const targetGroup = new elbv2.ApplicationTargetGroup(this, `${id}TargetGroup`, {
      targetGroupName: spec.targetGroupName,
      vpc: this.cluster.vpc,
      port: spec.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      healthCheck: { path: '/health', port: String(spec.port), healthyHttpCodes: '200', interval: Duration.seconds(15), timeout: Duration.seconds(5), healthyThresholdCount: 2, unhealthyThresholdCount: 3 },
      deregistrationDelay: Duration.seconds(30),
    });
    listener.addTargetGroups(`${id}Default`, { targetGroups: [targetGroup] });

    // A failed deployment is stopped by either signal: tasks that never get healthy (circuit breaker) or healthy tasks answering 5xx (alarm).
    const deploymentAlarm = this.target5xxAlarm(id, `${spec.serviceName}-target-5xx`, spec.serviceName, targetGroup);

    const blueGreen = this.codeDeployApplication !== undefined;
    const service = new ecs.FargateService(this, `${id}Service`, {
      serviceName: spec.serviceName,
      cluster: this.cluster,
      taskDefinition,
      desiredCount: spec.desiredCount,
      assignPublicIp: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [spec.securityGroup],
      healthCheckGracePeriod: Duration.seconds(60),
      // The circuit breaker and deployment alarms belong to ECS's rolling deployments; CodeDeploy has its own rollback.
      ...(blueGreen
        ? { deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY } }
        : {
            minHealthyPercent: 100,
            maxHealthyPercent: 200,
            circuitBreaker: { enable: true, rollback: true },
            deploymentAlarms: { alarmNames: [deploymentAlarm.alarmName], behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
          }),
    });
    service.attachToApplicationTargetGroup(targetGroup);
    if (this.codeDeployApplication) this.blueGreen(spec, service, listener, targetGroup, deploymentAlarm, config);

    const scaling = service.autoScaleTaskCount({ minCapacity: config.minTasks, maxCapacity: config.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 70, scaleInCooldown: Duration.seconds(300), scaleOutCooldown: Duration.seconds(300) });
    return service;
  }
}
