import { code } from "../format/text";
import { attribute, type ResourceChange } from "./plan-json";
import type { ChangeKind, ReplaceOrder } from "./summarize";

/**
 * What plan-summary calls dangerous: a change whose loss is data, money or an outage. Each rule is one row that says
 * what is lost and how long recovery takes (if it is possible at all), so a reviewer weighs the real cost.
 */
export type DangerKind =
  | "capacity-block-purchase"
  | "capacity-block-node-group-roll"
  | "eks-cluster"
  | "eks-node-group"
  | "dynamodb-table"
  | "kms-key"
  | "secret"
  | "rds-instance"
  | "rds-cluster"
  | "elasticache"
  | "state-bucket"
  | "model-bucket"
  | "data-bucket"
  | "audit-log-group";

export interface Danger {
  readonly kind: DangerKind;
  readonly address: string;
  readonly change: ChangeKind;
  /** One-line headline, e.g. `Delete RDS instance`. */
  readonly title: string;
  /** What the change loses. */
  readonly lost: string;
  /** How it is recovered and how long that takes, or that it can't be. */
  readonly recovery: string;
  /** Further facts a reviewer needs, one per line. */
  readonly details: readonly string[];
}

/** A change as the danger rules see it. */
export interface DangerContext {
  readonly change: ResourceChange;
  readonly kind: ChangeKind;
  readonly order?: ReplaceOrder;
  /** `replace_because_…` and the attributes forcing it, in words. */
  readonly reason?: string;
}

type Rule = (context: DangerContext) => Omit<Danger, "address" | "change"> | undefined;

const verbOf = (kind: ChangeKind) => (kind === "replace" ? "Replace" : "Delete");
const destroys = (kind: ChangeKind) => kind === "replace" || kind === "delete";
const before = (context: DangerContext) => context.change.change.before;
const after = (context: DangerContext) => context.change.change.after;

/**
 * EKS node group attributes whose change makes EKS roll every node: the provider calls UpdateNodegroupVersion when
 * they change (hashicorp/terraform-provider-aws internal/service/eks/node_group.go, resourceNodeGroupUpdate, commit
 * 012e0a32f0686212f447447fd3d81c3d0ce256ad); `instance_types`, `ami_type` and `capacity_type` are ForceNew there,
 * so changing them replaces the group. For Capacity Blocks the EKS guide says an upgrade needs desired size 0
 * (awsdocs/amazon-eks-user-guide latest/ug/ml/capacity-blocks-mng.adoc, commit 0a7189e931ca51de88c9f104637bb84fcfab2353).
 */
export const NODE_GROUP_ROLLING_ATTRIBUTES = ["launch_template", "release_version", "version"] as const;

const STATE_BUCKET = /tfstate|terraform-state|(^|[-_.])state($|[-_.])/i;
const MODEL_BUCKET = /model|checkpoint|weights/i;
const AUDIT_LOG_GROUP = [/^\/aws\/eks\/[^/]+\/cluster$/, /flow-?logs?/i, /^\/aws\/apigateway\/.+\/access$/, /audit/i, /cloudtrail/i];

export function isStateBucket(change: ResourceChange): boolean {
  if (change.type !== "aws_s3_bucket") return false;
  const values = [change.change.before, change.change.after];
  const names = values.map((value) => attribute(value, "bucket")).filter((name): name is string => typeof name === "string");
  const localName = change.address.split(".").at(-1) ?? "";
  const tagText = values.flatMap((value) => Object.entries({ ...stringMapOf(value, "tags"), ...stringMapOf(value, "tags_all") }).flat());
  return [...names, localName].some((name) => STATE_BUCKET.test(name)) || tagText.some((text) => /tfstate|terraform[-_ ]?state/i.test(text));
}

function stringMapOf(values: unknown, key: string): Record<string, string> {
  if (typeof values !== "object" || values === null) return {};
  const value = (values as Record<string, unknown>)[key];
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function causeOf(context: DangerContext): string[] {
  return context.kind === "replace" && context.reason ? [`Cause: ${context.reason}.`] : [];
}

function orderNote(context: DangerContext): string[] {
  if (context.order === "create-first") return ["Order: create before destroy (+/-): the new object must be able to exist beside the old one."];
  if (context.order === "delete-first") return ["Order: destroy before create (-/+): it is gone until the new one is ready."];
  if (context.order === "forget-old") return ["Order: the old object is forgotten, not destroyed, and a new one is created."];
  return [];
}

function protectedNote(value: unknown, key: string): string[] {
  return attribute(value, key) === true
    ? [`\`${key}\` is on: the apply fails at this resource until it is switched off, after the changes before it were made.`]
    : [];
}

const RULES: Readonly<Record<string, Rule>> = {
  aws_eks_cluster: (context) => {
    if (!destroys(context.kind)) return undefined;
    const sameName = attribute(before(context), "name") !== undefined && attribute(before(context), "name") === attribute(after(context), "name");
    const details =
      context.order === "create-first"
        ? [
            sameName
              ? "Order: create before destroy (+/-) with the same name: EKS refuses a second cluster of that name, so the apply fails after the changes before it."
              : "Order: create before destroy (+/-): two clusters run side by side until the old one goes; workloads must move to the new endpoint.",
          ]
        : context.kind === "replace"
          ? ["Order: destroy before create (-/+): an outage from the delete until the new control plane and its nodes are up (30 minutes or more)."]
          : [];
    return {
      kind: "eks-cluster",
      title: `${verbOf(context.kind)} EKS cluster`,
      lost: "the control plane and etcd (every Kubernetes object not kept in git: secrets, volumes' bindings, custom resources), every node and workload, the API endpoint and OIDC issuer",
      recovery: "recreate the cluster (about 15 minutes) and re-apply every stack that depends on it; in-cluster state kept nowhere else is gone for good",
      details: [...details, ...causeOf(context)],
    };
  },
  aws_eks_node_group: (context) => {
    const capacityBlock = [before(context), after(context)].some((value) => attribute(value, "capacity_type") === "CAPACITY_BLOCK");
    if (context.kind === "update" && capacityBlock) {
      const rolling = rollingChanges(context.change);
      if (rolling.length === 0) return undefined;
      return {
        kind: "capacity-block-node-group-roll",
        title: "Roll capacity-block node group — rolls GPU nodes inside a fully used reservation; EKS requires desired size 0 to upgrade",
        lost: "the GPU jobs running on its nodes (drained and terminated); the upgrade stalls or fails because replacement nodes can't launch while the old ones hold every instance of the block",
        recovery:
          "apply between blocks, or scale the node group to 0 first and back up after (docs/runbook.md); GPU time of the block is lost while it is at 0",
        details: [`Changes: ${rolling.join(", ")}.`],
      };
    }
    if (!destroys(context.kind)) return undefined;
    return {
      kind: "eks-node-group",
      title: `${verbOf(context.kind)} EKS node group${capacityBlock ? " on a capacity block" : ""}`,
      lost: capacityBlock
        ? "its GPU nodes and the jobs on them; the replacement can't launch until the old instances have left the reservation"
        : "its nodes, drained and terminated, and the pods that can't move elsewhere",
      recovery: capacityBlock
        ? "the new group fills once the block's instances are free again (minutes to an hour of paid GPU time lost); after the block ends, never"
        : "the new group's nodes join in about 5–10 minutes",
      details: [...orderNote(context), ...causeOf(context)],
    };
  },
  aws_dynamodb_table: (context) =>
    destroys(context.kind)
      ? {
          kind: "dynamodb-table",
          title: `${verbOf(context.kind)} DynamoDB table`,
          lost: "every item in it",
          recovery:
            "with point-in-time recovery on, DynamoDB keeps a system backup for 35 days that restores to a new table (minutes to hours by size); without it or an on-demand backup, none",
          details: [...protectedNote(before(context), "deletion_protection_enabled"), ...causeOf(context)],
        }
      : undefined,
  aws_kms_key: (context) => {
    if (!destroys(context.kind)) return undefined;
    const window = attribute(before(context), "deletion_window_in_days") ?? 30;
    return {
      kind: "kms-key",
      title: `${verbOf(context.kind)} KMS key`,
      lost: "everything encrypted with it (volumes, secrets, objects, the cluster's Kubernetes secrets) becomes unreadable once the key is deleted",
      recovery: `cancel the scheduled deletion within its ${window}-day window (\`aws kms cancel-key-deletion\`); after that, never`,
      details: causeOf(context),
    };
  },
  aws_secretsmanager_secret: (context) => {
    if (!destroys(context.kind)) return undefined;
    const window = attribute(before(context), "recovery_window_in_days") ?? 30;
    return {
      kind: "secret",
      title: `${verbOf(context.kind)} Secrets Manager secret`,
      lost: "the secret's value and every version of it",
      recovery:
        window === 0
          ? "none: `recovery_window_in_days = 0` deletes it at once"
          : `\`aws secretsmanager restore-secret\` within the ${window}-day recovery window; after that, never`,
      details: [
        ...(context.kind === "replace" && window !== 0
          ? ["The replacement can't take the same name while the old secret waits out its recovery window: its create fails."]
          : []),
        ...causeOf(context),
      ],
    };
  },
  aws_db_instance: (context) => (destroys(context.kind) ? rdsDanger(context, "rds-instance", "RDS instance") : undefined),
  aws_rds_cluster: (context) => (destroys(context.kind) ? rdsDanger(context, "rds-cluster", "RDS cluster") : undefined),
  aws_elasticache_replication_group: (context) => elasticacheDanger(context, "ElastiCache replication group"),
  aws_elasticache_cluster: (context) => elasticacheDanger(context, "ElastiCache cluster"),
  aws_elasticache_serverless_cache: (context) => elasticacheDanger(context, "ElastiCache serverless cache"),
  aws_s3_bucket: (context) => {
    if (!destroys(context.kind)) return undefined;
    const name = String(attribute(before(context), "bucket") ?? context.change.address);
    const forceDestroy = attribute(before(context), "force_destroy") === true;
    const details = [
      forceDestroy
        ? "`force_destroy` is on: every object and version is deleted with the bucket."
        : "`force_destroy` is off: the delete fails on a non-empty bucket, after the changes before it were made.",
      ...causeOf(context),
    ];
    if (isStateBucket(context.change)) {
      return {
        kind: "state-bucket",
        title: `${verbOf(context.kind)} Terraform state bucket`,
        lost: "every stack's state and lock file",
        recovery: "from object versions only while the bucket exists; once it is gone, every resource of every stack must be imported again (hours to days)",
        details,
      };
    }
    if (MODEL_BUCKET.test(name) || MODEL_BUCKET.test(context.change.address)) {
      return {
        kind: "model-bucket",
        title: `${verbOf(context.kind)} model bucket`,
        lost: "the model weights and checkpoints in it",
        recovery: "none from S3: re-upload from another copy (hours) or retrain (days to weeks of GPU time)",
        details,
      };
    }
    return {
      kind: "data-bucket",
      title: `${verbOf(context.kind)} S3 bucket`,
      lost: "every object in it",
      recovery: "none from S3: only from a replica or backup kept elsewhere",
      details,
    };
  },
  aws_cloudwatch_log_group: (context) => {
    if (!destroys(context.kind)) return undefined;
    const name = String(attribute(before(context), "name") ?? "");
    if (!AUDIT_LOG_GROUP.some((pattern) => pattern.test(name))) return undefined;
    return {
      kind: "audit-log-group",
      title: `${verbOf(context.kind)} audit log group`,
      lost: `the audit trail in ${code(name)}`,
      recovery: "none: CloudWatch Logs can't restore a deleted log group; only copies exported elsewhere survive",
      details: causeOf(context),
    };
  },
};

function rdsDanger(context: DangerContext, kind: "rds-instance" | "rds-cluster", what: string): Omit<Danger, "address" | "change"> {
  const values = before(context);
  const skip = attribute(values, "skip_final_snapshot") === true;
  const snapshot = attribute(values, "final_snapshot_identifier");
  return {
    kind,
    title: `${verbOf(context.kind)} ${what}`,
    lost: "the database and, unless `delete_automated_backups = false`, its automated backups",
    recovery: skip
      ? "none beyond manual snapshots: `skip_final_snapshot` is on"
      : `restore the final snapshot${snapshot ? ` ${code(String(snapshot))}` : ""} to a new ${what} (30 minutes or more by size, new endpoint); writes after it are lost`,
    details: [...protectedNote(values, "deletion_protection"), ...orderNote(context), ...causeOf(context)],
  };
}

function elasticacheDanger(context: DangerContext, what: string): Omit<Danger, "address" | "change"> | undefined {
  if (!destroys(context.kind)) return undefined;
  const snapshot = attribute(before(context), "final_snapshot_identifier") ?? attribute(before(context), "final_snapshot_name");
  return {
    kind: "elasticache",
    title: `${verbOf(context.kind)} ${what}`,
    lost: "every key in the cache, and its endpoint",
    recovery: snapshot
      ? `seed a new one from the final snapshot ${code(String(snapshot))} (15 minutes or more); clients see errors until it is up`
      : "none: the new cache starts empty and clients see misses or errors until it refills",
    details: [...orderNote(context), ...causeOf(context)],
  };
}

/** Which of the rolling attributes an update of a node group changes (or leaves unknown until apply). */
export function rollingChanges(change: ResourceChange): string[] {
  const unknown = change.change.after_unknown;
  return NODE_GROUP_ROLLING_ATTRIBUTES.filter((key) => {
    const beforeValue = pick(change.change.before, key);
    const afterValue = pick(change.change.after, key);
    return JSON.stringify(beforeValue) !== JSON.stringify(afterValue) || containsTrue(pick(unknown, key));
  }).map((key) => (key === "launch_template" ? "launch template" : key === "release_version" ? "AMI release" : "Kubernetes version"));
}

function pick(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function containsTrue(mask: unknown): boolean {
  if (mask === true) return true;
  if (typeof mask !== "object" || mask === null) return false;
  return Object.values(mask).some(containsTrue);
}

/** The danger of one change, if any; capacity block purchases are added by the summary (they need the plan). */
export function dangerOf(context: DangerContext): Danger | undefined {
  const rule = RULES[context.change.type];
  const found = rule?.(context);
  return found ? { ...found, address: context.change.address, change: context.kind } : undefined;
}
