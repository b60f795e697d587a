import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag findings on a construct (and so on every resource below it): the rule
 * with each thing it is about (`AwsSolutions-IAM5[Resource::*]`), or the rule alone.
 */
export function acknowledgeFindings(scope: IConstruct, rule: string, about: string[], reason: string): void {
  for (const id of about.length > 0 ? about.map((a) => `${rule}[${a}]`) : [rule])
    Validations.of(scope).acknowledge({ id, reason });
}

/** How cdk-nag names a resource's ARN in a finding: `<LogicalId.Arn>`. */
export function arnOf(resource: IConstruct): string {
  return `<${Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;
}

/** The action families the CDK's grant methods use (s3:GetObject*, kms:GenerateDataKey*, …). */
export const grantFamilies = [
  'Action::s3:GetObject*',
  'Action::s3:GetBucket*',
  'Action::s3:List*',
  'Action::s3:DeleteObject*',
  'Action::s3:Abort*',
  'Action::kms:ReEncrypt*',
  'Action::kms:GenerateDataKey*',
];
