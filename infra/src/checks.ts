/**
 * Security checks over synthesized CloudFormation templates. Each returns the problems it found (empty
 * when the template passes), so a test can show both that the app passes and that a deliberately broken
 * template fails, the way cdk-nag tests its own rules.
 */

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface TemplateJson {
  Resources?: Record<string, Resource>;
}

const resources = (template: TemplateJson) => Object.entries(template.Resources ?? {});
const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

// ---- network exposure ----

export interface IngressRule {
  group: string;
  source: string;
  fromPort: number | undefined;
  toPort: number | undefined;
}

/** A security-group reference as a logical ID (`Fn::GetAtt: [Id, GroupId]` or `Ref: Id`). */
function groupId(value: Json): string {
  if (typeof value === 'object' && value !== null) {
    const getAtt = (value as Record<string, Json>)['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return String(getAtt[0]);
    const ref = (value as Record<string, Json>).Ref;
    if (typeof ref === 'string') return ref;
  }
  return JSON.stringify(value);
}

/** Every ingress rule in the template, inline or standalone, with its source as `cidr:…` or `sg:<logical id>`. */
export function ingressRules(template: TemplateJson): IngressRule[] {
  const rules: IngressRule[] = [];
  const source = (rule: Record<string, Json>) =>
    rule.CidrIp !== undefined ? `cidr:${typeof rule.CidrIp === 'string' ? rule.CidrIp : JSON.stringify(rule.CidrIp)}` : rule.CidrIpv6 !== undefined ? `cidr6:${String(rule.CidrIpv6)}` : `sg:${groupId(rule.SourceSecurityGroupId)}`;
  for (const [id, resource] of resources(template)) {
    if (resource.Type === 'AWS::EC2::SecurityGroup') {
      for (const rule of asArray(resource.Properties?.SecurityGroupIngress as Record<string, Json>[] | undefined)) {
        rules.push({ group: id, source: source(rule), fromPort: rule.FromPort as number | undefined, toPort: rule.ToPort as number | undefined });
      }
    }
    if (resource.Type === 'AWS::EC2::SecurityGroupIngress') {
      const p = resource.Properties ?? {};
      rules.push({ group: groupId(p.GroupId), source: source(p), fromPort: p.FromPort as number | undefined, toPort: p.ToPort as number | undefined });
    }
  }
  return rules;
}

const OPEN = new Set(['cidr:0.0.0.0/0', 'cidr6:::/0']);

/**
 * Internet ingress only on the named groups (the public ALB), and there only on HTTP/HTTPS; no rule
 * anywhere open to all ports.
 */
export function publicIngressProblems(template: TemplateJson, publicGroups: string[]): string[] {
  const problems: string[] = [];
  for (const rule of ingressRules(template)) {
    if (rule.fromPort === undefined || rule.fromPort === -1 || rule.fromPort !== rule.toPort) {
      problems.push(`${rule.group} admits a port range (${rule.fromPort}-${rule.toPort}) from ${rule.source}`);
    }
    if (!OPEN.has(rule.source)) continue;
    if (!publicGroups.includes(rule.group)) problems.push(`${rule.group} admits ${rule.source} on ${rule.fromPort}`);
    else if (rule.fromPort !== 80 && rule.fromPort !== 443) problems.push(`${rule.group} admits the internet on ${rule.fromPort}, not 80/443`);
  }
  return problems;
}

// ---- IAM ----

/**
 * Actions that take no resource-level permission (the Service Authorization Reference lists `*` as
 * their only resource), so `Resource: *` is as narrow as they get.
 */
export const NO_RESOURCE_LEVEL_ACTIONS = new Set([
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
  'ecs:RegisterTaskDefinition',
  'ecs:DescribeTaskDefinition',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:PutResourcePolicy',
]);

interface Statement {
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: Json;
  Condition?: Json;
}

function policyDocuments(resource: Resource): { Statement?: Statement | Statement[] }[] {
  const p = resource.Properties ?? {};
  if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') return [p.PolicyDocument as { Statement?: Statement[] }];
  if (resource.Type === 'AWS::IAM::Role') return asArray(p.Policies as { PolicyDocument: { Statement?: Statement[] } }[] | undefined).map((x) => x.PolicyDocument);
  return [];
}

/** Condition keys that pin `Resource: *` to one resource (ListTasks takes its cluster only this way). */
export const RESOURCE_PINNING_CONDITION_KEYS = new Set(['ecs:cluster']);

function pinsResource(condition: Json): boolean {
  if (typeof condition !== 'object' || condition === null) return false;
  return Object.values(condition).some((byKey) => typeof byKey === 'object' && byKey !== null && Object.keys(byKey).some((k) => RESOURCE_PINNING_CONDITION_KEYS.has(k)));
}

/**
 * No Allow statement with a `*` or `service:*` action or a NotAction; `Resource: *` only when every
 * action has no resource-level permission, or when a condition pins the resource (`ecs:cluster`). A
 * condition like `iam:PassedToService` narrows who receives a role, not which role: it does not count.
 */
export function iamWildcardProblems(template: TemplateJson): string[] {
  const problems: string[] = [];
  for (const [id, resource] of resources(template)) {
    for (const document of policyDocuments(resource)) {
      for (const statement of asArray(document?.Statement)) {
        if (statement.Effect !== 'Allow') continue;
        const actions = asArray(statement.Action);
        if (statement.NotAction !== undefined) problems.push(`${id}: Allow with NotAction`);
        for (const action of actions) if (action === '*' || action.endsWith(':*')) problems.push(`${id}: action ${action}`);
        const wildcard = asArray(statement.Resource).some((r) => r === '*');
        if (wildcard && !pinsResource(statement.Condition)) {
          const narrowable = actions.filter((a) => !NO_RESOURCE_LEVEL_ACTIONS.has(a));
          if (narrowable.length) problems.push(`${id}: ${narrowable.join(', ')} on Resource * (each can name its resource)`);
        }
      }
    }
  }
  return problems;
}

/**
 * Managed policies attached to roles (AWS-managed ones grant far more than a service needs), except on
 * the roles named in `exceptions` (logical ID → why it is acceptable).
 */
export function managedPolicyProblems(template: TemplateJson, exceptions: Record<string, string> = {}): string[] {
  return resources(template)
    .filter(([id, r]) => r.Type === 'AWS::IAM::Role' && asArray(r.Properties?.ManagedPolicyArns as Json[] | undefined).length > 0 && !exceptions[id])
    .map(([id]) => `${id} has managed policies attached`);
}

// ---- S3 ----

function denysInsecureTransport(template: TemplateJson, bucketId: string): boolean {
  return resources(template).some(([, r]) => {
    if (r.Type !== 'AWS::S3::BucketPolicy' || groupId(r.Properties?.Bucket) !== bucketId) return false;
    const statements = asArray((r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement);
    return statements.some(
      (s) =>
        s.Effect === 'Deny' &&
        JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }) &&
        asArray(s.Action).includes('s3:*'),
    );
  });
}

/** Every bucket encrypted, versioned, with all four public-access blocks on and a policy refusing non-TLS requests. */
export function bucketProblems(template: TemplateJson): string[] {
  const problems: string[] = [];
  for (const [id, r] of resources(template)) {
    if (r.Type !== 'AWS::S3::Bucket') continue;
    const p = r.Properties ?? {};
    const encryption = (p.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string } }[] } | undefined)?.ServerSideEncryptionConfiguration?.[0]
      ?.ServerSideEncryptionByDefault?.SSEAlgorithm;
    if (encryption !== 'AES256' && encryption !== 'aws:kms') problems.push(`${id}: not encrypted`);
    const block = (p.PublicAccessBlockConfiguration ?? {}) as Record<string, Json>;
    for (const key of ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets']) {
      if (block[key] !== true) problems.push(`${id}: ${key} is not true`);
    }
    if ((p.VersioningConfiguration as { Status?: string } | undefined)?.Status !== 'Enabled') problems.push(`${id}: not versioned`);
    if (!denysInsecureTransport(template, id)) problems.push(`${id}: no policy denying requests without TLS`);
  }
  return problems;
}

// ---- no account ids or regions ----

const ACCOUNT_ID = /(?<![0-9])[0-9]{12}(?![0-9])/;
const REGION = /\b(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9]\b/;

/** A hard-coded account id or region name in any text (a template, a buildspec). */
export function hardCodedEnvironmentProblems(name: string, text: string): string[] {
  const problems: string[] = [];
  const account = ACCOUNT_ID.exec(text);
  if (account) problems.push(`${name}: account id ${account[0]} near "${text.slice(Math.max(0, account.index - 40), account.index + 20)}"`);
  const region = REGION.exec(text);
  if (region) problems.push(`${name}: region ${region[0]} near "${text.slice(Math.max(0, region.index - 40), region.index + 20)}"`);
  return problems;
}

// ---- delivery ----

const ECR_PUSH_ACTIONS = new Set(['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload']);

/** The policies attached to a role (by logical ID). */
function statementsOfRole(template: TemplateJson, roleId: string): Statement[] {
  return resources(template).flatMap(([id, r]) => {
    if (r.Type === 'AWS::IAM::Policy' && asArray(r.Properties?.Roles as Json[] | undefined).some((x) => groupId(x) === roleId)) {
      return asArray((r.Properties?.PolicyDocument as { Statement?: Statement[] }).Statement);
    }
    if (r.Type === 'AWS::IAM::Role' && id === roleId) return policyDocuments(r).flatMap((d) => asArray(d.Statement));
    return [];
  });
}

/**
 * Each CodeBuild role may push to its own repositories only: `allowed` maps a build role's logical ID
 * to the repositories (logical IDs) it builds; a push grant on any other resource is a problem, as is
 * a build role missing from `allowed`.
 */
export function ecrPushProblems(template: TemplateJson, allowed: Record<string, string[]>): string[] {
  const problems: string[] = [];
  const buildRoles = resources(template)
    .filter(([, r]) => r.Type === 'AWS::CodeBuild::Project')
    .map(([id, r]) => [id, groupId(r.Properties?.ServiceRole)] as const);
  for (const [project, role] of buildRoles) {
    const repos = allowed[role];
    if (!repos) {
      problems.push(`${project}: role ${role} has no declared repositories`);
      continue;
    }
    for (const statement of statementsOfRole(template, role)) {
      if (statement.Effect !== 'Allow' || !asArray(statement.Action).some((a) => ECR_PUSH_ACTIONS.has(a))) continue;
      for (const resource of asArray(statement.Resource)) {
        const repo = groupId(resource);
        if (!repos.includes(repo)) problems.push(`${project}: may push to ${repo}`);
      }
    }
  }
  return problems;
}

/**
 * Privileged mode (a Docker daemon in the build) only for projects whose buildspec builds images, and
 * each with a written reason: `buildspecs` maps a buildspec path to its text, `reasons` a project's
 * logical ID to the acknowledged reason.
 */
export function privilegedModeProblems(template: TemplateJson, buildspecs: Record<string, string>, reasons: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [id, r] of resources(template)) {
    if (r.Type !== 'AWS::CodeBuild::Project') continue;
    const environment = (r.Properties?.Environment ?? {}) as { PrivilegedMode?: boolean };
    if (!environment.PrivilegedMode) continue;
    const source = (r.Properties?.Source ?? {}) as { BuildSpec?: string };
    const buildspec = source.BuildSpec === undefined ? undefined : buildspecs[source.BuildSpec] ?? source.BuildSpec;
    if (!buildspec || !/\bdocker build\b/.test(buildspec)) problems.push(`${id}: privileged without building an image`);
    if (!reasons[id] || reasons[id]!.length < 20) problems.push(`${id}: privileged without a written reason`);
  }
  return problems;
}

// ---- listeners and CodeDeploy blue/green ----

/**
 * On a load balancer that has an HTTPS listener, nothing may be served in plain HTTP (every HTTP listener
 * redirects to HTTPS, except a private test listener that admits nobody from the internet, which the
 * caller names), and a CodeDeploy deployment group must switch the HTTPS listener: switching another one
 * leaves the users' listener on a target group whose tasks CodeDeploy stops after the deployment.
 */
export function httpsListenerProblems(template: TemplateJson, privateListeners: string[] = []): string[] {
  const problems: string[] = [];
  const listeners = resources(template).filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener');
  const lbOf = (id: string) => JSON.stringify(listeners.find(([lid]) => lid === id)?.[1].Properties?.LoadBalancerArn);
  const httpsLbs = new Set(listeners.filter(([, r]) => r.Properties?.Protocol === 'HTTPS').map(([id]) => lbOf(id)));
  for (const [id, r] of listeners) {
    if (r.Properties?.Protocol !== 'HTTP' || !httpsLbs.has(lbOf(id)) || privateListeners.includes(id)) continue;
    const actions = asArray(r.Properties.DefaultActions as Record<string, Json>[] | undefined);
    const redirects = actions.length > 0 && actions.every((a) => a.Type === 'redirect' && (a.RedirectConfig as Record<string, Json> | undefined)?.Protocol === 'HTTPS');
    if (!redirects) problems.push(`${id} serves plain HTTP on ${String(r.Properties.Port)} beside an HTTPS listener`);
  }
  for (const [id, r] of resources(template).filter(([, x]) => x.Type === 'AWS::CodeDeploy::DeploymentGroup')) {
    const pairs = asArray(((r.Properties?.LoadBalancerInfo as Record<string, Json> | undefined)?.TargetGroupPairInfoList as Record<string, Json>[] | undefined));
    for (const pair of pairs) {
      for (const arn of asArray((pair.ProdTrafficRoute as Record<string, Json> | undefined)?.ListenerArns as Json[] | undefined)) {
        const listener = groupId(arn);
        const props = listeners.find(([lid]) => lid === listener)?.[1].Properties;
        if (httpsLbs.has(lbOf(listener)) && props?.Protocol !== 'HTTPS') problems.push(`${id} switches ${listener} (${String(props?.Protocol)}), not the HTTPS listener users reach`);
      }
    }
  }
  return problems;
}

/**
 * Every target group of a CodeDeploy ECS deployment group must be watched by an alarm in the group's
 * alarm list: the new task set serves from whichever one is not in production, so an alarm on one only
 * rolls back every other deployment.
 */
export function rollbackAlarmProblems(template: TemplateJson): string[] {
  const problems: string[] = [];
  const all = resources(template);
  for (const [id, r] of all.filter(([, x]) => x.Type === 'AWS::CodeDeploy::DeploymentGroup')) {
    const alarmIds = asArray(((r.Properties?.AlarmConfiguration as Record<string, Json> | undefined)?.Alarms as Record<string, Json>[] | undefined)).map((a) => groupId(a.Name));
    const watched = alarmIds.map((a) => JSON.stringify(all.find(([aid]) => aid === a)?.[1].Properties ?? {}));
    const pairs = asArray(((r.Properties?.LoadBalancerInfo as Record<string, Json> | undefined)?.TargetGroupPairInfoList as Record<string, Json>[] | undefined));
    for (const pair of pairs) {
      for (const tg of asArray(pair.TargetGroups as Record<string, Json>[] | undefined).map((t) => groupId(t.Name))) {
        if (!watched.some((props) => props.includes(`"${tg}"`))) problems.push(`${id}: no rollback alarm watches target group ${tg}`);
      }
    }
  }
  return problems;
}
