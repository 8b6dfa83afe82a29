/** Small builders for IAM policy documents, so every role's trust and statements read the same way. */

/** One statement of an IAM policy, in IAM's own JSON spelling. */
export interface PolicyStatement {
  /**
   * Statement id: letters and digits only.
   * @default undefined — no Sid
   */
  readonly Sid?: string;
  /** Allow or deny. */
  readonly Effect: "Allow" | "Deny";
  /** Action(s), `service:Action`, wildcards allowed. */
  readonly Action: string | readonly string[];
  /** Resource ARN(s) the actions apply to. */
  readonly Resource: string | readonly string[];
  /**
   * Conditions, operator → key → value(s).
   * @default undefined — unconditional
   */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>>;
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Anything that can be granted permissions: a role, or the statements a role will be built with. The construct that
 * owns a resource grants access to it (`bucket.grantReadWrite(grantee)`, `secrets.grantRead(grantee)`), so no other
 * construct writes policy JSON about it.
 */
export interface Grantee {
  /** Adds one statement to the grantee's identity policy. */
  addToRolePolicy(statement: PolicyStatement): void;
}

/**
 * Grants collected for a role that is created afterwards (a role must be created with its permissions): resources
 * grant to it like to a role, in order, and the role takes `statements`.
 *
 *     const access = new GrantedStatements();
 *     bucket.grantReadWrite(access);
 *     new PodIdentityRole(this, "workloads", { …, statements: access.statements });
 */
export class GrantedStatements implements Grantee {
  private readonly granted: PolicyStatement[] = [];

  addToRolePolicy(statement: PolicyStatement): void {
    this.granted.push(statement);
  }

  /** Everything granted so far, in grant order. */
  get statements(): readonly PolicyStatement[] {
    return [...this.granted];
  }
}

/**
 * Use of a customer-managed key only through one service (`kms:ViaService`), the way a resource encrypted with it
 * needs: the grantee can encrypt and decrypt that resource's data but can't call KMS directly with the key.
 */
export function keyThroughServiceStatement(
  sid: string,
  keyArn: string,
  service: string,
  region: string,
  actions: readonly string[] = ["kms:Decrypt", "kms:GenerateDataKey"],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions.length === 1 ? actions[0]! : [...actions],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": `${service}.${region}.amazonaws.com` } },
  };
}

/** Trust policy letting one AWS service assume the role, optionally only under conditions (e.g. `aws:SourceAccount`). */
export function serviceAssumeRolePolicy(service: string, actions: readonly string[] = ["sts:AssumeRole"], condition?: PolicyStatement["Condition"]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: actions.length === 1 ? actions[0] : [...actions],
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });
}

/** Who may use a Pod Identity role: pods of these service accounts on this cluster of this account. */
export interface PodIdentityTrust {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly clusterName: string;
  readonly serviceAccounts: readonly { readonly namespace: string; readonly name: string }[];
}

/**
 * Trust policy for EKS Pod Identity: the EKS Auth service (`pods.eks.amazonaws.com`) assumes the role and tags the
 * session with the pod's cluster, namespace and service account. One statement per service account, each requiring
 * the cluster's ARN, namespace and service account session tags, so no other cluster, namespace or service account
 * can get the role. Session tag names: awsdocs/amazon-eks-user-guide latest/ug/manage-access/aws-access/pod-id-role.adoc
 * and pod-id-abac.adoc (`eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`).
 *
 * No `aws:SourceAccount`: the EKS user guide documents only the session tags for this trust, and AWS doesn't document
 * that EKS Auth's AssumeRole carries `aws:SourceAccount` (one user report, awslabs/mountpoint-s3-csi-driver#781, says
 * a trust with it worked; another there broke on `aws:SourceArn`). A condition on a key the request lacks denies every
 * pod, so the account is pinned by what is documented instead: EKS Auth sets `eks-cluster-arn`, and that ARN holds
 * this account id, so a cluster of another account never matches. The policy gate (BF-IAM-010) accepts that tag as
 * the source condition of a Pod Identity trust.
 */
export function podIdentityAssumeRolePolicy(trust: PodIdentityTrust): string {
  const clusterArn = `arn:${trust.partition}:eks:${trust.region}:${trust.accountId}:cluster/${trust.clusterName}`;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: trust.serviceAccounts.map((account) => ({
      Sid: podIdentitySid(account),
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:RequestTag/eks-cluster-arn": clusterArn,
          "aws:RequestTag/kubernetes-namespace": account.namespace,
          "aws:RequestTag/kubernetes-service-account": account.name,
        },
      },
    })),
  });
}

/** `PodIdentityMlPlatformControlPlane`: statement ids allow only letters and digits. */
function podIdentitySid(account: { readonly namespace: string; readonly name: string }): string {
  const words = `${account.namespace}-${account.name}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `PodIdentity${words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join("")}`;
}

/** ARN of an AWS managed policy, in the stack's partition. */
export function managedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}
