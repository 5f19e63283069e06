/**
 * The Delivery stack: repositories, the three pipelines and their stages in order, least-privilege
 * CodeBuild roles, privileged mode only where an image is built (with a reason), and buildspecs that
 * name no account or region. Synthesized offline; the least-privilege and privileged-mode checks also
 * run on deliberately broken stacks.
 */
import { readFileSync } from 'node:fs';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ecrPushProblems, httpsListenerProblems, iamWildcardProblems, managedPolicyProblems, privilegedModeProblems, rollbackAlarmProblems, type TemplateJson } from './checks.js';
import { DOCKER_BUILDS, TRIGGER_PATHS } from './delivery-stack.js';
import { synth, type Synthesized } from './testing/synth.js';

let connections: Synthesized;
let codecommit: Synthesized;
let blueGreen: Synthesized;
let blueGreenHttps: Synthesized;

// A placeholder certificate (the all-zero account is nobody's): the app only passes it to the listener.
const CERTIFICATE = 'arn:aws:acm:xx-test-1:000000000000:certificate/0f0e0d0c-0000-4000-8000-000000000000';

beforeAll(() => {
  connections = synth({ repository: 'example-org/petal', branch: 'main' });
  codecommit = synth({ source: 'codecommit' });
  blueGreen = synth({ ecsDeploy: 'blue-green' });
  blueGreenHttps = synth({ ecsDeploy: 'blue-green', certificateArn: CERTIFICATE });
});
afterAll(() => {
  connections?.dispose();
  codecommit?.dispose();
  blueGreen?.dispose();
  blueGreenHttps?.dispose();
});

const logicalId = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
const buildspecText = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const BUILDSPECS = { 'infra/buildspecs/service.yml': buildspecText('infra/buildspecs/service.yml'), 'infra/buildspecs/ml.yml': buildspecText('infra/buildspecs/ml.yml') };

interface PipelineResource {
  Properties: {
    Name: string;
    PipelineType: string;
    Stages: { Name: string; Actions: { Name: string; ActionTypeId: { Category: string; Provider: string }; Configuration?: Record<string, unknown> }[] }[];
    Triggers?: { ProviderType: string; GitConfiguration: { Push: { Branches?: { Includes: string[] }; FilePaths?: { Includes: string[] } }[] } }[];
  };
}

function pipeline(s: Synthesized, name: string): PipelineResource['Properties'] {
  const found = Object.values(s.templates.delivery.findResources('AWS::CodePipeline::Pipeline')) as PipelineResource[];
  const match = found.find((p) => p.Properties.Name === name);
  if (!match) throw new Error(`no pipeline ${name}`);
  return match.Properties;
}

/** Each stage's actions as `Category/Provider`. */
const stages = (p: PipelineResource['Properties']) => p.Stages.map((s) => [s.Name, s.Actions.map((a) => `${a.ActionTypeId.Category}/${a.ActionTypeId.Provider}`)]);

describe('repositories', () => {
  it('app-web, app-was, petal-training and petal-endpoint scan on push, keep immutable tags, expire old images and are emptied on delete', () => {
    const t = connections.templates.delivery;
    for (const name of ['app-web', 'app-was', 'petal-training', 'petal-endpoint']) {
      t.hasResource('AWS::ECR::Repository', {
        Properties: {
          RepositoryName: name,
          ImageScanningConfiguration: { ScanOnPush: true },
          ImageTagMutability: 'IMMUTABLE',
          EmptyOnDelete: true,
          LifecyclePolicy: { LifecyclePolicyText: Match.stringLikeRegexp('"countNumber":30') },
        },
        DeletionPolicy: 'Delete',
      });
    }
  });
});

describe('pipelines', () => {
  it('web and WAS: source → test and build the image → deploy to their ECS service, in that order', () => {
    for (const [name, service] of [
      ['web', 'app-web-service'],
      ['was', 'app-was-service'],
    ] as const) {
      const p = pipeline(connections, `petal-dev-${name}`);
      expect(p.PipelineType).toBe('V2');
      expect(stages(p)).toEqual([
        ['Source', ['Source/CodeStarSourceConnection']],
        ['Build', ['Build/CodeBuild']],
        ['Deploy', ['Deploy/ECS']],
      ]);
      expect(p.Stages[0]!.Actions[0]!.Configuration).toMatchObject({ FullRepositoryId: 'example-org/petal', BranchName: 'main' });
      expect(p.Stages[2]!.Actions[0]!.Configuration).toMatchObject({ ClusterName: 'AppEcsCluster', ServiceName: service, FileName: 'imagedefinitions.json' });
    }
  });

  it('ML: source → rebuild the images, upsert and start the SageMaker pipeline', () => {
    expect(stages(pipeline(connections, 'petal-dev-ml'))).toEqual([
      ['Source', ['Source/CodeStarSourceConnection']],
      ['BuildImagesAndStartPipeline', ['Build/CodeBuild']],
    ]);
    const ml = parse(BUILDSPECS['infra/buildspecs/ml.yml']) as { phases: Record<string, { commands: string[] }> };
    const all = Object.values(ml.phases).flatMap((p) => p.commands).join('\n');
    expect(all.indexOf('build_and_push "$TRAINING_REPO_URI"')).toBeGreaterThan(-1);
    expect(all.indexOf('npm run pipeline -- upsert')).toBeGreaterThan(all.indexOf('build_and_push "$ENDPOINT_REPO_URI"'));
    expect(all.indexOf('npm run pipeline -- start --remote')).toBeGreaterThan(all.indexOf('npm run pipeline -- upsert'));
    expect(all).toMatch(/PETAL_TRAINING_IMAGE="\$TRAINING_REPO_URI:\$IMAGE_TAG"/);
    expect(all).toMatch(/PETAL_INFERENCE_IMAGE="\$ENDPOINT_REPO_URI:\$IMAGE_TAG"/);
  });

  it('each pipeline starts only on pushes that touch its code (the ML one on the ML code)', () => {
    for (const name of ['web', 'was', 'ml'] as const) {
      const p = pipeline(connections, `petal-dev-${name}`);
      expect(p.Triggers).toEqual([
        {
          ProviderType: 'CodeStarSourceConnection',
          GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['main'] }, FilePaths: { Includes: TRIGGER_PATHS[name] } }] },
        },
      ]);
    }
    expect(TRIGGER_PATHS.ml).toContain('ml/**');
    expect(TRIGGER_PATHS.ml).toContain('apps/endpoint/**');
  });

  it('creates a GitHub connection when none is given, and a CodeCommit repository with source=codecommit', () => {
    connections.templates.delivery.hasResourceProperties('AWS::CodeConnections::Connection', { ProviderType: 'GitHub', ConnectionName: 'petal-dev-github' });
    codecommit.templates.delivery.resourceCountIs('AWS::CodeConnections::Connection', 0);
    codecommit.templates.delivery.hasResourceProperties('AWS::CodeCommit::Repository', { RepositoryName: 'petal' });
    expect(stages(pipeline(codecommit, 'petal-dev-web'))[0]).toEqual(['Source', ['Source/CodeCommit']]);
  });
});

describe('CodeDeploy blue/green (ecsDeploy=blue-green)', () => {
  it('hands the services to CodeDeploy: green target group, test listener, 10% canary, rollback on alarm or failure', () => {
    const t = blueGreen.templates.app;
    t.resourcePropertiesCountIs('AWS::ECS::Service', { DeploymentController: { Type: 'CODE_DEPLOY' } }, 2);
    for (const s of Object.values(t.findResources('AWS::ECS::Service')) as { Properties: { DeploymentConfiguration?: { DeploymentCircuitBreaker?: unknown } } }[]) {
      expect(s.Properties.DeploymentConfiguration?.DeploymentCircuitBreaker).toBeUndefined();
    }
    t.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Port: 9000 }, 2);
    for (const service of ['web', 'was']) {
      t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
        DeploymentGroupName: `petal-dev-${service}`,
        DeploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
        DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
        AlarmConfiguration: { Enabled: true, Alarms: [{ Name: Match.anyValue() }, { Name: Match.anyValue() }] },
        AutoRollbackConfiguration: { Enabled: true, Events: Match.arrayWith(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']) },
        BlueGreenDeploymentConfiguration: { TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 5 } },
        LoadBalancerInfo: { TargetGroupPairInfoList: [Match.objectLike({ ProdTrafficRoute: Match.anyValue(), TestTrafficRoute: Match.anyValue(), TargetGroups: [Match.anyValue(), Match.anyValue()] })] },
      });
    }
  });

  type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const resourcesOf = (s: Synthesized) => structuredClone((s.json.app as { Resources: Resources }).Resources);
  const idsOf = (r: Resources, type: string, props: Record<string, unknown> = {}) =>
    Object.entries(r)
      .filter(([, x]) => x.Type === type && Object.entries(props).every(([k, v]) => x.Properties[k] === v))
      .map(([id]) => id);

  it('with a certificate, CodeDeploy switches the HTTPS :443 listener and :80 only redirects to HTTPS', () => {
    const r = resourcesOf(blueGreenHttps);
    const listener = 'AWS::ElasticLoadBalancingV2::Listener';
    const testListeners = idsOf(r, listener, { Port: 9000 });
    expect(testListeners).toHaveLength(2);
    expect(httpsListenerProblems({ Resources: r }, testListeners)).toEqual([]);
    const [https] = idsOf(r, listener, { Port: 443 });
    const [redirect] = idsOf(r, listener, { Port: 80 }).filter((id) => JSON.stringify(r[id]!.Properties.LoadBalancerArn) === JSON.stringify(r[https!]!.Properties.LoadBalancerArn));
    expect(r[redirect!]!.Properties.DefaultActions).toEqual([{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }]);
    const webGroup = Object.values(r).find((x) => x.Type === 'AWS::CodeDeploy::DeploymentGroup' && x.Properties.DeploymentGroupName === 'petal-dev-web')!;
    expect(JSON.stringify(webGroup.Properties.LoadBalancerInfo)).toContain(`"ProdTrafficRoute":{"ListenerArns":[{"Ref":"${https!}"}]}`);
    // Broken: CodeDeploy switching the :80 listener (the reviewed shape), and :80 serving the app.
    (webGroup.Properties.LoadBalancerInfo as { TargetGroupPairInfoList: { ProdTrafficRoute: unknown }[] }).TargetGroupPairInfoList[0]!.ProdTrafficRoute = { ListenerArns: [{ Ref: redirect! }] };
    r[redirect!]!.Properties.DefaultActions = [{ Type: 'forward', TargetGroupArn: { Ref: 'AnyTargetGroup' } }];
    expect(httpsListenerProblems({ Resources: r }, testListeners).sort()).toEqual(
      [`${redirect!} serves plain HTTP on 80 beside an HTTPS listener`, `${idsOf(r, 'AWS::CodeDeploy::DeploymentGroup', { DeploymentGroupName: 'petal-dev-web' })[0]!} switches ${redirect!} (HTTP), not the HTTPS listener users reach`].sort(),
    );
  });

  it('rolls back on 5xx from either target group: blue and green each have an alarm in the deployment group', () => {
    for (const s of [blueGreen, blueGreenHttps]) expect(rollbackAlarmProblems(s.json.app as TemplateJson)).toEqual([]);
    blueGreen.templates.app.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    // Broken: only the first (blue) alarm in each group's list, as before.
    const r = resourcesOf(blueGreen);
    const groups = idsOf(r, 'AWS::CodeDeploy::DeploymentGroup');
    for (const id of groups) {
      const alarms = r[id]!.Properties.AlarmConfiguration as { Alarms: unknown[] };
      alarms.Alarms = alarms.Alarms.slice(0, 1);
    }
    const problems = rollbackAlarmProblems({ Resources: r });
    expect(problems).toHaveLength(2);
    for (const [i, id] of groups.entries()) expect(problems[i]).toMatch(new RegExp(`^${id}: no rollback alarm watches target group \\w*Green`));
  });

  it('deploys through CodeDeploy with the task definition and AppSpec templates the build writes', () => {
    const p = pipeline(blueGreen, 'petal-dev-web');
    expect(stages(p)[2]).toEqual(['Deploy', ['Deploy/CodeDeployToECS']]);
    expect(p.Stages[2]!.Actions[0]!.Configuration).toMatchObject({
      ApplicationName: 'petal-dev-app',
      DeploymentGroupName: 'petal-dev-web',
      TaskDefinitionTemplatePath: 'taskdef.json',
      AppSpecTemplatePath: 'appspec.yaml',
      Image1ContainerName: 'IMAGE1_NAME',
    });
    const service = parse(BUILDSPECS['infra/buildspecs/service.yml']) as { artifacts: { files: string[] } };
    expect(service.artifacts.files).toEqual(expect.arrayContaining(['imageDetail.json', 'taskdef.json', 'appspec.yaml']));
    expect(BUILDSPECS['infra/buildspecs/service.yml']).toContain('map(.image = "<IMAGE1_NAME>")');
  });

  it('stays least-privilege and cdk-nag clean', () => {
    expect(blueGreen.nag.violations).toEqual([]);
    const codeDeployRoles = Object.fromEntries(
      Object.values(blueGreen.appStack.deploymentGroups).map((g) => [logicalId(g.role), 'CodeDeploy’s service role: AWSCodeDeployRoleForECS, acknowledged for cdk-nag with its reason']),
    );
    for (const key of ['app', 'delivery'] as const) {
      expect(iamWildcardProblems(blueGreen.json[key] as TemplateJson), key).toEqual([]);
      expect(managedPolicyProblems(blueGreen.json[key] as TemplateJson, codeDeployRoles), key).toEqual([]);
    }
  });
});

describe('build projects', () => {
  it('build with the buildspec files, an encryption key, and the image settings of their service', () => {
    const t = connections.templates.delivery;
    const env = (name: string) => {
      const project = Object.values(t.findResources('AWS::CodeBuild::Project', { Properties: { Name: name } }))[0] as {
        Properties: { Source: { BuildSpec: string }; EncryptionKey: unknown; Environment: { EnvironmentVariables: { Name: string; Value: unknown }[] } };
      };
      expect(project.Properties.EncryptionKey).toBeDefined();
      return { buildspec: project.Properties.Source.BuildSpec, vars: Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v) => [v.Name, JSON.stringify(v.Value)])) };
    };
    const web = env('petal-dev-web');
    expect(web.buildspec).toBe('infra/buildspecs/service.yml');
    expect(web.vars.DOCKER_ARGS).toBe(JSON.stringify(DOCKER_BUILDS.web));
    expect(web.vars.IMAGE_REPO_URI).toContain(logicalId(connections.delivery.repositories.web));
    const ml = env('petal-dev-ml');
    expect(ml.buildspec).toBe('infra/buildspecs/ml.yml');
    expect(ml.vars.TRAINING_REPO_URI).toContain(logicalId(connections.delivery.repositories.training));
    expect(ml.vars.PETAL_PIPELINE_ROLE_ARN).toContain('PipelineRole');
  });

  const pushAllowed = (s: Synthesized) => {
    const { projects, repositories } = s.delivery;
    return {
      [logicalId(projects.web.role!)]: [logicalId(repositories.web)],
      [logicalId(projects.was.role!)]: [logicalId(repositories.was)],
      [logicalId(projects.ml.role!)]: [logicalId(repositories.training), logicalId(repositories.endpoint)],
    };
  };

  it('each build role pushes to its own repositories only', () => {
    expect(ecrPushProblems(connections.json.delivery as TemplateJson, pushAllowed(connections))).toEqual([]);
  });

  it('a build role that can push to another service’s repository fails the check', () => {
    const stack = new Stack(new App(), 'Broken');
    const web = new ecr.Repository(stack, 'Web');
    const was = new ecr.Repository(stack, 'Was');
    const project = new codebuild.PipelineProject(stack, 'WebBuild');
    web.grantPullPush(project);
    was.grantPullPush(project);
    const problems = ecrPushProblems(Template.fromStack(stack).toJSON() as TemplateJson, { [logicalId(project.role!)]: [logicalId(web)] });
    expect(problems).toEqual([`${logicalId(project)}: may push to ${logicalId(was)}`]);
  });

  it('no build role has SageMaker or iam:PassRole rights but the ML one, and that one only on the pipeline, the registry and the pipeline role', () => {
    const t = connections.json.delivery as { Resources: Record<string, { Type: string; Properties: { Roles?: { Ref: string }[]; PolicyDocument?: { Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[] } } }> };
    const statementsOf = (roleId: string) =>
      Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((x) => x.Ref === roleId))
        .flatMap((r) => r.Properties.PolicyDocument!.Statement);
    const { projects } = connections.delivery;
    for (const p of [projects.web, projects.was]) {
      const actions = statementsOf(logicalId(p.role!)).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
      expect(actions.filter((a) => a.startsWith('sagemaker:') || a === 'iam:PassRole')).toEqual([]);
    }
    const ml = statementsOf(logicalId(projects.ml.role!));
    const sagemaker = ml.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith('sagemaker:')));
    const resources = sagemaker.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])).map((r) => JSON.stringify(r));
    for (const r of resources) expect(r).toMatch(/:pipeline\/petal-flower-classifier"|:model-package-group\/flower-classifier"|:model-package\/flower-classifier\/\*"/);
    const passRole = ml.filter((s) => s.Action === 'iam:PassRole');
    expect(passRole).toHaveLength(1);
    expect(JSON.stringify(passRole[0]!.Resource)).toContain('PipelineRole');
    expect(passRole[0]!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
  });

  const reasons = (s: Synthesized) =>
    Object.fromEntries(
      Object.values(s.delivery.projects).map((p) => [logicalId(p), s.acknowledgements.find((a) => a.path === p.node.path && a.id.endsWith('AwsSolutions-CB3'))?.reason ?? '']),
    );

  it('privileged mode only where an image is built, each with a written reason', () => {
    expect(privilegedModeProblems(connections.json.delivery as TemplateJson, BUILDSPECS, reasons(connections))).toEqual([]);
    // All three build images, so all three are privileged.
    connections.templates.delivery.resourcePropertiesCountIs('AWS::CodeBuild::Project', { Environment: { PrivilegedMode: true } }, 3);
  });

  it('a privileged project that builds no image, or gives no reason, fails the check', () => {
    const app = new App();
    const stack = new Stack(app, 'Broken');
    const lint = new codebuild.PipelineProject(stack, 'Lint', { buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['npm run lint'] } } }), environment: { privileged: true } });
    const image = new codebuild.PipelineProject(stack, 'Image', { buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['docker build .'] } } }), environment: { privileged: true } });
    Validations.of(lint).acknowledge({ id: 'AwsSolutions-CB3', reason: 'copied from another project without thinking' });
    const problems = privilegedModeProblems(Template.fromStack(stack).toJSON() as TemplateJson, {}, { [logicalId(lint)]: 'copied from another project without thinking' });
    expect(problems).toEqual([`${logicalId(lint)}: privileged without building an image`, `${logicalId(image)}: privileged without a written reason`]);
  });
});

describe('buildspecs', () => {
  it('tag the image with the commit, push it and write imagedefinitions.json', () => {
    const service = parse(BUILDSPECS['infra/buildspecs/service.yml']) as { phases: Record<string, { commands: string[] }>; artifacts: { files: string[] } };
    const all = Object.values(service.phases).flatMap((p) => p.commands).join('\n');
    expect(all).toContain('IMAGE_TAG="$CODEBUILD_RESOLVED_SOURCE_VERSION"');
    expect(all).toContain('docker push "$IMAGE_REPO_URI:$IMAGE_TAG"');
    expect(all).not.toMatch(/:latest/);
    expect(all).toMatch(/npx vitest run \$TEST_PATHS/);
    expect(all.indexOf('npx vitest run')).toBeLessThan(all.indexOf('docker build'));
    expect(service.artifacts.files).toEqual(['imagedefinitions.json', 'imageDetail.json', 'taskdef.json', 'appspec.yaml']);
  });
});
