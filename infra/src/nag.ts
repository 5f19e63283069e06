/**
 * Helpers for cdk-nag v3 acknowledgements (`Validations.of(...).acknowledge`). Findings about a resource
 * name it by its logical ID (`<Data666C94C7.Arn>/*`), which CDK derives from the construct path; the
 * helpers compute it instead of copying it, so renaming a construct cannot silently orphan a reason.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** `<LogicalId.Arn>` as cdk-nag writes a reference to a resource's ARN. */
export function arnRef(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).getLogicalId(element)}.Arn>`;
}

/** `<LogicalId>` as cdk-nag writes a reference to a resource (its Ref). */
export function ref(resource: IConstruct): string {
  const element = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).getLogicalId(element)}>`;
}

/** The pseudo-parameter ARN prefix cdk-nag prints (`arn:<AWS::Partition>:<service>:<AWS::Region>:<AWS::AccountId>:`). */
export const arnPrefix = (service: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:`;

/** Acknowledges each IAM5 finding (`Action::…` or `Resource::…`) on a construct with one reason. */
export function acknowledgeIam5(construct: IConstruct, findings: string[], reason: string): void {
  Validations.of(construct).acknowledge(...findings.map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason })));
}
