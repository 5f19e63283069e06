import { openStore, type ArtifactStore } from '@petal/store';
import { LOCAL_ARN_PREFIX, modelPackageArn } from './arn.js';
import { RegistryError } from './errors.js';
import { RegistryCore, checkTransition, type RegistryOptions } from './registry-core.js';
import { deploymentRecordSchema, modelPackageSchema } from './schema.js';
import type { ApprovalChange, ApprovalStatus, DeploymentRecord, ModelPackage, RegisterInput } from './types.js';

/**
 * The registry in the artifact store (file:// or s3://, whichever `PETAL_STORE` names):
 *
 *   registry/<group>/versions/<version>.json   one ModelPackage each (modelPackageSchema)
 *   registry/<group>/deployment.json           the deployed version (deploymentRecordSchema)
 *   .locks/registry-<group>.lock               held while a version number is assigned or a record changes
 *
 * Every read-modify-write runs under the group's store lock, so concurrent processes never get the same
 * version number or lose an approval.
 */
export class LocalModelRegistry extends RegistryCore {
  readonly kind = 'local' as const;

  constructor(
    readonly store: ArtifactStore = openStore(),
    options: RegistryOptions = {},
  ) {
    super(options);
  }

  private versionsPrefix(group: string): string {
    return `registry/${group}/versions/`;
  }

  private versionKey(group: string, version: number): string {
    return `${this.versionsPrefix(group)}${version}.json`;
  }

  private lock<T>(group: string, fn: () => Promise<T>): Promise<T> {
    return this.store.withLock(`registry-${group}`, fn);
  }

  private async versionNumbers(group: string): Promise<number[]> {
    const prefix = this.versionsPrefix(group);
    return (await this.store.list(prefix))
      .map((key) => /^(\d+)\.json$/.exec(key.slice(prefix.length))?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  protected insert(input: RegisterInput & { approval: ApprovalStatus; by: string }, at: string): Promise<ModelPackage> {
    return this.lock(input.group, async () => {
      const version = ((await this.versionNumbers(input.group)).at(-1) ?? 0) + 1;
      const pkg: ModelPackage = {
        group: input.group,
        version,
        arn: modelPackageArn(LOCAL_ARN_PREFIX, input.group, version),
        artifactUri: input.artifactUri,
        evaluationUri: input.evaluationUri,
        metrics: input.metrics,
        dataFingerprint: input.dataFingerprint,
        gitCommit: input.gitCommit,
        modelName: input.modelName,
        modelVersion: input.modelVersion,
        approval: input.approval,
        createdAt: at,
        ...(input.description !== undefined ? { description: input.description } : {}),
        history: [{ status: input.approval, at, by: input.by, reason: 'registered' }],
      };
      await this.store.writeJson(this.versionKey(input.group, version), pkg);
      return pkg;
    });
  }

  protected async fetchAll(group: string): Promise<ModelPackage[]> {
    const versions = await this.versionNumbers(group);
    const packages = await Promise.all(versions.map((v) => this.fetch(group, v)));
    return packages.filter((p): p is ModelPackage => p !== undefined);
  }

  protected fetch(group: string, version: number): Promise<ModelPackage | undefined> {
    return this.store.readJson(this.versionKey(group, version), modelPackageSchema);
  }

  protected applyApproval(group: string, version: number, change: ApprovalChange): Promise<{ before: ModelPackage; after: ModelPackage }> {
    return this.lock(group, async () => {
      const before = await this.fetch(group, version);
      if (!before) throw new RegistryError('NOT_FOUND', `${group} has no version ${version}`);
      checkTransition(before, change.status); // on the state read under the lock, not an earlier one
      const after: ModelPackage = { ...before, approval: change.status, history: [...before.history, change] };
      await this.store.writeJson(this.versionKey(group, version), after);
      return { before, after };
    });
  }

  protected readDeployment(group: string): Promise<DeploymentRecord | undefined> {
    return this.store.readJson(`registry/${group}/deployment.json`, deploymentRecordSchema);
  }

  protected writeDeployment(pkg: ModelPackage, by: string, at: string): Promise<DeploymentRecord> {
    return this.lock(pkg.group, async () => {
      const previous = await this.readDeployment(pkg.group);
      const record: DeploymentRecord = {
        group: pkg.group,
        version: pkg.version,
        arn: pkg.arn,
        deployedAt: at,
        by,
        ...(previous && previous.version !== pkg.version ? { previous: previous.version } : {}),
      };
      await this.store.writeJson(`registry/${pkg.group}/deployment.json`, record);
      return record;
    });
  }
}
