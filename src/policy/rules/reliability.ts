import { type StackDocument, type TerraformBlock, firstBlock, isJsonObject, nestedBlocks } from "../model";
import type { Workspace } from "../workspace";
import { type Rule, hasValue, isTrue, resourceRule } from "./rule";

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

function backendProblems(workspace: Workspace, stack: StackDocument): string[] {
  const terraform = stack.json["terraform"];
  const backend = isJsonObject(terraform) ? terraform["backend"] : undefined;
  const s3 = isJsonObject(backend) ? backend["s3"] : undefined;
  if (!isJsonObject(s3)) {
    if (isStateStorageStack(stack)) return [];
    const kind = isJsonObject(backend) ? Object.keys(backend).join(", ") : "none";
    return [`stack state is not in the S3 backend (backend: ${kind})`];
  }
  const problems: string[] = [];
  // With encrypt unset Terraform sends no encryption header and S3 applies the bucket's default: enough when that
  // default is a customer managed KMS key the gate can see (BF-REL-003 checks the bucket).
  const bucket = stateBuckets(workspace).find((candidate) => workspace.physicalName(candidate) === s3["bucket"]);
  const bucketEncrypts = bucket !== undefined && stateEncryptionProblem(workspace, bucket) === undefined;
  if (!isTrue(s3["encrypt"]) && !bucketEncrypts) problems.push("S3 backend does not encrypt state (encrypt is not true)");
  if (!isTrue(s3["use_lockfile"])) problems.push("S3 backend has no lock file (use_lockfile is not true), so two applies can race");
  return problems;
}

function s3Backend(stack: StackDocument): Record<string, unknown> | undefined {
  const terraform = stack.json["terraform"];
  const backend = isJsonObject(terraform) ? terraform["backend"] : undefined;
  const s3 = isJsonObject(backend) ? backend["s3"] : undefined;
  return isJsonObject(s3) ? s3 : undefined;
}

/** Buckets that hold Terraform state: named by some stack's S3 backend, or created by a state-storage stack. */
function stateBuckets(workspace: Workspace): TerraformBlock[] {
  const named = new Set(workspace.stacks.map((stack) => s3Backend(stack)?.["bucket"]).filter((bucket): bucket is string => typeof bucket === "string"));
  return workspace
    .resources("aws_s3_bucket")
    .filter((bucket) => named.has(workspace.physicalName(bucket)) || isStateStorageStack(workspace.stack(bucket.stack)!));
}

function bucketSettings(workspace: Workspace, type: string, bucket: TerraformBlock): TerraformBlock[] {
  return workspace.resources(type).filter((candidate) => workspace.refersTo(candidate, candidate.config["bucket"], bucket));
}

/** Why a state bucket's objects are not encrypted with a customer managed key, or undefined. */
function stateEncryptionProblem(workspace: Workspace, bucket: TerraformBlock): string | undefined {
  const defaults = bucketSettings(workspace, "aws_s3_bucket_server_side_encryption_configuration", bucket)
    .flatMap((configuration) => nestedBlocks(configuration.config["rule"]))
    .map((rule) => firstBlock(rule["apply_server_side_encryption_by_default"]))
    .filter((defaults) => defaults !== undefined);
  const kms = defaults.find((entry) => String(entry["sse_algorithm"]).startsWith("aws:kms"));
  if (!kms) return `state bucket is not encrypted with KMS by default (sse_algorithm ${JSON.stringify(defaults[0]?.["sse_algorithm"] ?? "unset")})`;
  const key = kms["kms_master_key_id"];
  if (!hasValue(key) || key === "alias/aws/s3" || String(key).endsWith(":alias/aws/s3")) return "state bucket uses the AWS managed key aws/s3, whose policy nobody can narrow to the deploy roles";
  return undefined;
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
    fix: "use the S3 backend with use_lockfile = true, and encrypt = true with kms_key_id or a state bucket encrypted by default with a customer managed key (only the state-bucket bootstrap stack may keep local state)",
    check: ({ workspace }) =>
      workspace.stacks.flatMap((stack) =>
        backendProblems(workspace, stack).map((message) => ({ ruleId: "BF-REL-002", address: `${stack.name}/terraform.backend`, message })),
      ),
  },
];
