/**
 * The shapes this package deploys and answers with. `@petal/registry` owns them (its `ModelPackage` and
 * `Deployer`); until it is committed they are declared here structurally, with only the fields a deploy
 * reads, so the registry's richer types are assignable to them without an import cycle.
 */

/** A registered model version: the identity the registry gave it and where its artifact lives. */
export interface DeployablePackage {
  /** The model package group, e.g. `flower-classifier`; becomes the served model's name. */
  group: string;
  /** The registry's version number within the group (1, 2, …); becomes the served model's version. */
  version: number;
  /** `file://…` or `s3://…`: a model directory or `model.tar.gz`. */
  artifactUri: string;
}

/** A registered identity, as the registry numbers it. */
export interface RegisteredIdentity {
  group: string;
  version: number;
}

export interface DeployResult {
  deployed: boolean;
  /** One line a person reads: what serves now and, when the deploy failed, why. */
  message: string;
  /** Set when the new version was taken out again and an older registered version serves. */
  rolledBackTo?: RegisteredIdentity;
}

export interface Deployer {
  deploy(pkg: DeployablePackage): Promise<DeployResult>;
  /** The registered version the target serves now; undefined when it serves none (or a model the registry did not number). */
  current(): Promise<RegisteredIdentity | undefined>;
}

/**
 * The served identity of a registered version: name = group, version = the registry's number as a
 * string (the wire contract's `model.version` is a string).
 */
export function servedIdentity(pkg: RegisteredIdentity): { name: string; version: string } {
  return { name: pkg.group, version: String(pkg.version) };
}

/** Reads a served `{name, version}` back as a registered identity; undefined when the version is not a registry number (e.g. the shipped `1.0.0`). */
export function registeredIdentity(served: { name: string; version: string } | null | undefined): RegisteredIdentity | undefined {
  if (!served || !/^[1-9]\d*$/.test(served.version)) return undefined;
  return { group: served.name, version: Number(served.version) };
}
