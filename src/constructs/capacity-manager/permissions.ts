import { type Grantee, type PolicyStatement, policyDocument } from "../../lib/iam";

/** A statement of a resource policy (queue, topic): it names who it lets in. */
export interface ResourcePolicyStatement extends PolicyStatement {
  /** Who the statement lets in: an AWS service or an AWS principal. */
  readonly Principal: { readonly Service: string } | { readonly AWS: string };
}

/** A queue something can send failed events to. */
export interface FailureDestination {
  /** ARN of the queue, the destination the sender names. */
  readonly queueArn: string;
  /** Lets the grantee send to the queue (and use its key through SQS). */
  grantSend(grantee: Grantee): void;
}

export function resourcePolicyDocument(statements: readonly ResourcePolicyStatement[]): string {
  return policyDocument(statements);
}
