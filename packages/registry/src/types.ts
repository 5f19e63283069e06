import type { ModelPackageStateChangeEvent } from './events.js';

/** SageMaker's approval states, spelled as the API spells them. */
export type ApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['PendingManualApproval', 'Approved', 'Rejected'];

/** One change of a version's approval: the first entry is its registration. */
export interface ApprovalChange {
  status: ApprovalStatus;
  at: string; // ISO time
  by: string;
  reason?: string;
}

/** The test-set numbers a version was registered with (from its evaluation.json). */
export interface PackageMetrics {
  accuracy: number;
  macroF1: number;
  testSize: number;
}

/** One registered model version: SageMaker's versioned model package, as Petal reads it. */
export interface ModelPackage {
  group: string; // model package group, e.g. flower-classifier
  version: number; // 1, 2, … per group, assigned by the registry
  arn: string; // arn:aws:sagemaker:…:model-package/<group>/<version>; locally arn:petal:sagemaker:local:…
  artifactUri: string; // the model.tar.gz (s3:// or file://)
  evaluationUri: string; // its evaluation.json
  metrics: PackageMetrics;
  dataFingerprint: string; // the training data set's fingerprint (manifest dataset.fingerprint)
  gitCommit: string;
  modelName: string; // the artifact's own name and version (manifest), e.g. flower-classifier 1.0.0
  modelVersion: string;
  approval: ApprovalStatus;
  createdAt: string;
  description?: string;
  history: ApprovalChange[];
}

/** What the pipeline's RegisterModel step (or a person) hands the registry. */
export interface RegisterInput {
  group: string;
  artifactUri: string;
  evaluationUri: string;
  metrics: PackageMetrics;
  dataFingerprint: string;
  gitCommit: string;
  modelName: string;
  modelVersion: string;
  /** Default PendingManualApproval, as in SageMaker. */
  approval?: ApprovalStatus;
  description?: string;
  by?: string;
}

/** Which version of a group the endpoint serves, as the registry last recorded it. */
export interface DeploymentRecord {
  group: string;
  version: number;
  arn: string;
  deployedAt: string;
  by: string;
  /** The version it replaced, if any. */
  previous?: number;
}

/** What rejecting the deployed version did about the endpoint. */
export interface RollbackReport {
  from: number;
  /** The approved version rolled back to (or that would be, when no deployer was there). */
  to?: number;
  deployed: boolean;
  message: string;
}

export interface ApprovalResult {
  package: ModelPackage;
  previous: ApprovalStatus;
  event: ModelPackageStateChangeEvent;
  rollback?: RollbackReport;
  /** Handlers (or the hook command) that failed; the change itself is recorded regardless. */
  warnings: string[];
  /** One line for a person: what happened. */
  message: string;
}

export type StateChangeHandler = (event: ModelPackageStateChangeEvent) => void | Promise<void>;

/**
 * The model registry: SageMaker Model Registry semantics, locally (`LocalModelRegistry`, in the artifact
 * store) or on AWS (`SageMakerModelRegistry`).
 *
 * - Versions are numbered per group, 1, 2, …, never reused, even by concurrent registrations.
 * - Approval moves PendingManualApproval → Approved | Rejected, and between Approved and Rejected; never back
 *   to pending, never to the status it already has (`RegistryError` INVALID_TRANSITION).
 * - Every registration and approval change emits a `SageMaker Model Package State Change` event to
 *   `onStateChange` handlers (and, locally, the `PETAL_REGISTRY_HOOK` command) after it is recorded.
 * - Rejecting the deployed version rolls back to the latest other approved version through the Deployer the
 *   registry was given, and the result says so.
 * - Only an Approved version can be recorded as deployed.
 */
export interface ModelRegistry {
  readonly kind: 'local' | 'sagemaker';
  register(input: RegisterInput): Promise<ModelPackage>;
  /** Every version of the group, oldest first; [] for an unknown group. */
  list(group: string): Promise<ModelPackage[]>;
  /** Throws `RegistryError` NOT_FOUND for an unknown version. */
  get(group: string, version: number): Promise<ModelPackage>;
  setApproval(group: string, version: number, status: ApprovalStatus, options?: { reason?: string; by?: string }): Promise<ApprovalResult>;
  /** The highest Approved version, if any. */
  latestApproved(group: string): Promise<ModelPackage | undefined>;
  deployed(group: string): Promise<DeploymentRecord | undefined>;
  recordDeployment(group: string, version: number, options?: { by?: string }): Promise<DeploymentRecord>;
  /** Adds a handler; returns the function that removes it. */
  onStateChange(handler: StateChangeHandler): () => void;
}

/** What a Deployer says about one deployment. */
export interface DeployOutcome {
  deployed: boolean;
  message: string;
  /** Set when the new version failed (smoke test, alarm) and the deployer put this one back. */
  rolledBackTo?: { group: string; version: number };
}

/**
 * Puts a registered version onto the endpoint (`@petal/deploy` implements it, locally and on SageMaker).
 * Declared here, where the registry needs it, so the deploy package depends on the registry and not back.
 */
export interface Deployer {
  deploy(pkg: ModelPackage): Promise<DeployOutcome>;
  /** What the endpoint serves now, when it can tell. */
  current(): Promise<{ group: string; version: number } | undefined>;
}

/** A Deployer, or a way to get one when it is first needed (so commands that never deploy never load it). */
export type DeployerSource = Deployer | (() => Promise<Deployer>);
