import { statementsOfDocument } from "../iam-documents";
import { firstBlock, isJsonObject, type JsonValue, stringList, type TerraformBlock } from "../model";
import { accountOfPrincipal, principalsOf } from "../principals";
import type { Workspace } from "../workspace";
import { asNumber, hasValue, isTrue, type Rule, resourceRule } from "./rule";

/** True when a statement's principal is everyone (`"*"` or `{"AWS": "*"}`). */
export function isPublicPrincipal(principal: JsonValue | undefined): boolean {
  if (principal === "*") return true;
  if (!isJsonObject(principal)) return false;
  return Object.values(principal).some((value) => stringList(value).includes("*"));
}

/** Resource policies of these owner types must not allow `*` principals. */
function publicPrincipalRule(id: string, checkovId: string, service: string, ownerTypes: readonly string[]): Rule {
  return {
    id,
    checkovId,
    title: `${service} policies without * principals`,
    fix: "name the principals (service principals with aws:SourceArn, or account/role ARNs) instead of *",
    check: ({ policies }) =>
      policies
        .filter((source) => ownerTypes.includes(source.owner.type) && source.document)
        .flatMap((source) =>
          statementsOfDocument(source.document!)
            .map((statement, index) => ({ statement, index }))
            .filter(({ statement }) => statement["Effect"] === "Allow" && isPublicPrincipal(statement["Principal"]))
            .map(({ statement, index }) => ({
              ruleId: id,
              address: source.owner.address,
              message: `statement ${JSON.stringify(statement["Sid"] ?? index)} allows ${JSON.stringify(statement["Action"] ?? statement["NotAction"])} to any principal (*)`,
            })),
        ),
  };
}

/** Resource policies of these owner types must not allow principals of another account (a deliberate share is waived). */
function crossAccountPrincipalRule(id: string, checkovId: string, service: string, ownerTypes: readonly string[]): Rule {
  return {
    id,
    checkovId,
    title: `${service} policies without principals of another account`,
    fix: "name principals of this account only; share across accounts deliberately and waive the finding with the agreement",
    check: ({ policies, workspace }) =>
      policies
        .filter((source) => ownerTypes.includes(source.owner.type) && source.document)
        .flatMap((source) => {
          const own = workspace.account(source.owner.stack);
          return statementsOfDocument(source.document!).flatMap((statement, index) => {
            if (statement["Effect"] !== "Allow") return [];
            const foreign = principalsOf(statement, "AWS").filter((principal) => {
              const account = accountOfPrincipal(principal);
              return account !== undefined && account !== own;
            });
            if (foreign.length === 0) return [];
            return [
              {
                ruleId: id,
                address: source.owner.address,
                message: `statement ${JSON.stringify(statement["Sid"] ?? index)} allows ${JSON.stringify(statement["Action"] ?? statement["NotAction"])} to principals of another account (${foreign.join(", ")})`,
              },
            ];
          });
        }),
  };
}

/** True when the stack's provider tags mark the environment as production (`production = "true"`, from the environment file). */
export function isProduction(workspace: Workspace, block: TerraformBlock): boolean {
  const own = block.config["tags"];
  if (isJsonObject(own) && own["production"] !== undefined) return own["production"] === "true" || own["production"] === true;
  const providers = workspace.stack(block.stack)?.json["provider"];
  const aws = isJsonObject(providers) ? providers["aws"] : undefined;
  const provider = (Array.isArray(aws) ? aws : [aws]).find((entry) => isJsonObject(entry) && entry["alias"] === undefined);
  const defaults = isJsonObject(provider) ? firstBlock(provider["default_tags"]) : undefined;
  const tags = defaults?.["tags"];
  return isJsonObject(tags) && (tags["production"] === "true" || tags["production"] === true);
}

/** The resources of a type whose `bucket` argument points at the bucket (versioning, encryption … are separate resources). */
function bucketSettings(workspace: Workspace, type: string, bucket: TerraformBlock): TerraformBlock[] {
  return workspace.resources(type).filter((candidate) => workspace.refersTo(candidate, candidate.config["bucket"], bucket));
}

export const dataServiceRules: readonly Rule[] = [
  resourceRule({
    id: "BF-SQS-001",
    checkovId: "CKV_AWS_27",
    title: "SQS queues encrypted",
    fix: "set kms_master_key_id, or sqs_managed_sse_enabled = true",
    types: ["aws_sqs_queue"],
    test: (queue) =>
      hasValue(queue.config["kms_master_key_id"]) || isTrue(queue.config["sqs_managed_sse_enabled"]) ? undefined : "queue is not encrypted at rest",
  }),
  publicPrincipalRule("BF-SQS-002", "CKV_AWS_168, CKV_AWS_387", "SQS queue", ["aws_sqs_queue", "aws_sqs_queue_policy"]),
  crossAccountPrincipalRule("BF-SQS-003", "", "SQS queue", ["aws_sqs_queue", "aws_sqs_queue_policy"]),
  resourceRule({
    id: "BF-SNS-001",
    checkovId: "CKV_AWS_26",
    title: "SNS topics encrypted",
    fix: "set kms_master_key_id to a customer managed key",
    types: ["aws_sns_topic"],
    test: (topic) => (hasValue(topic.config["kms_master_key_id"]) ? undefined : "topic is not encrypted at rest (no kms_master_key_id)"),
  }),
  publicPrincipalRule("BF-SNS-002", "CKV_AWS_169", "SNS topic", ["aws_sns_topic", "aws_sns_topic_policy"]),
  crossAccountPrincipalRule("BF-SNS-003", "CKV_AWS_385", "SNS topic", ["aws_sns_topic", "aws_sns_topic_policy"]),
  resourceRule({
    id: "BF-DDB-001",
    checkovId: "CKV_AWS_28",
    title: "DynamoDB point-in-time recovery",
    fix: "add point_in_time_recovery { enabled = true }",
    types: ["aws_dynamodb_table"],
    test: (table) => (isTrue(firstBlock(table.config["point_in_time_recovery"])?.["enabled"]) ? undefined : "point-in-time recovery is off"),
  }),
  resourceRule({
    id: "BF-DDB-002",
    checkovId: "CKV_AWS_119",
    title: "DynamoDB encrypted with a customer managed KMS key",
    fix: "add server_side_encryption { enabled = true, kms_key_arn = <key arn> }",
    types: ["aws_dynamodb_table"],
    test: (table) => {
      const sse = firstBlock(table.config["server_side_encryption"]);
      return isTrue(sse?.["enabled"]) && hasValue(sse?.["kms_key_arn"]) ? undefined : "table is not encrypted with a customer managed KMS key";
    },
  }),
  resourceRule({
    id: "BF-DDB-003",
    title: "DynamoDB deletion protection",
    fix: "set deletion_protection_enabled = true",
    types: ["aws_dynamodb_table"],
    test: (table) => (isTrue(table.config["deletion_protection_enabled"]) ? undefined : "deletion protection is off"),
  }),
  resourceRule({
    id: "BF-SM-001",
    checkovId: "CKV_AWS_149",
    title: "Secrets Manager secrets encrypted with a customer managed KMS key",
    fix: "set kms_key_id to a customer managed key",
    types: ["aws_secretsmanager_secret"],
    test: (secret) => (hasValue(secret.config["kms_key_id"]) ? undefined : "secret uses the AWS managed key (no kms_key_id)"),
  }),
  publicPrincipalRule("BF-SM-002", "", "Secrets Manager secret", ["aws_secretsmanager_secret", "aws_secretsmanager_secret_policy"]),
  crossAccountPrincipalRule("BF-SM-003", "", "Secrets Manager secret", ["aws_secretsmanager_secret", "aws_secretsmanager_secret_policy"]),
  resourceRule({
    id: "BF-LOG-001",
    checkovId: "CKV_AWS_66",
    title: "CloudWatch log groups have a retention",
    fix: "set retention_in_days (e.g. 30, or 365 for audit logs)",
    types: ["aws_cloudwatch_log_group"],
    test: (group) => {
      const days = asNumber(group.config["retention_in_days"]);
      return days !== undefined && days > 0 ? undefined : "logs are kept forever (no retention_in_days)";
    },
  }),
  resourceRule({
    id: "BF-LOG-002",
    checkovId: "CKV_AWS_158",
    title: "CloudWatch log groups encrypted with KMS",
    fix: "set kms_key_id to a customer managed key whose policy allows logs.<region>.amazonaws.com",
    types: ["aws_cloudwatch_log_group"],
    test: (group) => (hasValue(group.config["kms_key_id"]) ? undefined : "log group is not encrypted with a KMS key"),
  }),
  resourceRule({
    id: "BF-KMS-001",
    checkovId: "CKV_AWS_7",
    title: "KMS key rotation",
    fix: "set enable_key_rotation = true",
    types: ["aws_kms_key"],
    test: (key) => {
      const spec = key.config["customer_master_key_spec"];
      if (spec !== undefined && spec !== "SYMMETRIC_DEFAULT") return undefined; // AWS rotates only symmetric keys.
      return isTrue(key.config["enable_key_rotation"]) ? undefined : "automatic key rotation is off";
    },
  }),
  publicPrincipalRule("BF-KMS-002", "CKV_AWS_33", "KMS key", ["aws_kms_key"]),
  crossAccountPrincipalRule("BF-KMS-003", "", "KMS key", ["aws_kms_key"]),
  resourceRule({
    id: "BF-S3-001",
    checkovId: "CKV2_AWS_6",
    title: "S3 buckets block all public access",
    fix: "add an aws_s3_bucket_public_access_block with all four settings true",
    types: ["aws_s3_bucket"],
    test: (bucket, { workspace }) => {
      const blocks = bucketSettings(workspace, "aws_s3_bucket_public_access_block", bucket);
      const settings = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
      if (blocks.length === 0) return "bucket has no public access block";
      const off = settings.filter((setting) => !blocks.some((block) => isTrue(block.config[setting])));
      return off.length > 0 ? `public access block leaves ${off.join(", ")} off` : undefined;
    },
  }),
  resourceRule({
    id: "BF-S3-002",
    checkovId: "CKV_AWS_19",
    title: "S3 buckets encrypted at rest",
    fix: "add an aws_s3_bucket_server_side_encryption_configuration (aws:kms with a customer managed key, or AES256)",
    types: ["aws_s3_bucket"],
    test: (bucket, { workspace }) =>
      bucketSettings(workspace, "aws_s3_bucket_server_side_encryption_configuration", bucket).length > 0
        ? undefined
        : "bucket has no server-side encryption configuration",
  }),
  resourceRule({
    id: "BF-S3-003",
    checkovId: "CKV_AWS_21",
    title: "S3 buckets versioned",
    fix: 'add an aws_s3_bucket_versioning with versioning_configuration { status = "Enabled" }',
    types: ["aws_s3_bucket"],
    test: (bucket, { workspace }) =>
      bucketSettings(workspace, "aws_s3_bucket_versioning", bucket).some(
        (versioning) => firstBlock(versioning.config["versioning_configuration"])?.["status"] === "Enabled",
      )
        ? undefined
        : "versioning is not enabled",
  }),
  resourceRule({
    id: "BF-S3-004",
    checkovId: "CKV_AWS_379",
    title: "S3 buckets refuse plain HTTP",
    fix: 'add a bucket policy statement denying s3:* when aws:SecureTransport is "false"',
    types: ["aws_s3_bucket"],
    test: (bucket, { workspace, policies }) => {
      const bucketPolicies = policies.filter(
        (source) => source.owner.type === "aws_s3_bucket_policy" && workspace.refersTo(source.owner, source.owner.config["bucket"], bucket),
      );
      const deniesHttp = bucketPolicies.some((source) =>
        statementsOfDocument(source.document ?? {}).some((statement) => {
          const condition = statement["Condition"];
          const bool = isJsonObject(condition) ? condition["Bool"] : undefined;
          return statement["Effect"] === "Deny" && isJsonObject(bool) && stringList(bool["aws:SecureTransport"]).includes("false");
        }),
      );
      return deniesHttp ? undefined : "no bucket policy denies requests without TLS (aws:SecureTransport = false)";
    },
  }),
  publicPrincipalRule("BF-S3-005", "CKV_AWS_70", "S3 bucket", ["aws_s3_bucket_policy"]),
  crossAccountPrincipalRule("BF-S3-006", "", "S3 bucket", ["aws_s3_bucket_policy"]),
  resourceRule({
    id: "BF-RDS-001",
    checkovId: "CKV_AWS_16",
    title: "RDS storage encrypted",
    fix: "set storage_encrypted = true (with kms_key_id for a customer managed key)",
    types: ["aws_db_instance", "aws_rds_cluster"],
    test: (db) => (isTrue(db.config["storage_encrypted"]) ? undefined : "database storage is not encrypted"),
  }),
  resourceRule({
    id: "BF-RDS-002",
    checkovId: "CKV_AWS_17",
    title: "RDS not publicly accessible",
    fix: "set publicly_accessible = false",
    types: ["aws_db_instance"],
    test: (db) => (isTrue(db.config["publicly_accessible"]) ? "database is publicly accessible" : undefined),
  }),
  resourceRule({
    id: "BF-RDS-003",
    checkovId: "CKV_AWS_133",
    title: "RDS automated backups on",
    fix: "set backup_retention_period to 1-35 days",
    types: ["aws_db_instance"],
    test: (db) => {
      if (hasValue(db.config["replicate_source_db"])) return undefined; // Read replicas take no automated backups of their own.
      return asNumber(db.config["backup_retention_period"]) === 0 ? "automated backups are off (backup_retention_period = 0)" : undefined;
    },
  }),
  resourceRule({
    id: "BF-RDS-004",
    checkovId: "CKV_AWS_129, CKV_AWS_324",
    title: "RDS exports its logs to CloudWatch",
    fix: 'set enabled_cloudwatch_logs_exports (e.g. ["postgresql", "upgrade"] or ["audit", "error", "general", "slowquery"])',
    types: ["aws_db_instance", "aws_rds_cluster"],
    test: (db) =>
      stringList(db.config["enabled_cloudwatch_logs_exports"]).length > 0
        ? undefined
        : "no database logs are exported (enabled_cloudwatch_logs_exports is empty)",
  }),
  resourceRule({
    id: "BF-RDS-005",
    checkovId: "CKV_AWS_157",
    title: "RDS Multi-AZ in production",
    fix: "set multi_az = true (platform.database.multi_az in the environment file)",
    types: ["aws_db_instance"],
    test: (db, { workspace }) =>
      isProduction(workspace, db) && !isTrue(db.config["multi_az"]) && !hasValue(db.config["replicate_source_db"])
        ? "the environment is marked production but the database runs in one availability zone (multi_az is not true)"
        : undefined,
  }),
  resourceRule({
    id: "BF-CACHE-001",
    checkovId: "CKV_AWS_29, CKV_AWS_30, CKV_AWS_31",
    title: "ElastiCache encrypted at rest and in transit with an auth token",
    fix: "set at_rest_encryption_enabled = true, transit_encryption_enabled = true and an auth_token from Secrets Manager",
    types: ["aws_elasticache_replication_group"],
    test: (group) => {
      const problems: string[] = [];
      if (!isTrue(group.config["at_rest_encryption_enabled"])) problems.push("not encrypted at rest");
      if (!isTrue(group.config["transit_encryption_enabled"])) problems.push("not encrypted in transit");
      if (!hasValue(group.config["auth_token"]) && !hasValue(group.config["user_group_ids"])) problems.push("no auth token or user group");
      return problems.length > 0 ? `replication group: ${problems.join("; ")}` : undefined;
    },
  }),
];
