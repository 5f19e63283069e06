import { defaultActor } from './actor.js';
import { checkGroup } from './arn.js';
import { RegistryError } from './errors.js';
import { stateChangeEvent, type ModelPackageStateChangeEvent } from './events.js';
import { parseRegisterInput } from './schema.js';
import type {
  ApprovalChange,
  ApprovalResult,
  ApprovalStatus,
  Deployer,
  DeployerSource,
  DeploymentRecord,
  ModelPackage,
  ModelRegistry,
  RegisterInput,
  RollbackReport,
  StateChangeHandler,
} from './types.js';

export interface RegistryOptions {
  /** Used to roll back when the deployed version is rejected. */
  deployer?: DeployerSource;
  /** Handlers added at once (e.g. `hookFromEnv()`). */
  handlers?: StateChangeHandler[];
  /** The inference image events and SageMaker packages name (the endpoint's image). */
  image?: string;
  /** Who acts when a call does not say (default `PETAL_USER` or the login name). */
  actor?: string;
  /** Where handler failures are reported besides the result's warnings (default stderr). */
  onWarning?: (message: string) => void;
}

export const DEFAULT_IMAGE = 'petal-endpoint:latest';

/** Refuses what SageMaker's semantics (as Petal uses them) do not allow; see `ModelRegistry`. */
export function checkTransition(pkg: ModelPackage, to: ApprovalStatus): void {
  if (pkg.approval === to) {
    throw new RegistryError('INVALID_TRANSITION', `${pkg.group} version ${pkg.version} is already ${to}`);
  }
  if (to === 'PendingManualApproval') {
    throw new RegistryError(
      'INVALID_TRANSITION',
      `${pkg.group} version ${pkg.version} was already decided (${pkg.approval}): it cannot go back to PendingManualApproval; approve or reject it`,
    );
  }
}

/**
 * What both registries share: input checks, transitions, events, rollback. A backend supplies storage:
 * assigning versions, reading packages, applying one approval change, and the deployment record.
 */
export abstract class RegistryCore implements ModelRegistry {
  abstract readonly kind: 'local' | 'sagemaker';
  private readonly handlers = new Set<StateChangeHandler>();
  private deployerSource: DeployerSource | undefined;
  protected readonly image: string;
  private readonly actor: string | undefined;
  private readonly onWarning: (message: string) => void;

  constructor(options: RegistryOptions = {}) {
    this.deployerSource = options.deployer;
    this.image = options.image ?? DEFAULT_IMAGE;
    this.actor = options.actor;
    this.onWarning = options.onWarning ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    for (const handler of options.handlers ?? []) this.handlers.add(handler);
  }

  /** Creates the version (number assigned by the backend, never reused). */
  protected abstract insert(input: RegisterInput & { approval: ApprovalStatus; by: string }, at: string): Promise<ModelPackage>;
  protected abstract fetchAll(group: string): Promise<ModelPackage[]>;
  protected abstract fetch(group: string, version: number): Promise<ModelPackage | undefined>;
  /** Applies one change atomically with respect to other writers; must call `checkTransition` on the current state. */
  protected abstract applyApproval(group: string, version: number, change: ApprovalChange): Promise<{ before: ModelPackage; after: ModelPackage }>;
  protected abstract readDeployment(group: string): Promise<DeploymentRecord | undefined>;
  protected abstract writeDeployment(pkg: ModelPackage, by: string, at: string): Promise<DeploymentRecord>;

  protected by(explicit?: string): string {
    return explicit ?? this.actor ?? defaultActor();
  }

  onStateChange(handler: StateChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async register(raw: RegisterInput): Promise<ModelPackage> {
    const input = parseRegisterInput(raw);
    const pkg = await this.insert({ ...input, approval: input.approval ?? 'PendingManualApproval', by: this.by(input.by) }, new Date().toISOString());
    await this.emit(pkg); // SageMaker emits a state change for a new package too
    return pkg;
  }

  list(group: string): Promise<ModelPackage[]> {
    return this.fetchAll(checkGroup(group));
  }

  async get(group: string, version: number): Promise<ModelPackage> {
    if (!Number.isInteger(version) || version < 1) throw new RegistryError('INVALID_INPUT', `"${version}" is not a version number (1, 2, …)`);
    const pkg = await this.fetch(checkGroup(group), version);
    if (!pkg) {
      const known = (await this.fetchAll(group)).map((p) => p.version);
      throw new RegistryError(
        'NOT_FOUND',
        `${group} has no version ${version}${known.length ? ` (versions: ${known.join(', ')})` : ' (no versions registered)'}`,
      );
    }
    return pkg;
  }

  async latestApproved(group: string): Promise<ModelPackage | undefined> {
    return (await this.list(group)).filter((p) => p.approval === 'Approved').at(-1);
  }

  deployed(group: string): Promise<DeploymentRecord | undefined> {
    return this.readDeployment(checkGroup(group));
  }

  async recordDeployment(group: string, version: number, options: { by?: string } = {}): Promise<DeploymentRecord> {
    const pkg = await this.get(group, version);
    if (pkg.approval !== 'Approved') {
      throw new RegistryError('NOT_APPROVED', `${group} version ${version} is ${pkg.approval}: only an Approved version can be deployed`);
    }
    return this.writeDeployment(pkg, this.by(options.by), new Date().toISOString());
  }

  async setApproval(group: string, version: number, status: ApprovalStatus, options: { reason?: string; by?: string } = {}): Promise<ApprovalResult> {
    await this.get(group, version); // a clear NOT_FOUND before anything else
    const change: ApprovalChange = { status, at: new Date().toISOString(), by: this.by(options.by), ...(options.reason ? { reason: options.reason } : {}) };
    const { before, after } = await this.applyApproval(group, version, change);
    const { event, warnings } = await this.emit(after);
    let message = `${group} version ${version}: ${before.approval} → ${after.approval}`;
    let rollback: RollbackReport | undefined;
    if (status === 'Rejected') {
      const deployment = await this.readDeployment(group);
      if (deployment?.version === version) {
        rollback = await this.rollBack(group, version);
        message += `; it was deployed: ${rollback.message}`;
      }
    }
    return { package: after, previous: before.approval, event, ...(rollback ? { rollback } : {}), warnings, message };
  }

  /** Puts back the latest other approved version after the deployed one was rejected. */
  private async rollBack(group: string, from: number): Promise<RollbackReport> {
    const target = (await this.list(group)).filter((p) => p.approval === 'Approved' && p.version !== from).at(-1);
    if (!target) {
      return { from, deployed: false, message: `no other approved version to roll back to: version ${from} still serves` };
    }
    let deployer: Deployer;
    try {
      deployer = await this.resolveDeployer();
    } catch (err) {
      return {
        from,
        to: target.version,
        deployed: false,
        message: `could not roll back to version ${target.version} (${(err as Error).message}): version ${from} still serves`,
      };
    }
    const outcome = await deployer.deploy(target);
    if (!outcome.deployed) {
      return { from, to: target.version, deployed: false, message: `rolling back to version ${target.version} failed: ${outcome.message}` };
    }
    await this.writeDeployment(target, this.by(), new Date().toISOString());
    return { from, to: target.version, deployed: true, message: `rolled back to version ${target.version} (${outcome.message})` };
  }

  private async resolveDeployer(): Promise<Deployer> {
    const source = this.deployerSource;
    if (!source) throw new RegistryError('NO_DEPLOYER', 'no deployer configured');
    if (typeof source === 'function') this.deployerSource = await source(); // load once
    return this.deployerSource as Deployer;
  }

  /** Runs every handler in turn after the change is recorded; a failing one is a warning, not a lost change. */
  private async emit(pkg: ModelPackage): Promise<{ event: ModelPackageStateChangeEvent; warnings: string[] }> {
    const event = stateChangeEvent(pkg, { image: this.image });
    const warnings: string[] = [];
    for (const handler of this.handlers) {
      try {
        await handler(event);
      } catch (err) {
        const warning = `a state-change handler failed for ${pkg.group} version ${pkg.version} (${pkg.approval}; the change is recorded): ${(err as Error).message}`;
        warnings.push(warning);
        this.onWarning(warning);
      }
    }
    return { event, warnings };
  }
}
