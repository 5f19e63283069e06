import { RegistryError } from './errors.js';

/** SageMaker's rule for model package group names (also keeps local store keys safe). */
export const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export function checkGroup(group: string): string {
  if (!GROUP_NAME.test(group)) {
    throw new RegistryError('INVALID_INPUT', `"${group}" is not a model package group name (letters, digits and single hyphens, at most 63)`);
  }
  return group;
}

/** The local registry's ARNs: SageMaker's shape under a `petal` partition, so one parser reads both. */
export const LOCAL_ARN_PREFIX = 'arn:petal:sagemaker:local:000000000000';

export function modelPackageArn(prefix: string, group: string, version: number): string {
  return `${prefix}:model-package/${group}/${version}`;
}

export interface ParsedPackageArn {
  partition: string;
  region: string;
  account: string;
  group: string;
  version: number;
}

/** `arn:aws:sagemaker:eu-west-1:123456789012:model-package/flower-classifier/3` → its parts. */
export function parseModelPackageArn(arn: string): ParsedPackageArn {
  const match = /^arn:([a-z-]+):sagemaker:([a-z0-9-]+):(\d{12}):model-package\/([^/]+)\/(\d+)$/.exec(arn);
  if (!match) throw new RegistryError('INVALID_INPUT', `${arn} is not a versioned model package ARN`);
  return { partition: match[1]!, region: match[2]!, account: match[3]!, group: match[4]!, version: Number(match[5]) };
}

/** `…:model-package-group/<group>` → the prefix its versions' ARNs share (`arn:…:<account>`). */
export function arnPrefixOfGroup(groupArn: string): string {
  const match = /^(arn:[a-z-]+:sagemaker:[a-z0-9-]+:\d{12}):model-package-group\/[^/]+$/.exec(groupArn);
  if (!match) throw new Error(`${groupArn} is not a model package group ARN`);
  return match[1]!;
}
