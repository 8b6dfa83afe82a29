import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { type Grantee, keyThroughServiceStatement } from "../../lib/iam";
import { checkedName } from "../../lib/naming";

export interface KmsKeyProps {
  /** Alias without the `alias/` prefix. */
  readonly aliasName: string;
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /** Account, partition and region the key policy names. */
  readonly aws: AwsContext;
  /**
   * Service principals (e.g. `logs.<region>.amazonaws.com`) allowed to use the key for encryption, scoped to this
   * account. CloudWatch Logs is scoped by the `kms:EncryptionContext:aws:logs:arn` it sends (log groups of this account
   * and region), as its documentation prescribes; other services by `aws:SourceAccount`.
   * @default [] — only the account's IAM policies grant use
   */
  readonly servicePrincipals?: readonly string[];
  /**
   * Days before a scheduled deletion completes; the longest window gives the most time to notice a mistake.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
  /**
   * Only these principals may encrypt and decrypt with the key, and only through `viaService` when given; the
   * account's IAM policies still administer the key (policy, rotation, deletion) but can't use it.
   * @default undefined — the account's IAM policies grant every use (account root `kms:*`)
   */
  readonly restrictUseTo?: {
    /** Principals (role ARNs) that may use the key. */
    readonly principalArns: readonly string[];
    /**
     * The only service they may use it through (`kms:ViaService`, e.g. `secretsmanager.us-east-1.amazonaws.com`).
     * @default undefined — any use, directly or through any service
     */
    readonly viaService?: string;
  };
}

/** Cryptographic operations: what a restricted key keeps from the account's IAM policies. */
const CRYPTO_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"] as const;

/** Everything but cryptographic use: managing the key, its policy, aliases, grants review, rotation and deletion. */
const ADMINISTRATION_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
] as const;

/** CloudWatch Logs' regional service principal; it calls KMS with the log group's ARN as encryption context. */
const CLOUDWATCH_LOGS_PRINCIPAL = /^logs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** A customer-managed key with rotation on, an alias, and a key policy that names who may use it. */
export class EncryptionKey extends Construct {
  readonly keyArn: string;
  readonly keyId: string;
  private readonly statements: object[];
  private readonly region: string;

  constructor(scope: Construct, id: string, props: KmsKeyProps) {
    super(scope, id);
    const servicePrincipals = props.servicePrincipals ?? [];
    const deletionWindowInDays = props.deletionWindowInDays ?? 30;
    if (deletionWindowInDays < 7 || deletionWindowInDays > 30) {
      throw new Error(`kms key "${props.aliasName}": deletionWindowInDays must be 7-30, got ${deletionWindowInDays}`);
    }
    const { accountId, partition } = props.aws;
    const restrictUseTo = props.restrictUseTo;
    if (restrictUseTo !== undefined && restrictUseTo.principalArns.length === 0) {
      throw new Error(`kms key "${props.aliasName}": restrictUseTo.principalArns must name at least one principal, got []`);
    }
    this.statements = [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: restrictUseTo ? [...ADMINISTRATION_ACTIONS] : "kms:*",
        Resource: "*",
      },
    ];
    const statements = this.statements;
    if (restrictUseTo) {
      statements.push({
        Sid: "OnlyTheseUseTheKey",
        Effect: "Allow",
        Principal: { AWS: [...restrictUseTo.principalArns] },
        Action: [...CRYPTO_ACTIONS, "kms:DescribeKey"],
        Resource: "*",
        ...(restrictUseTo.viaService ? { Condition: { StringEquals: { "kms:ViaService": restrictUseTo.viaService } } } : {}),
      });
    }
    const serviceActions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"];
    const logsPrincipals = servicePrincipals.filter((principal) => CLOUDWATCH_LOGS_PRINCIPAL.test(principal));
    const otherPrincipals = servicePrincipals.filter((principal) => !CLOUDWATCH_LOGS_PRINCIPAL.test(principal));
    if (logsPrincipals.length > 0) {
      statements.push({
        Sid: "CloudWatchLogsEncrypt",
        Effect: "Allow",
        Principal: { Service: logsPrincipals },
        Action: serviceActions,
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${props.aws.region}:${accountId}:log-group:*` } },
      });
    }
    if (otherPrincipals.length > 0) {
      statements.push({
        Sid: "ServicesEncrypt",
        Effect: "Allow",
        Principal: { Service: otherPrincipals },
        Action: serviceActions,
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      });
    }
    const key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays,
      // Lazy: owners add statements after the principals they name exist (denyUseThroughServiceExcept).
      policy: Lazy.stringValue({ produce: () => JSON.stringify({ Version: "2012-10-17", Statement: this.statements }) }),
      lifecycle: { preventDestroy: true },
    });
    new KmsAlias(this, "alias", { name: checkedName("aws_kms_alias.name", `alias/${props.aliasName}`), targetKeyId: key.keyId });
    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.region = props.aws.region;
  }

  /**
   * Lets the grantee decrypt and generate data keys with this key, only through `service` in the key's region (what
   * a resource encrypted with the key needs): never a direct KMS call with it.
   */
  grantUseThrough(grantee: Grantee, grant: { readonly sid: string; readonly service: string }): void {
    grantee.addToRolePolicy(keyThroughServiceStatement(grant.sid, this.keyArn, grant.service, this.region));
  }

  /**
   * Denies the key's cryptographic use through one service (`kms:ViaService`, e.g. `dynamodb.<region>.amazonaws.com`)
   * to every principal but these, whatever their identity policies say. AWS services acting on their own behalf
   * (`aws:PrincipalIsAWSService`, e.g. DynamoDB's backups through its grant) are not denied.
   */
  denyUseThroughServiceExcept(sid: string, viaService: string, principalArns: readonly string[]): void {
    if (principalArns.length === 0) throw new Error(`kms key: denyUseThroughServiceExcept("${sid}") needs at least one principal, got []`);
    this.statements.push({
      Sid: sid,
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": viaService },
        ArnNotEquals: { "aws:PrincipalArn": [...principalArns] },
        Bool: { "aws:PrincipalIsAWSService": "false" },
      },
    });
  }
}
