import { type StackDocument, isJsonObject } from "../model";
import { type Rule, isTrue, resourceRule } from "./rule";

/** Resources that hold data Terraform must never destroy by accident, and their own deletion guard. */
const STATEFUL: Readonly<Record<string, string | undefined>> = {
  aws_s3_bucket: undefined,
  aws_dynamodb_table: "deletion_protection_enabled",
  aws_kms_key: undefined,
  aws_db_instance: "deletion_protection",
  aws_rds_cluster: "deletion_protection",
  aws_elasticache_replication_group: undefined,
  aws_efs_file_system: undefined,
};

/** A stack that only creates state storage may keep local state: nothing exists yet to hold it. */
const STATE_STORAGE_TYPES = new Set([
  "aws_s3_bucket",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_ownership_controls",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_kms_key",
  "aws_kms_alias",
]);

function isStateStorageStack(stack: StackDocument): boolean {
  return stack.resources.length > 0 && stack.resources.every((block) => STATE_STORAGE_TYPES.has(block.type));
}

function backendProblems(stack: StackDocument): string[] {
  const terraform = stack.json["terraform"];
  const backend = isJsonObject(terraform) ? terraform["backend"] : undefined;
  const s3 = isJsonObject(backend) ? backend["s3"] : undefined;
  if (!isJsonObject(s3)) {
    if (isStateStorageStack(stack)) return [];
    const kind = isJsonObject(backend) ? Object.keys(backend).join(", ") : "none";
    return [`stack state is not in the S3 backend (backend: ${kind})`];
  }
  const problems: string[] = [];
  if (!isTrue(s3["encrypt"])) problems.push("S3 backend does not encrypt state (encrypt is not true)");
  if (!isTrue(s3["use_lockfile"])) problems.push("S3 backend has no lock file (use_lockfile is not true), so two applies can race");
  return problems;
}

export const reliabilityRules: readonly Rule[] = [
  resourceRule({
    id: "BF-REL-001",
    title: "Stateful resources are protected from destroy",
    fix: "add lifecycle { prevent_destroy = true } (and the service's deletion protection where it has one)",
    types: Object.keys(STATEFUL),
    test: (block) => {
      const lifecycle = block.config["lifecycle"];
      if (isJsonObject(lifecycle) && isTrue(lifecycle["prevent_destroy"])) return undefined;
      const guard = STATEFUL[block.type];
      if (guard !== undefined && isTrue(block.config[guard])) return undefined;
      return `a destroy or replacement would delete its data (no prevent_destroy${guard ? ` or ${guard}` : ""})`;
    },
  }),
  {
    id: "BF-REL-002",
    checkovId: "",
    title: "State in an S3 backend with encryption and a lock file",
    fix: "use the S3 backend with encrypt = true and use_lockfile = true (only the state-bucket bootstrap stack may keep local state)",
    check: ({ workspace }) =>
      workspace.stacks.flatMap((stack) =>
        backendProblems(stack).map((message) => ({ ruleId: "BF-REL-002", address: `${stack.name}/terraform.backend`, message })),
      ),
  },
];
