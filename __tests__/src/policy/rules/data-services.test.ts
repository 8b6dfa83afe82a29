import type { JsonObject } from "../../../../src/policy/model";
import { dataServiceRules } from "../../../../src/policy/rules/data-services";
import { patch, policy } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const C = "test-cluster";
const foreignStatement = {
  Sid: "Partner",
  Effect: "Allow",
  Principal: { AWS: "arn:aws:iam::444455556666:role/partner" },
  Action: "secretsmanager:GetSecretValue",
  Resource: "*",
};
/** Marks the stack production the way environment files do: `production = true` becomes a provider default tag. */
const markProduction = (stack: JsonObject): void => {
  stack["provider"] = {
    aws: [{ region: "us-east-1", allowed_account_ids: ["111122223333"], default_tags: [{ tags: { environment: "test", production: "true" } }] }],
  };
};
const publicStatement = { Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" };

describeRuleCases("data service rules", dataServiceRules, [
  { rule: "BF-SQS-001", when: "queues use SSE-SQS or a KMS key", change: () => {}, expected: [] },
  {
    rule: "BF-SQS-001",
    when: "a queue is unencrypted",
    change: (s) => patch(s[C]!, "resource.aws_sqs_queue.interruption", { sqs_managed_sse_enabled: false }),
    expected: [`${C}/aws_sqs_queue.interruption: queue is not encrypted at rest`],
  },
  { rule: "BF-SQS-002", when: "only services may send", change: () => {}, expected: [] },
  {
    rule: "BF-SQS-002",
    when: "anyone may send",
    change: (s) => patch(s[C]!, "resource.aws_sqs_queue_policy.interruption", { policy: policy([publicStatement]) }),
    expected: [`${C}/aws_sqs_queue_policy.interruption: statement "Anyone" allows "sqs:SendMessage" to any principal (*)`],
  },
  { rule: "BF-SNS-001", when: "the topic uses a KMS key", change: () => {}, expected: [] },
  {
    rule: "BF-SNS-001",
    when: "the topic is unencrypted",
    change: (s) => patch(s[C]!, "resource.aws_sns_topic.alerts", { kms_master_key_id: undefined }),
    expected: [`${C}/aws_sns_topic.alerts: topic is not encrypted at rest (no kms_master_key_id)`],
  },
  { rule: "BF-SNS-002", when: "only CloudWatch may publish", change: () => {}, expected: [] },
  {
    rule: "BF-SNS-002",
    when: "any AWS principal may publish",
    change: (s) =>
      patch(s[C]!, "resource.aws_sns_topic_policy.alerts", {
        policy: policy([{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "*" }]),
      }),
    expected: [`${C}/aws_sns_topic_policy.alerts: statement 0 allows "sns:Publish" to any principal (*)`],
  },
  { rule: "BF-DDB-001", when: "point-in-time recovery is on", change: () => {}, expected: [] },
  {
    rule: "BF-DDB-001",
    when: "point-in-time recovery is off",
    change: (s) => patch(s[C]!, "resource.aws_dynamodb_table.records", { point_in_time_recovery: { enabled: false } }),
    expected: [`${C}/aws_dynamodb_table.records: point-in-time recovery is off`],
  },
  { rule: "BF-DDB-002", when: "the table uses a customer managed key", change: () => {}, expected: [] },
  {
    rule: "BF-DDB-002",
    when: "the table uses the AWS owned key",
    change: (s) => patch(s[C]!, "resource.aws_dynamodb_table.records", { server_side_encryption: undefined }),
    expected: [`${C}/aws_dynamodb_table.records: table is not encrypted with a customer managed KMS key`],
  },
  { rule: "BF-DDB-003", when: "deletion protection is on", change: () => {}, expected: [] },
  {
    rule: "BF-DDB-003",
    when: "deletion protection is off",
    change: (s) => patch(s[C]!, "resource.aws_dynamodb_table.records", { deletion_protection_enabled: undefined }),
    expected: [`${C}/aws_dynamodb_table.records: deletion protection is off`],
  },
  { rule: "BF-SM-001", when: "the secret uses a customer managed key", change: () => {}, expected: [] },
  {
    rule: "BF-SM-001",
    when: "the secret uses the AWS managed key",
    change: (s) => patch(s[C]!, "resource.aws_secretsmanager_secret.api_key", { kms_key_id: undefined }),
    expected: [`${C}/aws_secretsmanager_secret.api_key: secret uses the AWS managed key (no kms_key_id)`],
  },
  {
    rule: "BF-SM-002",
    when: "the secret policy names a role",
    change: (s) =>
      patch(s[C]!, "resource.aws_secretsmanager_secret.api_key", {
        policy: policy([{ Effect: "Allow", Principal: { AWS: "${aws_iam_role.reconcile.arn}" }, Action: "secretsmanager:GetSecretValue", Resource: "*" }]),
      }),
    expected: [],
  },
  {
    rule: "BF-SM-002",
    when: "the secret policy lets anyone read",
    change: (s) =>
      patch(s[C]!, "resource.aws_secretsmanager_secret.api_key", {
        policy: policy([{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }]),
      }),
    expected: [`${C}/aws_secretsmanager_secret.api_key: statement 0 allows "secretsmanager:GetSecretValue" to any principal (*)`],
  },
  { rule: "BF-LOG-001", when: "logs expire", change: () => {}, expected: [] },
  {
    rule: "BF-LOG-001",
    when: "logs never expire",
    change: (s) => patch(s[C]!, "resource.aws_cloudwatch_log_group.flow", { retention_in_days: 0 }),
    expected: [`${C}/aws_cloudwatch_log_group.flow: logs are kept forever (no retention_in_days)`],
  },
  { rule: "BF-LOG-002", when: "the log group uses a KMS key", change: () => {}, expected: [] },
  {
    rule: "BF-LOG-002",
    when: "the log group is not KMS-encrypted",
    change: (s) => patch(s[C]!, "resource.aws_cloudwatch_log_group.flow", { kms_key_id: undefined }),
    expected: [`${C}/aws_cloudwatch_log_group.flow: log group is not encrypted with a KMS key`],
  },
  {
    rule: "BF-KMS-001",
    when: "an asymmetric key cannot rotate",
    change: (s) => patch(s[C]!, "resource.aws_kms_key.main", { enable_key_rotation: false, customer_master_key_spec: "RSA_2048" }),
    expected: [],
  },
  {
    rule: "BF-KMS-001",
    when: "a symmetric key does not rotate",
    change: (s) => patch(s[C]!, "resource.aws_kms_key.main", { enable_key_rotation: undefined }),
    expected: [`${C}/aws_kms_key.main: automatic key rotation is off`],
  },
  { rule: "BF-KMS-002", when: "the key policy names the account", change: () => {}, expected: [] },
  {
    rule: "BF-KMS-002",
    when: "the key policy allows anyone",
    change: (s) =>
      patch(s[C]!, "resource.aws_kms_key.main", {
        policy: policy([{ Sid: "Open", Effect: "Allow", Principal: { AWS: ["*"] }, Action: "kms:Decrypt", Resource: "*" }]),
      }),
    expected: [`${C}/aws_kms_key.main: statement "Open" allows "kms:Decrypt" to any principal (*)`],
  },
  { rule: "BF-S3-001", when: "all public access is blocked", change: () => {}, expected: [] },
  {
    rule: "BF-S3-001",
    when: "public access is partly or not blocked",
    change: (s) => {
      patch(s[C]!, "resource.aws_s3_bucket_public_access_block.models", { restrict_public_buckets: false });
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket_public_access_block", null);
    },
    expected: [
      "test-bootstrap/aws_s3_bucket.state: bucket has no public access block",
      `${C}/aws_s3_bucket.models: public access block leaves restrict_public_buckets off`,
    ],
  },
  { rule: "BF-S3-002", when: "buckets have default encryption", change: () => {}, expected: [] },
  {
    rule: "BF-S3-002",
    when: "a bucket has no encryption configuration",
    change: (s) => patch(s[C]!, "resource.aws_s3_bucket_server_side_encryption_configuration", null),
    expected: [`${C}/aws_s3_bucket.models: bucket has no server-side encryption configuration`],
  },
  { rule: "BF-S3-003", when: "buckets are versioned", change: () => {}, expected: [] },
  {
    rule: "BF-S3-003",
    when: "versioning is suspended",
    change: (s) => patch(s[C]!, "resource.aws_s3_bucket_versioning.models", { versioning_configuration: { status: "Suspended" } }),
    expected: [`${C}/aws_s3_bucket.models: versioning is not enabled`],
  },
  { rule: "BF-S3-004", when: "bucket policies deny plain HTTP", change: () => {}, expected: [] },
  {
    rule: "BF-S3-004",
    when: "the bucket policy does not deny plain HTTP",
    change: (s) => patch(s[C]!, "resource.aws_s3_bucket_policy", null),
    expected: [`${C}/aws_s3_bucket.models: no bucket policy denies requests without TLS (aws:SecureTransport = false)`],
  },
  { rule: "BF-S3-005", when: "the bucket policy only denies", change: () => {}, expected: [] },
  {
    rule: "BF-S3-005",
    when: "the bucket policy lets anyone read",
    change: (s) =>
      patch(s[C]!, "resource.aws_s3_bucket_policy.models", {
        policy: policy([{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "${aws_s3_bucket.models.arn}/*" }]),
      }),
    expected: [`${C}/aws_s3_bucket_policy.models: statement 0 allows "s3:GetObject" to any principal (*)`],
  },
  { rule: "BF-RDS-001", when: "storage is encrypted", change: () => {}, expected: [] },
  {
    rule: "BF-RDS-001",
    when: "storage is not encrypted",
    change: (s) => patch(s[C]!, "resource.aws_db_instance.db", { storage_encrypted: false }),
    expected: [`${C}/aws_db_instance.db: database storage is not encrypted`],
  },
  { rule: "BF-RDS-002", when: "the database is private", change: () => {}, expected: [] },
  {
    rule: "BF-RDS-002",
    when: "the database is public",
    change: (s) => patch(s[C]!, "resource.aws_db_instance.db", { publicly_accessible: true }),
    expected: [`${C}/aws_db_instance.db: database is publicly accessible`],
  },
  { rule: "BF-CACHE-001", when: "the cache is encrypted with an auth token", change: () => {}, expected: [] },
  {
    rule: "BF-CACHE-001",
    when: "the cache is open",
    change: (s) =>
      patch(s[C]!, "resource.aws_elasticache_replication_group.cache", {
        at_rest_encryption_enabled: undefined,
        transit_encryption_enabled: false,
        auth_token: undefined,
      }),
    expected: [`${C}/aws_elasticache_replication_group.cache: replication group: not encrypted at rest; not encrypted in transit; no auth token or user group`],
  },
  // Cross-account principals: the same statement in each service's policy (a deliberate share is waived).
  { rule: "BF-SQS-003", when: "only this account and services are named", change: () => {}, expected: [] },
  {
    rule: "BF-SQS-003",
    when: "another account's role may send",
    change: (s) => patch(s[C]!, "resource.aws_sqs_queue_policy.interruption", { policy: policy([{ ...foreignStatement, Action: "sqs:SendMessage" }]) }),
    expected: [
      `${C}/aws_sqs_queue_policy.interruption: statement "Partner" allows "sqs:SendMessage" to principals of another account (arn:aws:iam::444455556666:role/partner)`,
    ],
  },
  { rule: "BF-SNS-003", when: "only this account and services are named", change: () => {}, expected: [] },
  {
    rule: "BF-SNS-003",
    when: "another account may publish",
    change: (s) =>
      patch(s[C]!, "resource.aws_sns_topic_policy.alerts", {
        policy: policy([{ ...foreignStatement, Principal: { AWS: "444455556666" }, Action: "sns:Publish" }]),
      }),
    expected: [`${C}/aws_sns_topic_policy.alerts: statement "Partner" allows "sns:Publish" to principals of another account (444455556666)`],
  },
  {
    rule: "BF-SM-003",
    when: "the secret policy names a role of this account",
    change: (s) =>
      patch(s[C]!, "resource.aws_secretsmanager_secret_policy.api_key", {
        secret_arn: "${aws_secretsmanager_secret.api_key.arn}",
        policy: policy([{ ...foreignStatement, Principal: { AWS: "${aws_iam_role.reconcile.arn}" } }]),
      }),
    expected: [],
  },
  {
    rule: "BF-SM-003",
    when: "another account may read the secret",
    change: (s) =>
      patch(s[C]!, "resource.aws_secretsmanager_secret_policy.api_key", {
        secret_arn: "${aws_secretsmanager_secret.api_key.arn}",
        policy: policy([foreignStatement]),
      }),
    expected: [
      `${C}/aws_secretsmanager_secret_policy.api_key: statement "Partner" allows "secretsmanager:GetSecretValue" to principals of another account (arn:aws:iam::444455556666:role/partner)`,
    ],
  },
  { rule: "BF-KMS-003", when: "the key policy names this account's root", change: () => {}, expected: [] },
  {
    rule: "BF-KMS-003",
    when: "another account's root may use the key",
    change: (s) =>
      patch(s[C]!, "resource.aws_kms_key.main", {
        policy: policy([
          {
            Sid: "AccountAdministers",
            Effect: "Allow",
            Principal: { AWS: ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"] },
            Action: "kms:*",
            Resource: "*",
          },
        ]),
      }),
    expected: [`${C}/aws_kms_key.main: statement "AccountAdministers" allows "kms:*" to principals of another account (arn:aws:iam::444455556666:root)`],
  },
  { rule: "BF-S3-006", when: "the bucket policy only denies", change: () => {}, expected: [] },
  {
    rule: "BF-S3-006",
    when: "another account may read objects",
    change: (s) =>
      patch(s[C]!, "resource.aws_s3_bucket_policy.models", {
        policy: policy([{ ...foreignStatement, Action: "s3:GetObject", Resource: "${aws_s3_bucket.models.arn}/*" }]),
      }),
    expected: [
      `${C}/aws_s3_bucket_policy.models: statement "Partner" allows "s3:GetObject" to principals of another account (arn:aws:iam::444455556666:role/partner)`,
    ],
  },
  {
    rule: "BF-RDS-003",
    when: "automated backups are kept, or the database is a read replica",
    change: (s) =>
      patch(s[C]!, "resource.aws_db_instance.replica", {
        identifier: "blockfleet-test-replica",
        replicate_source_db: "${aws_db_instance.db.identifier}",
        backup_retention_period: 0,
        storage_encrypted: true,
        deletion_protection: true,
      }),
    expected: [],
  },
  {
    rule: "BF-RDS-003",
    when: "backups are switched off",
    change: (s) => patch(s[C]!, "resource.aws_db_instance.db", { backup_retention_period: 0 }),
    expected: [`${C}/aws_db_instance.db: automated backups are off (backup_retention_period = 0)`],
  },
  { rule: "BF-RDS-004", when: "the database exports its logs", change: () => {}, expected: [] },
  {
    rule: "BF-RDS-004",
    when: "no log is exported",
    change: (s) => patch(s[C]!, "resource.aws_db_instance.db", { enabled_cloudwatch_logs_exports: undefined }),
    expected: [`${C}/aws_db_instance.db: no database logs are exported (enabled_cloudwatch_logs_exports is empty)`],
  },
  {
    rule: "BF-RDS-005",
    when: "a single-AZ database lives in an environment not marked production",
    change: (s) => patch(s[C]!, "resource.aws_db_instance.db", { multi_az: false }),
    expected: [],
  },
  {
    rule: "BF-RDS-005",
    when: "a production database is Multi-AZ",
    change: (s) => {
      markProduction(s[C]!);
      patch(s[C]!, "resource.aws_db_instance.db", { multi_az: true });
    },
    expected: [],
  },
  {
    rule: "BF-RDS-005",
    when: 'the environment is marked production (provider default tag production = "true") and the database runs in one zone',
    change: (s) => markProduction(s[C]!),
    expected: [`${C}/aws_db_instance.db: the environment is marked production but the database runs in one availability zone (multi_az is not true)`],
  },
]);
