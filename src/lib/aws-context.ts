import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";

/** Account, partition and region of the stack a construct lives in, as Terraform expressions. */
export interface AwsContext {
  /** The 12-digit id of the account Terraform runs in. */
  readonly accountId: string;
  /** ARN of the identity running Terraform (an assumed-role session ARN when a role is assumed). */
  readonly callerArn: string;
  /** ARN partition: `aws`, `aws-cn` or `aws-us-gov`. */
  readonly partition: string;
  /** The stack's region, e.g. `us-east-1`. */
  readonly region: string;
}

const contexts = new WeakMap<TerraformStack, AwsContext>();

/**
 * One caller-identity and partition data source per stack, shared by every construct that builds ARNs, so ARNs
 * are never hard-coded to the commercial partition and the plan shows a single lookup.
 */
export function awsContext(scope: IConstruct, region: string): AwsContext {
  const stack = TerraformStack.of(scope);
  const existing = contexts.get(stack);
  if (existing) return existing;
  const identity = new DataAwsCallerIdentity(stack, "caller-identity");
  const partition = new DataAwsPartition(stack, "partition");
  const context = { accountId: identity.accountId, callerArn: identity.arn, partition: partition.partition, region };
  contexts.set(stack, context);
  return context;
}
