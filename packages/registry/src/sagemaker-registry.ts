import {
  AddTagsCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  ListTagsCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
  paginateListModelPackages,
  type DescribeModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { arnPrefixOfGroup, modelPackageArn } from './arn.js';
import { RegistryError } from './errors.js';
import { METADATA_KEYS, SUPPORTED_CONTENT_TYPES, SUPPORTED_RESPONSE_MIME_TYPES, customerMetadata } from './events.js';
import { RegistryCore, checkTransition, type RegistryOptions } from './registry-core.js';
import { approvalStatusSchema } from './schema.js';
import type { ApprovalChange, ApprovalStatus, DeploymentRecord, ModelPackage, RegisterInput } from './types.js';

/** Petal's own keys besides the package facts in `METADATA_KEYS`: who registered and who last decided. */
const REGISTERED_BY = 'petal:registered-by';
const REGISTERED_APPROVAL = 'petal:registered-approval';
const DECIDED_BY = 'petal:approval-by';
/** The deployment record lives as tags on the model package group: one place, one AddTags call. */
const TAG_DEPLOYED_VERSION = 'petal:deployed-version';
const TAG_DEPLOYED_AT = 'petal:deployed-at';
const TAG_DEPLOYED_BY = 'petal:deployed-by';
const TAG_PREVIOUS_VERSION = 'petal:previous-version';

export interface SageMakerRegistryOptions extends RegistryOptions {
  client?: SageMakerClient;
  /** The endpoint image (ECR URI) the packages' InferenceSpecification names. */
  image: string;
}

/** SageMaker answers a missing group or package with a ValidationException / ResourceNotFound. */
function isMissing(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e.name === 'ResourceNotFound' || (e.name === 'ValidationException' && /does not exist|not found/i.test(e.message ?? ''));
}

function requireS3(field: string, uri: string): void {
  if (!uri.startsWith('s3://')) {
    throw new RegistryError('INVALID_INPUT', `SageMaker needs s3:// URIs: ${field} is ${uri} (run the pipeline with PETAL_STORE=s3://…)`);
  }
}

const toIso = (d: Date | string | undefined) => (d instanceof Date ? d.toISOString() : (d ?? new Date(0).toISOString()));

/**
 * The registry as SageMaker's Model Registry: a model package group per model, a versioned model package
 * per registration (CreateModelPackage), approval through UpdateModelPackage. SageMaker numbers the
 * versions itself, and EventBridge receives its own `SageMaker Model Package State Change` events; this
 * class also emits the same shape to in-process handlers.
 *
 * SageMaker keeps only the latest approval decision (ApprovalDescription, LastModifiedTime): `history`
 * here holds the registration and that decision; the full trail is CloudTrail's. The deployed version is
 * recorded as tags on the group.
 */
export class SageMakerModelRegistry extends RegistryCore {
  readonly kind = 'sagemaker' as const;
  private readonly client: SageMakerClient;
  private readonly groupArns = new Map<string, string>();

  constructor(options: SageMakerRegistryOptions) {
    super(options);
    this.client = options.client ?? new SageMakerClient({});
  }

  /** The group's ARN, or undefined when it does not exist. */
  private async groupArn(group: string): Promise<string | undefined> {
    const known = this.groupArns.get(group);
    if (known) return known;
    try {
      const described = await this.client.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }));
      this.groupArns.set(group, described.ModelPackageGroupArn!);
      return described.ModelPackageGroupArn!;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private async ensureGroup(group: string): Promise<string> {
    const existing = await this.groupArn(group);
    if (existing) return existing;
    const created = await this.client.send(
      new CreateModelPackageGroupCommand({ ModelPackageGroupName: group, ModelPackageGroupDescription: `Petal model versions: ${group}` }),
    );
    this.groupArns.set(group, created.ModelPackageGroupArn!);
    return created.ModelPackageGroupArn!;
  }

  protected async insert(input: RegisterInput & { approval: ApprovalStatus; by: string }): Promise<ModelPackage> {
    requireS3('artifactUri', input.artifactUri);
    requireS3('evaluationUri', input.evaluationUri);
    await this.ensureGroup(input.group);
    const created = await this.client.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: input.group,
        ...(input.description !== undefined ? { ModelPackageDescription: input.description } : {}),
        ModelApprovalStatus: input.approval,
        InferenceSpecification: {
          Containers: [{ Image: this.image, ModelDataUrl: input.artifactUri }],
          SupportedContentTypes: SUPPORTED_CONTENT_TYPES,
          SupportedResponseMIMETypes: SUPPORTED_RESPONSE_MIME_TYPES,
        },
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: input.evaluationUri } } },
        Domain: 'COMPUTER_VISION',
        Task: 'IMAGE_CLASSIFICATION',
        MetadataProperties: { CommitId: input.gitCommit },
        CustomerMetadataProperties: { ...customerMetadata(input), [REGISTERED_BY]: input.by, [REGISTERED_APPROVAL]: input.approval },
      }),
    );
    return this.describe(created.ModelPackageArn!);
  }

  private async describe(arn: string): Promise<ModelPackage> {
    return toModelPackage(await this.client.send(new DescribeModelPackageCommand({ ModelPackageName: arn })));
  }

  protected async fetch(group: string, version: number): Promise<ModelPackage | undefined> {
    const groupArn = await this.groupArn(group);
    if (!groupArn) return undefined;
    try {
      return await this.describe(modelPackageArn(arnPrefixOfGroup(groupArn), group, version));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  protected async fetchAll(group: string): Promise<ModelPackage[]> {
    if (!(await this.groupArn(group))) return [];
    const arns: string[] = [];
    const pages = paginateListModelPackages(
      { client: this.client },
      { ModelPackageGroupName: group, ModelPackageType: 'Versioned', SortBy: 'CreationTime', SortOrder: 'Ascending' },
    );
    for await (const page of pages) for (const summary of page.ModelPackageSummaryList ?? []) arns.push(summary.ModelPackageArn!);
    // The summaries lack metrics and metadata: describe each, a few at a time.
    const packages: ModelPackage[] = [];
    for (let i = 0; i < arns.length; i += 4) packages.push(...(await Promise.all(arns.slice(i, i + 4).map((arn) => this.describe(arn)))));
    return packages.sort((a, b) => a.version - b.version);
  }

  /** One query instead of describing every version. */
  override async latestApproved(group: string): Promise<ModelPackage | undefined> {
    if (!(await this.groupArn(group))) return undefined;
    const page = await this.client.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        ModelPackageType: 'Versioned',
        ModelApprovalStatus: 'Approved',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
      }),
    );
    const arn = page.ModelPackageSummaryList?.[0]?.ModelPackageArn;
    return arn ? this.describe(arn) : undefined;
  }

  /** SageMaker has no conditional update: the transition is checked on a fresh DescribeModelPackage. */
  protected async applyApproval(group: string, version: number, change: ApprovalChange): Promise<{ before: ModelPackage; after: ModelPackage }> {
    const before = await this.fetch(group, version);
    if (!before) throw new RegistryError('NOT_FOUND', `${group} has no version ${version}`);
    checkTransition(before, change.status);
    await this.client.send(
      new UpdateModelPackageCommand({
        ModelPackageArn: before.arn,
        ModelApprovalStatus: change.status,
        ...(change.reason ? { ApprovalDescription: change.reason } : {}),
        CustomerMetadataProperties: { [DECIDED_BY]: change.by },
      }),
    );
    return { before, after: await this.describe(before.arn) };
  }

  protected async readDeployment(group: string): Promise<DeploymentRecord | undefined> {
    const groupArn = await this.groupArn(group);
    if (!groupArn) return undefined;
    const tags = new Map<string, string>();
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(new ListTagsCommand({ ResourceArn: groupArn, ...(NextToken ? { NextToken } : {}) }));
      for (const tag of page.Tags ?? []) if (tag.Key && tag.Value !== undefined) tags.set(tag.Key, tag.Value);
      NextToken = page.NextToken;
    } while (NextToken);
    const version = Number(tags.get(TAG_DEPLOYED_VERSION));
    if (!Number.isInteger(version) || version < 1) return undefined;
    const previous = Number(tags.get(TAG_PREVIOUS_VERSION));
    return {
      group,
      version,
      arn: modelPackageArn(arnPrefixOfGroup(groupArn), group, version),
      deployedAt: tags.get(TAG_DEPLOYED_AT) ?? '',
      by: tags.get(TAG_DEPLOYED_BY) ?? 'unknown',
      ...(Number.isInteger(previous) && previous > 0 ? { previous } : {}),
    };
  }

  protected async writeDeployment(pkg: ModelPackage, by: string, at: string): Promise<DeploymentRecord> {
    const groupArn = await this.ensureGroup(pkg.group);
    const current = await this.readDeployment(pkg.group);
    const previous = current && current.version !== pkg.version ? current.version : undefined;
    await this.client.send(
      new AddTagsCommand({
        ResourceArn: groupArn,
        Tags: [
          { Key: TAG_DEPLOYED_VERSION, Value: String(pkg.version) },
          { Key: TAG_DEPLOYED_AT, Value: at },
          { Key: TAG_DEPLOYED_BY, Value: by },
          { Key: TAG_PREVIOUS_VERSION, Value: previous === undefined ? '' : String(previous) },
        ],
      }),
    );
    return { group: pkg.group, version: pkg.version, arn: pkg.arn, deployedAt: at, by, ...(previous !== undefined ? { previous } : {}) };
  }
}

/** DescribeModelPackage's answer as a ModelPackage; a package Petal did not register says what it lacks. */
export function toModelPackage(d: DescribeModelPackageCommandOutput): ModelPackage {
  const meta = d.CustomerMetadataProperties ?? {};
  const container = d.InferenceSpecification?.Containers?.[0];
  const approval = approvalStatusSchema.safeParse(d.ModelApprovalStatus);
  if (!d.ModelPackageGroupName || d.ModelPackageVersion === undefined || !container?.ModelDataUrl || !approval.success) {
    throw new Error(`${d.ModelPackageArn} is not a versioned model package with a model artifact and an approval status`);
  }
  const num = (key: string) => Number(meta[key] ?? Number.NaN);
  const createdAt = toIso(d.CreationTime);
  const registeredApproval = approvalStatusSchema.safeParse(meta[REGISTERED_APPROVAL]);
  const history: ModelPackage['history'] = [
    { status: registeredApproval.success ? registeredApproval.data : approval.data, at: createdAt, by: meta[REGISTERED_BY] ?? d.CreatedBy?.UserProfileName ?? 'unknown', reason: 'registered' },
  ];
  // A decision after registration leaves our DECIDED_BY key (or, made elsewhere, a different status).
  if (meta[DECIDED_BY] !== undefined || approval.data !== history[0]!.status) {
    history.push({
      status: approval.data,
      at: toIso(d.LastModifiedTime),
      by: meta[DECIDED_BY] ?? d.LastModifiedBy?.UserProfileName ?? 'unknown',
      ...(d.ApprovalDescription ? { reason: d.ApprovalDescription } : {}),
    });
  }
  return {
    group: d.ModelPackageGroupName,
    version: d.ModelPackageVersion,
    arn: d.ModelPackageArn!,
    artifactUri: container.ModelDataUrl,
    evaluationUri: d.ModelMetrics?.ModelQuality?.Statistics?.S3Uri ?? '',
    metrics: { accuracy: num(METADATA_KEYS.accuracy), macroF1: num(METADATA_KEYS.macroF1), testSize: num(METADATA_KEYS.testSize) },
    dataFingerprint: meta[METADATA_KEYS.dataFingerprint] ?? '',
    gitCommit: meta[METADATA_KEYS.gitCommit] ?? d.MetadataProperties?.CommitId ?? '',
    modelName: meta[METADATA_KEYS.modelName] ?? '',
    modelVersion: meta[METADATA_KEYS.modelVersion] ?? '',
    approval: approval.data,
    createdAt,
    ...(d.ModelPackageDescription !== undefined ? { description: d.ModelPackageDescription } : {}),
    history,
  };
}
