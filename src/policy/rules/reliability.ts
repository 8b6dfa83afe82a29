import { runSimulation } from "@cloud-copilot/iam-simulate";
import { type Finding, firstBlock, isJsonObject, nestedBlocks, type StackDocument, type TerraformBlock } from "../model";
import type { Workspace } from "../workspace";
import { asNumber, hasValue, isTrue, type Rule, type RuleContext, resourceRule } from "./rule";

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
  if (!hasValue(key) || key === "alias/aws/s3" || String(key).endsWith(":alias/aws/s3"))
    return "state bucket uses the AWS managed key aws/s3, whose policy nobody can narrow to the deploy roles";
  return undefined;
}

/** A lifecycle rule that expires noncurrent versions, so old states (with whatever secrets they held) do not live forever. */
function expiresNoncurrentVersions(workspace: Workspace, bucket: TerraformBlock): boolean {
  return bucketSettings(workspace, "aws_s3_bucket_lifecycle_configuration", bucket)
    .flatMap((configuration) => nestedBlocks(configuration.config["rule"]))
    .some((rule) => rule["status"] === "Enabled" && (asNumber(firstBlock(rule["noncurrent_version_expiration"])?.["noncurrent_days"]) ?? 0) > 0);
}

/** The customer managed key a state bucket encrypts with by default, when it is in the output. */
function stateKeyOf(workspace: Workspace, bucket: TerraformBlock): TerraformBlock | undefined {
  for (const configuration of bucketSettings(workspace, "aws_s3_bucket_server_side_encryption_configuration", bucket)) {
    for (const rule of nestedBlocks(configuration.config["rule"])) {
      const key = workspace.target(configuration.stack, firstBlock(rule["apply_server_side_encryption_by_default"])?.["kms_master_key_id"] ?? null);
      if (key?.block.type === "aws_kms_key") return key.block;
    }
  }
  return undefined;
}

/**
 * Simulates a principal of the account whose IAM policies allow everything decrypting with the state key through S3:
 * allowed when the key policy delegates use to the account (root `kms:*`), denied when it names the state's principals.
 */
async function stateKeyFindings({ workspace, policies }: RuleContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const bucket of stateBuckets(workspace)) {
    const key = stateKeyOf(workspace, bucket);
    const keyPolicy = key ? policies.find((source) => source.owner.address === key.address && source.document) : undefined;
    if (!key || !keyPolicy) continue;
    const account = workspace.account(key.stack);
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${account}:role/blockfleet-policy-gate-probe`,
          action: "kms:Decrypt",
          resource: { resource: workspace.arnOf(key), accountId: account },
          contextVariables: { "kms:ViaService": `s3.${workspace.region(key.stack)}.amazonaws.com`, "kms:CallerAccount": account },
        },
        identityPolicies: [{ name: "everything", policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: keyPolicy.document,
      },
      { simulationMode: "Strict" },
    );
    if (result.resultType === "error" || result.overallResult === "Allowed") {
      findings.push({
        ruleId: "BF-REL-005",
        address: key.address,
        message: `the state key's policy lets any principal of the account whose IAM policies allow kms:Decrypt read the state in ${bucket.address} (simulated)`,
      });
    }
  }
  return findings;
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
  {
    id: "BF-REL-003",
    checkovId: "CKV_AWS_145",
    title: "State encrypted with a customer managed KMS key",
    fix: "encrypt the state bucket by default with aws:kms and a customer managed key; S3 backends either leave encrypt unset (the bucket default applies) or set kms_key_id with encrypt = true",
    check: ({ workspace }) => {
      const buckets = stateBuckets(workspace);
      const bucketFindings = buckets.flatMap((bucket) => {
        const problem = stateEncryptionProblem(workspace, bucket);
        return problem ? [{ ruleId: "BF-REL-003", address: bucket.address, message: problem }] : [];
      });
      const names = new Set(buckets.map((bucket) => workspace.physicalName(bucket)));
      // Terraform's S3 backend with encrypt = true and no kms_key_id uploads state with SSE-S3 (AES256), overriding
      // the bucket's KMS default (hashicorp/terraform internal/backend/remote-state/s3/client.go, PutObject).
      const backendFindings = workspace.stacks.flatMap((stack) => {
        const backend = s3Backend(stack);
        if (!backend || !names.has(String(backend["bucket"])) || !isTrue(backend["encrypt"]) || hasValue(backend["kms_key_id"])) return [];
        return [
          {
            ruleId: "BF-REL-003",
            address: `${stack.name}/terraform.backend`,
            message: `S3 backend writes state to ${String(backend["bucket"])} with encrypt = true but no kms_key_id, so Terraform uploads it with SSE-S3 (AES256) instead of the bucket's KMS key`,
          },
        ];
      });
      return [...bucketFindings, ...backendFindings];
    },
  },
  {
    id: "BF-REL-004",
    checkovId: "CKV2_AWS_61",
    title: "State bucket expires noncurrent versions",
    fix: "add an aws_s3_bucket_lifecycle_configuration rule (status Enabled) with noncurrent_version_expiration { noncurrent_days = N }",
    check: ({ workspace }) =>
      stateBuckets(workspace)
        .filter((bucket) => !expiresNoncurrentVersions(workspace, bucket))
        .map((bucket) => ({
          ruleId: "BF-REL-004",
          address: bucket.address,
          message:
            "noncurrent state versions are kept forever (no enabled lifecycle rule with noncurrent_version_expiration), and with them every secret an old state held",
        })),
  },
  {
    id: "BF-REL-005",
    checkovId: "",
    title: "Only the state's principals can decrypt the state",
    fix: "give the account root only administrative KMS actions in the state key's policy and allow kms:Decrypt/GenerateDataKey to the deploy roles (through S3)",
    check: stateKeyFindings,
  },
];
