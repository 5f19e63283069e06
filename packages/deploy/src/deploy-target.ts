/**
 * What a deploy takes and answers, in the registry's terms. `@petal/registry` declares the `Deployer`
 * seam (it loads this package by name, so the dependency runs this way only); a deploy reads only the
 * fields below of its `ModelPackage`, so tests and scripts can deploy a plain `{group, version,
 * artifactUri}`.
 */
import type { DeployOutcome, ModelPackage } from '@petal/registry';

export type { Deployer, DeployOutcome } from '@petal/registry';

/** A registered version as a deploy reads it: identity, artifact and (when known) its evaluation.json, whose mistakes the smoke set leaves out. */
export type DeployablePackage = Pick<ModelPackage, 'group' | 'version' | 'artifactUri'> & Partial<Pick<ModelPackage, 'evaluationUri'>>;

/** A registered identity, as the registry numbers it. */
export type RegisteredIdentity = NonNullable<DeployOutcome['rolledBackTo']>;

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
