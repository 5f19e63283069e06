/**
 * The shape and security of what the CDK app would create, checked on its synthesized templates (offline:
 * no AWS account is involved). The app is synthesized once with the defaults (the deploy Lambda really
 * bundled) and once with every option switched on; each security check also runs against a deliberately
 * broken stack to show it can fail.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePipeline, flowerPipeline } from '@petal/pipeline';
import { stateChangeEvent, type ModelPackage } from '@petal/registry';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketProblems, hardCodedEnvironmentProblems, httpsListenerProblems, iamWildcardProblems, ingressRules, managedPolicyProblems, publicIngressProblems, type TemplateJson } from './checks.js';
import { NAMES } from './names.js';
import { synth, type Synthesized } from './testing/synth.js';

// A placeholder certificate (the all-zero account is nobody's): the app only passes it to the listener.
const CERTIFICATE = 'arn:aws:acm:xx-test-1:000000000000:certificate/0f0e0d0c-0000-4000-8000-000000000000';

let base: Synthesized;
let full: Synthesized;

beforeAll(() => {
  base = synth({}, { bundle: true });
  full = synth({ approvedModelVersion: '3', endpointInstanceCount: '2', natGateways: '1', certificateArn: CERTIFICATE, source: 'codecommit', imageTag: 'abc1234' });
});
afterAll(() => {
  base?.dispose();
  full?.dispose();
});

const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/** Fn::Join strings with references as `<Ref>` / `<Id.Attr>`, so a token-bearing string can be read. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v.Ref) return `<${String(v.Ref)}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v['Fn::ImportValue']) return `<import:${render(v['Fn::ImportValue'])}>`;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  return JSON.stringify(value);
}

/** An EventBridge pattern of value lists (the only kind this app writes), matched as EventBridge does. */
interface Pattern {
  [key: string]: unknown[] | Pattern;
}
function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) =>
    Array.isArray(want) ? want.includes(event[key]) : typeof event[key] === 'object' && event[key] !== null && matches(want, event[key] as Record<string, unknown>),
  );
}

function only<T>(template: Template, type: string, props: Record<string, unknown> = {}): T {
  const found = Object.values(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found, `${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as T;
}

/** The first container's environment of the task definition `family`, each value rendered. */
function containerEnv(template: Template, family: string): Record<string, string> {
  const task = only<{ Properties: { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[] } }>(template, 'AWS::ECS::TaskDefinition', { Family: family });
  return Object.fromEntries(task.Properties.ContainerDefinitions[0]!.Environment.map((e) => [e.Name, render(e.Value)]));
}

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding, and every acknowledgement carries a reason', () => {
    expect(base.nag.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(',')}`)).toEqual([]);
    expect(full.nag.violations).toEqual([]);
    // CDK records them under its annotation namespace; cdk-nag honours them from there.
    const nagAcks = base.acknowledgements.filter((a) => a.id.includes('AwsSolutions-'));
    expect(nagAcks.length).toBeGreaterThan(10);
    for (const ack of nagAcks) {
      expect(ack.id, ack.path).toMatch(/^Annotation::AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(30);
    }
  });

  it('the app’s checks stop synthesis at a finding nobody acknowledged', () => {
    expect(() =>
      synth({}, {
        before: ({ ml }) => {
          new s3.Bucket(ml, 'Unlogged', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED });
        },
      }),
    ).toThrow(/AwsSolutions-S1/);
  });
});

describe('Network', () => {
  it('has a 10.0.0.0/16 VPC with a public and a private-with-egress /20 subnet in each of 2 AZs', () => {
    const t = base.templates.network;
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    const subnets = Object.values(t.findResources('AWS::EC2::Subnet')) as { Properties: { CidrBlock: string; MapPublicIpOnLaunch: boolean; AvailabilityZone: unknown } }[];
    expect(subnets).toHaveLength(4);
    for (const s of subnets) expect(s.Properties.CidrBlock).toMatch(/^10\.0\.\d+\.0\/20$/);
    expect(subnets.filter((s) => s.Properties.MapPublicIpOnLaunch)).toHaveLength(2);
    expect(new Set(subnets.map((s) => JSON.stringify(s.Properties.AvailabilityZone))).size).toBe(2);
  });

  it('has a NAT gateway per AZ by default and one when natGateways=1', () => {
    base.templates.network.resourceCountIs('AWS::EC2::NatGateway', 2);
    full.templates.network.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('has the S3 gateway endpoint, ECR/Logs/SageMaker Runtime interface endpoints and a flow log', () => {
    const t = base.templates.network;
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')) as { Properties: { ServiceName: unknown; VpcEndpointType?: string } }[];
    const names = endpoints.map((e) => render(e.Properties.ServiceName).replace(/^.*?<AWS::Region>\./, '').replace(/^com\.amazonaws\./, ''));
    expect(names.sort()).toEqual(['ecr.api', 'ecr.dkr', 'logs', 's3', 'sagemaker.runtime'].sort());
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });
});

describe('App', () => {
  it('runs the cluster with Container Insights', () => {
    base.templates.app.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterName: NAMES.cluster,
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('puts the web behind an internet-facing ALB and the WAS behind an internal one, listener 80, IP targets checked on /health', () => {
    const t = base.templates.app;
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Name: NAMES.webAlb, Scheme: 'internet-facing' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Name: NAMES.wasAlb, Scheme: 'internal' });
    t.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' }, 2);
    for (const [name, port] of [
      [NAMES.webTargetGroup, 8000],
      [NAMES.wasTargetGroup, 8081],
    ] as const) {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Name: name, Port: port, TargetType: 'ip', HealthCheckPath: '/health', Matcher: { HttpCode: '200' } });
    }
    base.templates.app.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Port: 443 }, 0);
  });

  it('adds an HTTPS listener with the certificate when one is configured', () => {
    full.templates.app.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:') }],
    });
  });

  it('with a certificate the web ALB serves only HTTPS: :443 forwards to the app, :80 redirects', () => {
    const t = full.templates.app;
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', DefaultActions: [Match.objectLike({ Type: 'forward' })] });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }] });
    expect(httpsListenerProblems(full.json.app as TemplateJson)).toEqual([]);
    expect(httpsListenerProblems(base.json.app as TemplateJson)).toEqual([]);
    // Broken: :80 forwarding to the app beside :443 (plain-HTTP uploads).
    const r = structuredClone((full.json.app as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }).Resources);
    const [redirect] = Object.entries(r).filter(([, x]) => x.Type === 'AWS::ElasticLoadBalancingV2::Listener' && (x.Properties.DefaultActions as { Type: string }[])[0]!.Type === 'redirect');
    redirect![1].Properties.DefaultActions = [{ Type: 'forward', TargetGroupArn: { Ref: 'AnyTargetGroup' } }];
    expect(httpsListenerProblems({ Resources: r })).toEqual([`${redirect![0]} serves plain HTTP on 80 beside an HTTPS listener`]);
  });

  it('sizes the services, runs them in private subnets without public IPs, with circuit breaker and alarm rollback', () => {
    const t = base.templates.app;
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Family: 'petal-dev-was', Cpu: '1024', Memory: '3072', NetworkMode: 'awsvpc', RequiresCompatibilities: ['FARGATE'] });
    for (const name of [NAMES.webService, NAMES.wasService]) {
      t.hasResourceProperties('AWS::ECS::Service', {
        ServiceName: name,
        DesiredCount: 2,
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: Match.anyValue() } },
        DeploymentConfiguration: {
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          Alarms: { AlarmNames: [{ Ref: Match.stringLikeRegexp('Target5xxAlarm') }], Enable: true, Rollback: true },
        },
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `${name}-target-5xx`, MetricName: 'HTTPCode_Target_5XX_Count', Namespace: 'AWS/ApplicationELB' });
    }
    const subnets = Object.values(t.findResources('AWS::ECS::Service')).map((s) => JSON.stringify((s as { Properties: { NetworkConfiguration: unknown } }).Properties.NetworkConfiguration));
    for (const s of subnets) expect(s).toMatch(/PrivateSubnet/i);
  });

  it('scales each service 2–4 on average CPU 70% with 300 s cooldowns', () => {
    const t = base.templates.app;
    t.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4, ScalableDimension: 'ecs:service:DesiredCount' }, 2);
    t.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 70, ScaleInCooldown: 300, ScaleOutCooldown: 300 },
      },
      2,
    );
  });

  it('keeps logs a week and wires the endpoint name into the WAS and the WAS ALB URL into the web', () => {
    const t = base.templates.app;
    t.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 2);
    const env = (family: string) => containerEnv(t, family);
    expect(env('petal-dev-was')).toMatchObject({ PORT: '8081', HOST: '0.0.0.0', SAGEMAKER_ENDPOINT_NAME: 'image-classifier', AWS_REGION: '<AWS::Region>' });
    expect(env('petal-dev-web')).toMatchObject({ PORT: '8000', HOST: '0.0.0.0', WAS_URL: `http://<${logicalId(base.appStack.wasAlb)}.DNSName>` });
  });

  it('lets both tiers believe X-Forwarded-For only from inside the VPC (the ALBs and the web tasks)', () => {
    const t = base.templates.app;
    const env = (family: string) => containerEnv(t, family);
    for (const family of ['petal-dev-web', 'petal-dev-was']) {
      const trusted = env(family).TRUSTED_PROXIES;
      // The VPC's CIDR, imported from the Network stack: never an open range a client could stand in.
      expect(trusted, family).toMatch(/CidrBlock|10\.0\.0\.0\/16/);
      expect(trusted, family).not.toMatch(/0\.0\.0\.0\/0/);
      expect(env(family)).not.toHaveProperty('TRUST_PROXY_HOPS');
    }
  });

  it('runs the images the configured commit tag names', () => {
    const task = only<{ Properties: { ContainerDefinitions: { Image: unknown }[] } }>(full.templates.app, 'AWS::ECS::TaskDefinition', { Family: 'petal-dev-web' });
    expect(render(task.Properties.ContainerDefinitions[0]!.Image)).toMatch(/\/app-web:abc1234$/);
  });

  describe('security-group chain: internet → web ALB :80 → web tasks :8000 → WAS ALB :80 → WAS tasks :8081, nothing else', () => {
    const chain = (s: Synthesized) => {
      const g = s.appStack.groups;
      return [
        { group: logicalId(g.webAlb), source: 'cidr:0.0.0.0/0', fromPort: 80, toPort: 80 },
        { group: logicalId(g.webTasks), source: `sg:${logicalId(g.webAlb)}`, fromPort: 8000, toPort: 8000 },
        { group: logicalId(g.wasAlb), source: `sg:${logicalId(g.webTasks)}`, fromPort: 80, toPort: 80 },
        { group: logicalId(g.wasTasks), source: `sg:${logicalId(g.wasAlb)}`, fromPort: 8081, toPort: 8081 },
      ];
    };
    const sorted = <T>(rules: T[]) => [...rules].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

    it('the App stack has exactly the chain', () => {
      expect(sorted(ingressRules(base.json.app as TemplateJson))).toEqual(sorted(chain(base)));
    });

    it('a stack with one more rule is not the chain', () => {
      const broken = structuredClone(base.json.app) as TemplateJson;
      broken.Resources!.Extra = { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': [logicalId(base.appStack.groups.wasTasks), 'GroupId'] }, CidrIp: '10.0.0.0/16', FromPort: 8081, ToPort: 8081, IpProtocol: 'tcp' } };
      expect(sorted(ingressRules(broken))).not.toEqual(sorted(chain(base)));
    });

    it('only the web ALB is open to the internet, on 80 (and 443 with a certificate)', () => {
      for (const s of [base, full]) {
        for (const key of ['network', 'ml', 'app', 'delivery'] as const) {
          expect(publicIngressProblems(s.json[key] as TemplateJson, [logicalId(s.appStack.groups.webAlb)]), key).toEqual([]);
        }
      }
      expect(ingressRules(full.json.app as TemplateJson).filter((r) => r.source === 'cidr:0.0.0.0/0').map((r) => r.fromPort).sort()).toEqual([443, 80]);
    });

    it('a stack opening a task group to the internet fails the check', () => {
      const stack = new Stack(new App(), 'Broken');
      const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
      const alb = new ec2.SecurityGroup(stack, 'Alb', { vpc });
      alb.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80));
      const tasks = new ec2.SecurityGroup(stack, 'Tasks', { vpc });
      tasks.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(8081));
      alb.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
      const problems = publicIngressProblems(Template.fromStack(stack).toJSON() as TemplateJson, [logicalId(alb)]);
      expect(problems.sort()).toEqual([`${logicalId(alb)} admits the internet on 22, not 80/443`, `${logicalId(tasks)} admits cidr:0.0.0.0/0 on 8081`]);
    });
  });
});

/** Roles CDK itself creates with a managed policy, and why that is acceptable. */
const MANAGED_POLICY_EXCEPTIONS = (s: Synthesized): Record<string, string> => {
  const provider = s.network.node.findChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  return { [Stack.of(provider).getLogicalId(provider.node.findChild('Role') as CfnElement)]: 'CDK’s custom resource that empties the default security group: AWSLambdaBasicExecutionRole (its own logs) only' };
};

describe('IAM', () => {
  it('no * action anywhere and no * resource where the action can name one; no managed policies', () => {
    for (const s of [base, full]) {
      for (const key of ['network', 'ml', 'app', 'delivery'] as const) {
        expect(iamWildcardProblems(s.json[key] as TemplateJson), key).toEqual([]);
        expect(managedPolicyProblems(s.json[key] as TemplateJson, MANAGED_POLICY_EXCEPTIONS(s)), key).toEqual([]);
      }
    }
  });

  it('a stack with wildcard grants fails the check', () => {
    const stack = new Stack(new App(), 'Broken');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::bucket/*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    const problems = iamWildcardProblems(Template.fromStack(stack).toJSON() as TemplateJson);
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/sagemaker:InvokeEndpoint on Resource \*/);
    expect(problems.join('\n')).toMatch(/action s3:\*/);
    const managed = new Stack(new App(), 'BrokenManaged');
    new iam.Role(managed, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'), managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerFullAccess')] });
    expect(managedPolicyProblems(Template.fromStack(managed).toJSON() as TemplateJson)).toEqual(['Role1ABCC5F0 has managed policies attached']);
  });

  it('the WAS task role may InvokeEndpoint on the image-classifier endpoint ARN only; the web task role may do nothing', () => {
    const t = base.templates.app;
    const policies = Object.values(t.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] }; Roles: { Ref: string }[] } }[];
    const wasPolicies = policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === logicalId(base.appStack.services.was.taskDefinition.taskRole)));
    expect(wasPolicies.flatMap((p) => p.Properties.PolicyDocument.Statement.map((s) => [s.Action, render(s.Resource)]))).toEqual([
      ['sagemaker:InvokeEndpoint', 'arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/image-classifier'],
    ]);
    expect(policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === logicalId(base.appStack.services.web.taskDefinition.taskRole)))).toEqual([]);
  });
});

describe('Ml', () => {
  it('buckets are encrypted, versioned, TLS-only, public access blocked and access-logged', () => {
    for (const key of ['ml', 'delivery'] as const) expect(bucketProblems(base.json[key] as TemplateJson), key).toEqual([]);
    const buckets = Object.entries(base.templates.ml.findResources('AWS::S3::Bucket')) as [string, { Properties: { LoggingConfiguration?: unknown } }][];
    expect(buckets).toHaveLength(3);
    expect(buckets.filter(([, b]) => b.Properties.LoggingConfiguration).map(([id]) => id).sort()).toEqual([logicalId(base.ml.artifactBucket), logicalId(base.ml.dataBucket)].sort());
  });

  it('a stack with an open, unencrypted bucket fails the check', () => {
    const stack = new Stack(new App(), 'Broken');
    new s3.CfnBucket(stack, 'Open', {});
    new s3.Bucket(stack, 'Good', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true, versioned: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
    const problems = bucketProblems(Template.fromStack(stack).toJSON() as TemplateJson);
    expect(problems).toEqual([
      'Open: not encrypted',
      'Open: BlockPublicAcls is not true',
      'Open: BlockPublicPolicy is not true',
      'Open: IgnorePublicAcls is not true',
      'Open: RestrictPublicBuckets is not true',
      'Open: not versioned',
      'Open: no policy denying requests without TLS',
    ]);
  });

  it('creates the flower-classifier model package group', () => {
    base.templates.ml.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'flower-classifier' });
  });

  it('wires the compiled pipeline definition in, every setting a reference to this stack’s resources', () => {
    const pipeline = only<{ Properties: { PipelineName: string; RoleArn: unknown; PipelineDefinition: { PipelineDefinitionBody: unknown } } }>(base.templates.ml, 'AWS::SageMaker::Pipeline');
    expect(pipeline.Properties.PipelineName).toBe(flowerPipeline.name);
    expect(render(pipeline.Properties.RoleArn)).toBe(`<${logicalId(base.ml.pipelineRole)}.Arn>`);
    const deployed = JSON.parse(render(pipeline.Properties.PipelineDefinition.PipelineDefinitionBody)) as unknown;
    const placeholders = compilePipeline(flowerPipeline).definition;
    const expected: Record<string, RegExp> = {
      '<role-arn>': new RegExp(`^<${logicalId(base.ml.executionRole)}\\.Arn>$`),
      '<training-image>': /^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>\/petal-training:unset$/,
      '<evaluation-image>': /^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>\/petal-training:unset$/,
      '<serving-image>': /^<AWS::AccountId>\.dkr\.ecr\.<AWS::Region>\.<AWS::URLSuffix>\/petal-endpoint:unset$/,
      '<deploy-function-arn>': new RegExp(`^<${logicalId(base.ml.deployFunction)}\\.Arn>$`),
      '<artifact-s3-uri>': new RegExp(`^s3://<${logicalId(base.ml.artifactBucket)}>/pipeline$`),
    };
    let settings = 0;
    // Same document as the placeholder compile, except each <setting> is now a reference.
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'string' && /<[a-z0-9-]+>/.test(a)) {
        let pattern = a.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        for (const [key, value] of Object.entries(expected)) pattern = pattern.replace(key, value.source.replace(/^\^|\$$/g, ''));
        expect(b, path).toMatch(new RegExp(`^${pattern}$`));
        settings++;
        return;
      }
      if (typeof a !== 'object' || a === null) return void expect(b, path).toEqual(a);
      expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a).sort());
      for (const [k, v] of Object.entries(a)) walk(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
    };
    walk(placeholders, deployed, '$');
    expect(settings).toBeGreaterThanOrEqual(6);
    expect(base.ml.pipelineDefinitionBytes).toBeGreaterThan(1000);
  });

  it('routes Approved flower-classifier state changes to the deploy Lambda', () => {
    base.templates.ml.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: ['flower-classifier'], ModelApprovalStatus: ['Approved'], ModelPackageStatus: ['Completed'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(base.ml.deployFunction), 'Arn'] } })],
    });
    base.templates.ml.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [logicalId(base.ml.deployFunction), 'Arn'] } });
  });

  it('the approval rule takes the event the deploy Lambda reads once per version: Approved and Completed only', () => {
    const rule = only<{ Properties: { EventPattern: Pattern } }>(base.templates.ml, 'AWS::Events::Rule');
    // The event shape the deploy Lambda's own tests feed it (@petal/registry's stateChangeEvent).
    const pkg: ModelPackage = {
      group: 'flower-classifier',
      version: 3,
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/flower-classifier/3',
      approval: 'Approved',
      createdAt: '2026-11-25T10:00:00.000Z',
      history: [],
      artifactUri: 's3://b/model.tar.gz',
      evaluationUri: 's3://b/evaluation.json',
      dataFingerprint: 'f',
      gitCommit: 'abc1234',
      metrics: { accuracy: 0.97, macroF1: 0.97, testSize: 351 },
      modelName: 'flower-classifier',
      modelVersion: '1.0.0',
    };
    const event = stateChangeEvent(pkg, { image: 'image', source: 'aws.sagemaker' }) as unknown as Record<string, unknown>;
    const withDetail = (detail: Record<string, unknown>) => ({ ...event, detail: { ...(event.detail as object), ...detail } });
    expect(matches(rule.Properties.EventPattern, event)).toBe(true);
    expect(matches(rule.Properties.EventPattern, withDetail({ ModelApprovalStatus: 'PendingManualApproval' }))).toBe(false);
    for (const step of ['Pending', 'InProgress', 'Failed']) expect(matches(rule.Properties.EventPattern, withDetail({ ModelPackageStatus: step })), step).toBe(false);
    // Broken: without the status filter every status step of one Approved version would start a deploy.
    const unfiltered = structuredClone(rule.Properties.EventPattern);
    delete (unfiltered.detail as Pattern).ModelPackageStatus;
    expect(matches(unfiltered, withDetail({ ModelPackageStatus: 'InProgress' }))).toBe(true);
  });

  it('the deploy Lambda gets the settings @petal/deploy reads and a role limited to its SageMaker calls', () => {
    const t = base.templates.ml;
    const fn = only<{ Properties: { Runtime: string; Handler: string; Timeout: number; Environment: { Variables: Record<string, unknown> } } }>(t, 'AWS::Lambda::Function');
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Timeout).toBe(900);
    const env = Object.fromEntries(Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [k, render(v)]));
    expect(env).toMatchObject({
      PETAL_SAGEMAKER_ENDPOINT: 'image-classifier',
      PETAL_SAGEMAKER_ROLE_ARN: `<${logicalId(base.ml.executionRole)}.Arn>`,
      PETAL_SAGEMAKER_ROLLBACK_ALARMS: `<${logicalId(base.ml.rollbackAlarm)}>`,
      PETAL_SAGEMAKER_INSTANCE_TYPE: 'ml.m5.xlarge',
      PETAL_SAGEMAKER_TRAFFIC: 'ALL_AT_ONCE',
    });
    const policy = only<{ Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }>(t, 'AWS::IAM::Policy', { Roles: [{ Ref: logicalId(base.ml.deployFunction.role!) }] });
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect([...new Set(actions)].sort()).toEqual(
      [
        'cloudwatch:DescribeAlarms',
        'iam:PassRole',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sagemaker:AddTags',
        'sagemaker:CreateEndpoint',
        'sagemaker:CreateEndpointConfig',
        'sagemaker:CreateModel',
        'sagemaker:DescribeEndpoint',
        'sagemaker:DescribeEndpointConfig',
        'sagemaker:DescribeModelPackage',
        'sagemaker:DescribeModelPackageGroup',
        'sagemaker:ListTags',
        'sagemaker:UpdateEndpoint',
      ].sort(),
    );
  });

  it('the bundled deploy Lambda loads outside the repository (no native modules, no checkout needed)', () => {
    expect(base.lambdaAssetDir).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'petal-lambda-'));
    try {
      cpSync(base.lambdaAssetDir!, dir, { recursive: true });
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); console.log(typeof m.handler);`], { cwd: dir, encoding: 'utf8' });
      expect(out.trim()).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates no endpoint until an approved version is configured', () => {
    base.templates.ml.resourceCountIs('AWS::SageMaker::Endpoint', 0);
  });

  it('creates image-classifier from the configured version with a canary blue/green config and 5xx alarm rollback', () => {
    const t = full.templates.ml;
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: Match.anyValue(), Environment: { PETAL_MODEL_VERSION: '3' } } });
    const model = only<{ Properties: { PrimaryContainer: { ModelPackageName: unknown } } }>(t, 'AWS::SageMaker::Model');
    expect(render(model.Properties.PrimaryContainer.ModelPackageName)).toBe('arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/flower-classifier/3');
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ VariantName: 'AllTraffic', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 1 })] });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'image-classifier',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 300 }, TerminationWaitInSeconds: 300 },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: logicalId(full.ml.rollbackAlarm) } }] },
      },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocation5XXErrors',
      Namespace: 'AWS/SageMaker',
      Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: 'image-classifier' }]),
      Threshold: 1,
    });
  });

  it('a serverless endpoint shifts all at once after a baking period', () => {
    const serverless = synth({ approvedModelVersion: '1', serverless: 'true' });
    try {
      const t = serverless.templates.ml;
      t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 5 } })] });
      t.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } } } });
      expect(serverless.nag.violations).toEqual([]);
    } finally {
      serverless.dispose();
    }
  });
});

describe('no account ids or regions', () => {
  it('in any template or buildspec', () => {
    for (const s of [base, full]) {
      for (const key of ['network', 'ml', 'app', 'delivery'] as const) {
        // The certificate ARN is the configured value, not the app's.
        const text = JSON.stringify(s.json[key]).replaceAll(/arn:aws:acm:[^"]+/g, 'CERT');
        expect(hardCodedEnvironmentProblems(key, text)).toEqual([]);
      }
    }
    for (const file of ['service.yml', 'ml.yml']) {
      expect(hardCodedEnvironmentProblems(file, readFileSync(new URL(`../buildspecs/${file}`, import.meta.url), 'utf8'))).toEqual([]);
    }
  });

  it('the check finds them', () => {
    expect(hardCodedEnvironmentProblems('x', 'image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app-web')).toHaveLength(2);
  });
});
