/**
 * One place for physical names, so every resource of an environment is recognisably its own, renames are deliberate,
 * and no name is longer than its resource allows. Names are never cut: a name over its limit is refused when the
 * environment file is loaded (`checkPhysicalNames`), and again on the synthesized JSON (`physicalNameViolations`)
 * before anything is written.
 */

/** A physical-name argument and the most characters the provider or AWS API accepts for it. */
export interface NameLimit {
  readonly max: number;
  /** Where the limit is enforced (terraform-provider-aws v6.25.0 path, or the AWS API reference). */
  readonly source: string;
}

const PROVIDER = "hashicorp/terraform-provider-aws v6.25.0";
/** terraform-plugin-sdk `id.UniqueIDSuffixLength`: the provider appends 26 characters to a `name_prefix`. */
export const UNIQUE_ID_SUFFIX_LENGTH = 26;

/** Limits by `<resource type>.<argument>`, the way they appear in the synthesized Terraform JSON. */
export const NAME_LIMITS = {
  "aws_eks_cluster.name": { max: 100, source: `${PROVIDER} internal/service/eks/cluster.go (validClusterName); EKS API CreateCluster name 1-100` },
  "aws_eks_node_group.node_group_name": { max: 63, source: `${PROVIDER} internal/service/eks/node_group.go StringLenBetween(0, 63)` },
  "aws_eks_node_group.node_group_name_prefix": {
    max: 63 - UNIQUE_ID_SUFFIX_LENGTH,
    source: `${PROVIDER} internal/service/eks/node_group.go StringLenBetween(0, 63-id.UniqueIDSuffixLength)`,
  },
  "aws_launch_template.name": { max: 125, source: `${PROVIDER} internal/verify/validate.go ValidLaunchTemplateName` },
  "aws_launch_template.name_prefix": { max: 99, source: `${PROVIDER} internal/verify/validate.go ValidLaunchTemplateName (prefix)` },
  "aws_iam_role.name": { max: 64, source: `${PROVIDER} internal/service/iam/role.go roleNameMaxLen` },
  "aws_iam_role.name_prefix": { max: 64 - UNIQUE_ID_SUFFIX_LENGTH, source: `${PROVIDER} internal/service/iam/role.go roleNamePrefixMaxLen` },
  "aws_iam_policy.name": { max: 128, source: `${PROVIDER} internal/service/iam/policy.go policyNameMaxLen; IAM API CreatePolicy PolicyName 1-128` },
  "aws_iam_policy.name_prefix": { max: 128 - UNIQUE_ID_SUFFIX_LENGTH, source: `${PROVIDER} internal/service/iam/policy.go policyNamePrefixMaxLen` },
  "aws_sqs_queue.name": { max: 80, source: `${PROVIDER} internal/service/sqs/queue.go (1-80 of [A-Za-z0-9_-]); SQS API CreateQueue QueueName` },
  "aws_sns_topic.name": { max: 256, source: `${PROVIDER} internal/service/sns/topic.go (1-256 of [A-Za-z0-9_-]); SNS API CreateTopic Name` },
  "aws_cloudwatch_event_rule.name": { max: 64, source: `${PROVIDER} internal/service/events/validate.go validateRuleName` },
  "aws_cloudwatch_log_group.name": {
    max: 512,
    source: `${PROVIDER} internal/service/logs/validate.go validLogGroupName; CloudWatch Logs API CreateLogGroup 1-512`,
  },
  "aws_cloudwatch_metric_alarm.alarm_name": { max: 255, source: `${PROVIDER} internal/service/cloudwatch/metric_alarm.go StringLenBetween(1, 255)` },
  "aws_lambda_function.function_name": { max: 64, source: "Lambda API CreateFunction FunctionName (a name of 1-64 characters)" },
  "aws_dynamodb_table.name": { max: 255, source: `${PROVIDER} internal/service/dynamodb/table.go; DynamoDB API CreateTable TableName 3-255` },
  "aws_s3_bucket.bucket": { max: 63, source: `${PROVIDER} internal/service/s3/bucket.go validBucketName; S3 bucket naming rules 3-63` },
  "aws_s3_bucket.bucket_prefix": {
    max: 63 - UNIQUE_ID_SUFFIX_LENGTH,
    source: `${PROVIDER} internal/service/s3/bucket.go StringLenBetween(0, 63-id.UniqueIDSuffixLength)`,
  },
  "aws_kms_alias.name": { max: 256, source: `${PROVIDER} internal/service/kms/validate.go validNameForResource; KMS API CreateAlias AliasName 1-256` },
  "aws_security_group.name": { max: 255, source: `${PROVIDER} internal/service/ec2/vpc_security_group.go StringLenBetween(0, 255)` },
  "aws_security_group.name_prefix": {
    max: 255 - UNIQUE_ID_SUFFIX_LENGTH,
    source: `${PROVIDER} internal/service/ec2/vpc_security_group.go StringLenBetween(0, 255-id.UniqueIDSuffixLength)`,
  },
  "aws_db_instance.identifier": { max: 63, source: `${PROVIDER} internal/service/rds/validate.go validIdentifier; RDS DBInstanceIdentifier 1-63` },
  "aws_db_parameter_group.name_prefix": {
    max: 255 - UNIQUE_ID_SUFFIX_LENGTH,
    source: `${PROVIDER} internal/service/rds/validate.go validParamGroupNamePrefix`,
  },
  "aws_db_subnet_group.name": { max: 255, source: `${PROVIDER} internal/service/rds/validate.go validSubnetGroupName` },
  "aws_elasticache_replication_group.replication_group_id": {
    max: 40,
    source: `${PROVIDER} internal/service/elasticache/replication_group.go validateReplicationGroupID (1-40)`,
  },
  "aws_elasticache_subnet_group.name": { max: 255, source: `${PROVIDER} internal/service/elasticache/subnet_group.go; ElastiCache CacheSubnetGroupName 1-255` },
  "aws_secretsmanager_secret.name": { max: 512, source: `${PROVIDER} internal/service/secretsmanager/validate.go validSecretName` },
  "aws_ssm_parameter.name": { max: 2048, source: `${PROVIDER} internal/service/ssm/parameter.go StringLenBetween(1, 2048)` },
} as const satisfies Readonly<Record<string, NameLimit>>;

export type NameKind = keyof typeof NAME_LIMITS;

export class NameTooLongError extends Error {
  constructor(
    readonly kind: NameKind,
    readonly physicalName: string,
  ) {
    super(`${kind} "${physicalName}" is ${physicalName.length} characters; AWS allows ${NAME_LIMITS[kind].max}`);
    this.name = "NameTooLongError";
  }
}

/**
 * The name unchanged, or NameTooLongError when it is longer than its kind allows. A name holding a cdktf token (a
 * reference Terraform resolves, such as the cluster's name or the account id) can't be measured here; the synthesized
 * JSON is measured by physicalNameViolations with those references resolved.
 */
export function checkedName(kind: NameKind, name: string): string {
  if (!name.includes("${TfToken[") && name.length > NAME_LIMITS[kind].max) throw new NameTooLongError(kind, name);
  return name;
}

export interface Naming {
  readonly environment: string;
  /** The EKS cluster name, also the Karpenter discovery tag value. */
  readonly clusterName: string;
  /** `blockfleet-<env>-<suffix>`; checked against the kind's limit when one is given, never cut. */
  resource(suffix: string, kind?: NameKind): string;
  stackName(kind: string): string;
}

export function naming(environment: string): Naming {
  const clusterName = clusterNameOf(environment);
  return {
    environment,
    clusterName,
    resource: (suffix, kind) => (kind ? checkedName(kind, `${clusterName}-${suffix}`) : `${clusterName}-${suffix}`),
    stackName: (kind) => `${environment}-${kind}`,
  };
}

export function clusterNameOf(environment: string): string {
  return `blockfleet-${environment}`;
}

/** Node group `name_prefix` of a capacity block: the block name and the provider's separator. */
export function capacityBlockNodeGroupPrefix(blockName: string): string {
  return checkedName("aws_eks_node_group.node_group_name_prefix", `${blockName}-`);
}

/** The longest capacity block name whose node group prefix fits. */
export const MAX_CAPACITY_BLOCK_NAME_LENGTH = NAME_LIMITS["aws_eks_node_group.node_group_name_prefix"].max - "-".length;

/** What an environment's names depend on. */
export interface NamedEnvironment {
  /** With account_id, names the state bucket when state_bucket is absent. */
  readonly region?: string;
  readonly account_id?: string;
  readonly state_bucket?: string;
  readonly karpenter: { readonly enabled: boolean };
  readonly capacity_blocks: ReadonlyArray<{ readonly name: string }>;
  readonly capacity_manager?: unknown;
  readonly platform?: {
    readonly database?: unknown;
    readonly cache?: unknown;
    readonly model_registry?: unknown;
    readonly external_secrets?: unknown;
    readonly load_balancer_controller?: unknown;
    readonly logs?: unknown;
  };
}

/** A physical name of the environment and the input it grows with. */
export interface PlannedName {
  readonly kind: NameKind;
  readonly name: string;
  /** The input whose length the name grows with: the environment name, or a capacity block's name (by index). */
  readonly grows: { readonly with: "environment" } | { readonly with: "capacity_block"; readonly index: number };
}

// Suffixes of the names the stacks build from `blockfleet-<env>`, grouped by the part of the file that creates them.
// Kept here so the load-time check knows them without loading the constructs; the synth-time check
// (physicalNameViolations) and the naming tests catch a construct whose name is missing here.
const KARPENTER_SUFFIXES: ReadonlyArray<readonly [NameKind, string]> = [
  ["aws_sqs_queue.name", "karpenter"],
  ["aws_iam_role.name", "karpenter-controller"],
  ["aws_iam_role.name", "karpenter-node"],
  ...["spot-interruption", "rebalance", "scheduled-change", "state-change", "capacity-interruption"].map(
    (kind) => ["aws_cloudwatch_event_rule.name", `karpenter-${kind}`] as const,
  ),
];
const CAPACITY_MANAGER_SUFFIXES: ReadonlyArray<readonly [NameKind, string]> = [
  ["aws_dynamodb_table.name", "capacity-manager"],
  ["aws_dynamodb_table.name", "capacity-manager-journal"],
  ["aws_sns_topic.name", "capacity-manager"],
  ["aws_sns_topic.name", "capacity-manager-alarms"],
  ["aws_sqs_queue.name", "capacity-manager-dlq"],
  ["aws_lambda_function.function_name", "capacity-manager-reconcile"],
  ["aws_lambda_function.function_name", "capacity-manager-api"],
  ["aws_iam_role.name", "capacity-manager-reconcile"],
  ["aws_iam_role.name", "capacity-manager-api"],
  ["aws_iam_role.name", "capacity-manager-apigw-logs"],
  ["aws_iam_policy.name", "capacity-manager-approve"],
  ["aws_cloudwatch_event_rule.name", "capacity-manager-schedule"],
  // The capacity-manager event rules' names are shorter than their construct ids (triggers.ts RECONCILE_EVENT_RULE_NAMES),
  // so every name fits a 16-character environment name; the longest, reservation-events, allows 17.
  ["aws_cloudwatch_event_rule.name", "capacity-manager-block-events"],
  ["aws_cloudwatch_event_rule.name", "capacity-manager-reservation-events"],
  ["aws_cloudwatch_metric_alarm.alarm_name", "capacity-manager-expiring-without-extension"],
];

/**
 * The state bucket's name when the file gives none: `blockfleet-tfstate-<env>-<account>-<region>`. Bucket names are
 * global; the account and region make this one the environment's own.
 */
export function derivedStateBucketName(environment: string, accountId: string, region: string): string {
  return `blockfleet-tfstate-${environment}-${accountId}-${region}`;
}

/** Every physical name that grows with the environment name or a block name, for the load-time check. */
export function plannedNames(environment: string, env: NamedEnvironment): PlannedName[] {
  const names = naming(environment);
  const byEnvironment = (kind: NameKind, name: string): PlannedName => ({ kind, name, grows: { with: "environment" } });
  const suffixed = (list: ReadonlyArray<readonly [NameKind, string]>) => list.map(([kind, suffix]) => byEnvironment(kind, names.resource(suffix)));
  const planned: PlannedName[] = [
    byEnvironment("aws_eks_cluster.name", names.clusterName),
    byEnvironment("aws_iam_role.name", names.resource("cluster")),
    byEnvironment("aws_iam_role.name", names.resource("node")),
    byEnvironment("aws_iam_role.name", names.resource("vpc-flow-logs")),
    byEnvironment("aws_launch_template.name_prefix", `${names.clusterName}-system-`),
  ];
  if (env.state_bucket === undefined && env.account_id !== undefined && env.region !== undefined) {
    planned.push(byEnvironment("aws_s3_bucket.bucket", derivedStateBucketName(environment, env.account_id, env.region)));
  }
  env.capacity_blocks.forEach((block, index) => {
    planned.push({ kind: "aws_eks_node_group.node_group_name_prefix", name: `${block.name}-`, grows: { with: "capacity_block", index } });
    planned.push({ kind: "aws_launch_template.name_prefix", name: `${names.clusterName}-${block.name}-`, grows: { with: "capacity_block", index } });
  });
  if (env.karpenter.enabled) planned.push(...suffixed(KARPENTER_SUFFIXES));
  if (env.capacity_manager !== undefined) planned.push(...suffixed(CAPACITY_MANAGER_SUFFIXES));
  const platform = env.platform;
  if (platform) {
    if (platform.database) planned.push(byEnvironment("aws_db_instance.identifier", names.resource("platform")));
    if (platform.cache) planned.push(byEnvironment("aws_elasticache_replication_group.replication_group_id", names.resource("platform")));
    if (platform.model_registry) {
      planned.push(byEnvironment("aws_s3_bucket.bucket", `${names.clusterName}-models-${"0".repeat(12)}`));
      planned.push(byEnvironment("aws_iam_role.name", names.resource("model-registry")));
    }
    if (platform.external_secrets) planned.push(byEnvironment("aws_iam_role.name", names.resource("external-secrets")));
    if (platform.load_balancer_controller) planned.push(byEnvironment("aws_iam_role.name", names.resource("aws-load-balancer-controller")));
    if (platform.logs) planned.push(byEnvironment("aws_iam_role.name", names.resource("cloudwatch-agent")));
  }
  return planned;
}

/** Longest environment name (file name before `.tfvars`) files accept. */
export const MAX_ENVIRONMENT_NAME_LENGTH = 16;

/** The longest environment name with which every name of this environment fits, at most MAX_ENVIRONMENT_NAME_LENGTH. */
export function longestEnvironmentName(env: NamedEnvironment): number {
  const probe = "e";
  return plannedNames(probe, env)
    .filter((planned) => planned.grows.with === "environment")
    .reduce((longest, planned) => Math.min(longest, NAME_LIMITS[planned.kind].max - (planned.name.length - probe.length)), MAX_ENVIRONMENT_NAME_LENGTH);
}

/** A planned name over its limit, with the longest the growing input may be. */
export interface NameLimitProblem {
  readonly planned: PlannedName;
  readonly limit: number;
  /** The longest value of the growing input (environment or block name) with which this name fits. */
  readonly longestInput: number;
}

export function nameLimitProblems(environment: string, env: NamedEnvironment): NameLimitProblem[] {
  return plannedNames(environment, env).flatMap((planned) => {
    const limit = NAME_LIMITS[planned.kind].max;
    if (planned.name.length <= limit) return [];
    const input = planned.grows.with === "environment" ? environment : env.capacity_blocks[planned.grows.index]!.name;
    // The name holds the input once (the block name also sits beside the cluster name, which doesn't grow with it).
    return [{ planned, limit, longestInput: input.length - (planned.name.length - limit) }];
  });
}

/** A physical name in synthesized Terraform JSON that is longer than its resource allows. */
export interface NameViolation {
  readonly stack: string;
  readonly address: string;
  readonly kind: NameKind;
  readonly name: string;
}

type StackJson = { readonly resource?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>> };

/**
 * Every physical name in a synthesized stack that is over its limit. References Terraform resolves later are
 * measured as what they become (the cluster's name, a 12-digit account id); other references are not measured.
 */
export function physicalNameViolations(stackName: string, stack: StackJson): NameViolation[] {
  const clusterNames = Object.fromEntries(Object.entries(stack.resource?.["aws_eks_cluster"] ?? {}).map(([id, body]) => [id, String(body["name"])]));
  const resolve = (value: string): string | undefined => {
    const resolved = value
      .replace(/\$\{aws_eks_cluster\.([^.}]+)\.name\}/g, (match, id: string) => clusterNames[id] ?? match)
      .replace(/\$\{data\.aws_caller_identity\.[^.}]+\.account_id\}/g, "0".repeat(12));
    return resolved.includes("${") ? undefined : resolved;
  };
  const violations: NameViolation[] = [];
  for (const kind of Object.keys(NAME_LIMITS) as NameKind[]) {
    const [type, attribute] = kind.split(".") as [string, string];
    for (const [id, body] of Object.entries(stack.resource?.[type] ?? {})) {
      const value = body[attribute];
      if (typeof value !== "string") continue;
      const name = resolve(value);
      if (name !== undefined && name.length > NAME_LIMITS[kind].max) violations.push({ stack: stackName, address: `${type}.${id}`, kind, name });
    }
  }
  return violations;
}
