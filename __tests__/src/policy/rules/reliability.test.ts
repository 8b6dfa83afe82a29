import { reliabilityRules } from "../../../../src/policy/rules/reliability";
import { patch, policy } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

describeRuleCases("reliability rules", reliabilityRules, [
  { rule: "BF-REL-001", when: "stateful resources are protected", change: () => {}, expected: [] },
  {
    rule: "BF-REL-001",
    when: "a database relies on its own deletion protection",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_db_instance.db", { lifecycle: undefined }),
    expected: [],
  },
  {
    rule: "BF-REL-001",
    when: "the state bucket, a key and a table can be destroyed",
    change: (s) => {
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket.state", { lifecycle: undefined });
      patch(s["test-cluster"]!, "resource.aws_kms_key.main", { lifecycle: { prevent_destroy: false } });
      patch(s["test-cluster"]!, "resource.aws_dynamodb_table.records", { lifecycle: undefined, deletion_protection_enabled: false });
    },
    expected: [
      "test-bootstrap/aws_s3_bucket.state: a destroy or replacement would delete its data (no prevent_destroy)",
      "test-cluster/aws_kms_key.main: a destroy or replacement would delete its data (no prevent_destroy)",
      "test-cluster/aws_dynamodb_table.records: a destroy or replacement would delete its data (no prevent_destroy or deletion_protection_enabled)",
    ],
  },
  { rule: "BF-REL-002", when: "the state-bucket stack keeps local state and the rest use S3", change: () => {}, expected: [] },
  {
    rule: "BF-REL-002",
    when: "the S3 backend lacks encryption and a lock file, writing to a bucket the gate cannot see",
    change: (s) =>
      patch(s["test-cluster"]!, "terraform.backend.s3", {
        bucket: "blockfleet-tfstate-elsewhere",
        encrypt: undefined,
        kms_key_id: undefined,
        use_lockfile: false,
      }),
    expected: [
      "test-cluster/terraform.backend: S3 backend does not encrypt state (encrypt is not true)",
      "test-cluster/terraform.backend: S3 backend has no lock file (use_lockfile is not true), so two applies can race",
    ],
  },
  {
    rule: "BF-REL-002",
    when: "a stack with more than state storage keeps local state",
    change: (s) => patch(s["test-cluster"]!, "terraform.backend", { s3: undefined, local: { path: "x.tfstate" } }),
    expected: ["test-cluster/terraform.backend: stack state is not in the S3 backend (backend: local)"],
  },
  {
    rule: "BF-REL-002",
    when: "the S3 backend leaves encryption to a state bucket whose default is a customer managed key",
    change: (s) => patch(s["test-cluster"]!, "terraform.backend.s3", { encrypt: false, kms_key_id: undefined }),
    expected: [],
  },
  {
    rule: "BF-REL-002",
    when: "the S3 backend leaves encryption to a state bucket that defaults to SSE-S3",
    change: (s) => {
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket_server_side_encryption_configuration.state", {
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
      });
      patch(s["test-cluster"]!, "terraform.backend.s3", { encrypt: false, kms_key_id: undefined });
    },
    expected: ["test-cluster/terraform.backend: S3 backend does not encrypt state (encrypt is not true)"],
  },
  { rule: "BF-REL-003", when: "the state bucket uses its own KMS key and every backend names it", change: () => {}, expected: [] },
  {
    rule: "BF-REL-003",
    when: "backends leave encryption to the bucket's customer managed key (encrypt unset)",
    change: (s) => patch(s["test-cluster"]!, "terraform.backend.s3", { encrypt: false, kms_key_id: undefined }),
    expected: [],
  },
  {
    rule: "BF-REL-003",
    when: "the state bucket falls back to SSE-S3 and a backend omits kms_key_id",
    change: (s) => {
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket_server_side_encryption_configuration.state", {
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
      });
      patch(s["test-cluster"]!, "terraform.backend.s3", { kms_key_id: undefined });
    },
    expected: [
      'test-bootstrap/aws_s3_bucket.state: state bucket is not encrypted with KMS by default (sse_algorithm "AES256")',
      "test-cluster/terraform.backend: S3 backend writes state to blockfleet-tfstate-test with encrypt = true but no kms_key_id, so Terraform uploads it with SSE-S3 (AES256) instead of the bucket's KMS key",
    ],
  },
  {
    rule: "BF-REL-003",
    when: "the state bucket uses the AWS managed key",
    change: (s) =>
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket_server_side_encryption_configuration.state", {
        rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" } }],
      }),
    expected: ["test-bootstrap/aws_s3_bucket.state: state bucket uses the AWS managed key aws/s3, whose policy nobody can narrow to the deploy roles"],
  },
  { rule: "BF-REL-004", when: "noncurrent state versions expire", change: () => {}, expected: [] },
  {
    rule: "BF-REL-004",
    when: "the lifecycle rule is disabled",
    change: (s) =>
      patch(s["test-bootstrap"]!, "resource.aws_s3_bucket_lifecycle_configuration.state", {
        rule: [{ id: "expire-old-states", status: "Disabled", filter: {}, noncurrent_version_expiration: { noncurrent_days: 90 } }],
      }),
    expected: [
      "test-bootstrap/aws_s3_bucket.state: noncurrent state versions are kept forever (no enabled lifecycle rule with noncurrent_version_expiration), and with them every secret an old state held",
    ],
  },
  { rule: "BF-REL-005", when: "the state key lets the account administer it and only the deploy role decrypt through S3", change: () => {}, expected: [] },
  {
    rule: "BF-REL-005",
    when: "the state key delegates every use to the account (root kms:*)",
    change: (s) =>
      patch(s["test-bootstrap"]!, "resource.aws_kms_key.state", {
        policy: policy([{ Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }]),
      }),
    expected: [
      "test-bootstrap/aws_kms_key.state: the state key's policy lets any principal of the account whose IAM policies allow kms:Decrypt read the state in test-bootstrap/aws_s3_bucket.state (simulated)",
    ],
  },
]);
