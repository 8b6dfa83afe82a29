/** Small builders for IAM policy documents, so every role's trust and statements read the same way. */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>>;
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy letting one AWS service assume the role, optionally only under conditions (e.g. `aws:SourceAccount`). */
export function serviceAssumeRolePolicy(service: string, actions: readonly string[] = ["sts:AssumeRole"], condition?: PolicyStatement["Condition"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: service }, Action: actions.length === 1 ? actions[0] : [...actions], ...(condition ? { Condition: condition } : {}) },
    ],
  });
}

/** Trust policy for EKS Pod Identity: the agent assumes the role and tags the session with the pod's identity. */
export function podIdentityAssumeRolePolicy(): string {
  return serviceAssumeRolePolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);
}

/** ARN of an AWS managed policy, in the stack's partition. */
export function managedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}
