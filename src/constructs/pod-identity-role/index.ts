import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { type ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { type PolicyStatement, podIdentityAssumeRolePolicy, policyDocument } from "../../lib/iam";
import { addressAt, movedFrom } from "../../lib/moves";
import { checkedName } from "../../lib/naming";

/** A Kubernetes service account, by namespace and name. */
export interface ServiceAccountRef {
  /** The service account's namespace. */
  readonly namespace: string;
  /** The service account's name. */
  readonly name: string;
}

/** Addresses an earlier version gave a PodIdentityRole's resources, to move their state from. */
export interface PodIdentityRolePreviousAddresses {
  /** The IAM role. */
  readonly role: string;
  /** The inline policy (only when the role has statements). */
  readonly policy?: string;
  /** Pod identity associations by `<namespace>/<service account>`. */
  readonly associations?: Readonly<Record<string, string>>;
}

export interface PodIdentityRoleProps {
  /** The EKS cluster the pod identity associations are made on; the only cluster whose pods may assume the role. */
  readonly clusterName: string;
  /** Account, partition and region of the cluster: the trust policy names the cluster's ARN and account. */
  readonly aws: Pick<AwsContext, "accountId" | "partition" | "region">;
  /** Physical role name. */
  readonly roleName: string;
  /**
   * Role description.
   * @default undefined — none
   */
  readonly description?: string;
  /**
   * Name of the inline policy holding `statements`.
   * @default "permissions"
   */
  readonly policyName?: string;
  /** Service accounts whose pods get the role through EKS Pod Identity; the trust policy admits these only. */
  readonly serviceAccounts: readonly ServiceAccountRef[];
  /**
   * Inline permissions.
   * @default [] — none
   */
  readonly statements?: readonly PolicyStatement[];
  /**
   * AWS managed policies to attach, by ARN.
   * @default []
   */
  readonly managedPolicyArns?: readonly string[];
  /**
   * Create the pod identity associations. Off when an EKS add-on associates the role itself.
   * @default true
   */
  readonly associate?: boolean;
}

/**
 * An IAM role that pods assume through EKS Pod Identity (trust `pods.eks.amazonaws.com`, AssumeRole + TagSession,
 * only for this cluster and these service accounts),
 * its permissions, and one association per service account. The association may precede the service account.
 */
export class PodIdentityRole extends Construct {
  readonly roleArn: string;
  readonly roleName: string;
  /** The permissions and associations: what a pod needs before it can use the role (e.g. a Helm release waits on them). */
  readonly grants: readonly ITerraformDependable[];
  private readonly role: IamRole;
  private readonly policy?: IamRolePolicy;
  private readonly associations = new Map<string, EksPodIdentityAssociation>();

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    const statements = props.statements ?? [];
    const managedPolicyArns = props.managedPolicyArns ?? [];
    const associate = props.associate ?? true;
    const policyName = props.policyName ?? "permissions";
    if (props.serviceAccounts.length === 0) {
      throw new Error(`pod identity role "${props.roleName}": serviceAccounts must name at least one service account, got []`);
    }
    if (statements.length === 0 && managedPolicyArns.length === 0) {
      throw new Error(`pod identity role "${props.roleName}": give it statements or managedPolicyArns, got neither`);
    }
    const role = new IamRole(this, "role", {
      name: checkedName("aws_iam_role.name", props.roleName),
      description: props.description,
      assumeRolePolicy: podIdentityAssumeRolePolicy({ ...props.aws, clusterName: props.clusterName, serviceAccounts: props.serviceAccounts }),
    });
    this.role = role;
    const grants: ITerraformDependable[] = [];
    if (statements.length > 0) {
      this.policy = new IamRolePolicy(this, "policy", { role: role.id, name: policyName, policy: policyDocument(statements) });
      grants.push(this.policy);
    }
    managedPolicyArns.forEach((policyArn, index) => {
      // Keyed by the policy's name (the ARN's last part), so removing one never replaces the others.
      const policyName = policyArn.split("/").pop() ?? "";
      if (policyName === "" || Token.isUnresolved(policyName)) {
        throw new Error(`pod identity role "${props.roleName}": managedPolicyArns must end in a literal policy name, got "${policyArn}"`);
      }
      const attachment = new IamRolePolicyAttachment(this, `managed-policy-${policyName}`, { role: role.name, policyArn });
      // Up to 0.1 these were keyed by position.
      movedFrom(attachment, addressAt(attachment.terraformResourceType, this, `managed-policy-${index}`));
      grants.push(attachment);
    });
    if (associate) {
      for (const account of props.serviceAccounts) {
        const association = new EksPodIdentityAssociation(this, `association-${account.namespace}-${account.name}`, {
          clusterName: props.clusterName,
          namespace: account.namespace,
          serviceAccount: account.name,
          roleArn: role.arn,
        });
        this.associations.set(`${account.namespace}/${account.name}`, association);
        grants.push(association);
      }
    }
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.grants = grants;
  }

  /**
   * Moves state from the addresses an earlier version gave these resources, so a refactor that wraps existing
   * resources in this construct doesn't replace them (see src/lib/moves.ts).
   */
  movedFrom(previous: PodIdentityRolePreviousAddresses): void {
    movedFrom(this.role, previous.role);
    if (previous.policy !== undefined) {
      if (!this.policy) throw new Error(`pod identity role "${this.node.path}": previous.policy given, but the role has no inline policy`);
      movedFrom(this.policy, previous.policy);
    }
    for (const [account, address] of Object.entries(previous.associations ?? {})) {
      const association = this.associations.get(account);
      if (!association) throw new Error(`pod identity role "${this.node.path}": no association for service account "${account}" to move "${address}" to`);
      movedFrom(association, address);
    }
  }
}
