import { policyDocument, type PolicyStatement } from "../../lib/iam";

/** Anything that can be granted permissions: a function's role. Resources grant, callers don't write policy JSON. */
export interface Grantee {
  addToRolePolicy(statement: PolicyStatement): void;
}

/**
 * Use of a customer-managed key only through one service (`kms:ViaService`), the way a resource encrypted with it
 * needs: the grantee can encrypt and decrypt that resource's data but can't call KMS directly with the key.
 */
export function keyViaServiceStatement(sid: string, keyArn: string, service: string, region: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": `${service}.${region}.amazonaws.com` } },
  };
}

/** A statement of a resource policy (queue, topic): it names who it lets in. */
export interface ResourcePolicyStatement extends PolicyStatement {
  readonly Principal: { readonly Service: string } | { readonly AWS: string };
}

/** A queue something can send failed events to. */
export interface FailureDestination {
  readonly queueArn: string;
  grantSend(grantee: Grantee): void;
}

export function resourcePolicyDocument(statements: readonly ResourcePolicyStatement[]): string {
  return policyDocument(statements);
}
