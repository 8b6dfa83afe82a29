import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { formatMoney, formatUtc } from "../format/text";
import {
  attribute,
  attributeNumber,
  attributeText,
  expressionReferences,
  stateResources,
  stringMap,
  type ResourceChange,
  type TerraformPlan,
} from "./plan-json";

/** What a resource change does, folded from Terraform's action lists (`["delete","create"]` is a replace). */
export type ChangeKind = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

export const COUNTED_KINDS = ["create", "update", "replace", "delete", "forget"] as const satisfies readonly ChangeKind[];

export interface ChangedResource {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Why Terraform replaces it, e.g. `replace_because_cannot_update` and the attributes forcing it. */
  readonly reason?: string;
}

export type DangerKind =
  | "capacity-block-purchase"
  | "eks-cluster"
  | "eks-node-group"
  | "dynamodb-table"
  | "kms-key"
  | "state-bucket";

export interface Danger {
  readonly kind: DangerKind;
  readonly address: string;
  readonly change: ChangeKind;
  /** One-line headline, e.g. `Capacity block purchase (irreversible)`. */
  readonly title: string;
  /** Facts a reviewer needs, one per line. */
  readonly details: readonly string[];
}

export interface StackSummary {
  readonly stack: string;
  readonly counts: Readonly<Record<(typeof COUNTED_KINDS)[number] | "no-op", number>>;
  readonly changes: readonly ChangedResource[];
  readonly dangers: readonly Danger[];
}

export function changeKind(actions: readonly string[]): ChangeKind {
  const has = (action: string) => actions.includes(action);
  if (has("create") && has("delete")) return "replace";
  if (has("delete")) return "delete";
  if (has("create")) return "create";
  if (has("update")) return "update";
  if (has("forget")) return "forget";
  if (has("read")) return "read";
  return "no-op";
}

/** Resource types whose replacement or deletion loses a cluster, its nodes, data or the keys to it. */
const DESTRUCTIVE_DANGERS: Readonly<Record<string, { kind: DangerKind; what: string; consequence: string }>> = {
  aws_eks_cluster: {
    kind: "eks-cluster",
    what: "EKS cluster",
    consequence: "every node, workload and in-cluster resource goes with it",
  },
  aws_eks_node_group: {
    kind: "eks-node-group",
    what: "EKS node group",
    consequence: "its nodes are drained and terminated; on a capacity block the replacement waits for free capacity",
  },
  aws_dynamodb_table: {
    kind: "dynamodb-table",
    what: "DynamoDB table",
    consequence: "its items are lost unless restored from a backup",
  },
  aws_kms_key: {
    kind: "kms-key",
    what: "KMS key",
    consequence: "data encrypted with it becomes unreadable once the key is deleted",
  },
};

const STATE_BUCKET_NAME = /tfstate|terraform-state|(^|[-_.])state($|[-_.])/i;

/** A bucket holding Terraform state, recognised by its name, its address or a tag that says so. */
export function isStateBucket(change: ResourceChange): boolean {
  if (change.type !== "aws_s3_bucket") return false;
  const values = [change.change.before, change.change.after];
  const names = values.map((value) => attribute(value, "bucket")).filter((name): name is string => typeof name === "string");
  const localName = change.address.split(".").at(-1) ?? "";
  const tagText = values.flatMap((value) => Object.entries({ ...stringMap(value, "tags"), ...stringMap(value, "tags_all") }).flat());
  return [...names, localName].some((name) => STATE_BUCKET_NAME.test(name)) || tagText.some((text) => /tfstate|terraform[-_ ]?state/i.test(text));
}

export function summarizePlan(stack: string, plan: TerraformPlan): StackSummary {
  const managed = (plan.resource_changes ?? []).filter((change) => (change.mode ?? "managed") === "managed");
  const counts = { create: 0, update: 0, replace: 0, delete: 0, forget: 0, "no-op": 0 };
  const changes: ChangedResource[] = [];
  const dangers: Danger[] = [];
  for (const change of managed) {
    const kind = changeKind(change.change.actions);
    if (kind === "read") continue;
    counts[kind] += 1;
    if (kind === "no-op") continue;
    changes.push({ address: change.address, type: change.type, kind, ...(kind === "replace" ? { reason: replaceReason(change) } : {}) });
    const danger = dangerOf(change, kind, plan);
    if (danger) dangers.push(danger);
  }
  return { stack, counts, changes, dangers };
}

function dangerOf(change: ResourceChange, kind: ChangeKind, plan: TerraformPlan): Danger | undefined {
  if (change.type === "aws_ec2_capacity_block_reservation" && (kind === "create" || kind === "replace")) {
    return {
      kind: "capacity-block-purchase",
      address: change.address,
      change: kind,
      title: `Capacity block purchase${kind === "replace" ? " (replacing an existing reservation)" : ""} — irreversible, cannot be cancelled or refunded`,
      details: capacityBlockDetails(change, plan),
    };
  }
  if (kind !== "replace" && kind !== "delete") return undefined;
  const destructive = DESTRUCTIVE_DANGERS[change.type];
  const described = destructive ?? (isStateBucket(change)
    ? { kind: "state-bucket" as const, what: "Terraform state bucket", consequence: "every stack's state and lock file lives in it" }
    : undefined);
  if (!described) return undefined;
  const verb = kind === "replace" ? "Replace" : "Delete";
  return {
    kind: described.kind,
    address: change.address,
    change: kind,
    title: `${verb} ${described.what}`,
    details: [
      `${kind === "replace" ? "Replacing" : "Deleting"} it: ${described.consequence}.`,
      ...(kind === "replace" ? [`Cause: ${replaceReason(change)}.`] : []),
    ],
  };
}

function replaceReason(change: ResourceChange): string {
  const reasons: Record<string, string> = {
    replace_because_cannot_update: "an attribute that can't be updated in place changed",
    replace_because_tainted: "the resource is tainted",
    replace_by_request: "replacement was requested (-replace)",
    replace_by_triggers: "a replace_triggered_by reference changed",
  };
  const why = change.action_reason ? (reasons[change.action_reason] ?? change.action_reason) : "Terraform must recreate it";
  const paths = (change.change.replace_paths ?? []).map((path) =>
    path.map((step, index) => (typeof step === "number" ? `[${step}]` : index === 0 ? step : `.${step}`)).join(""),
  );
  return paths.length > 0 ? `${why}: ${paths.join(", ")}` : why;
}

/** Offering attributes known at plan time, from the `aws_ec2_capacity_block_offering` data source it refers to. */
interface OfferingFacts {
  readonly offeringId?: string;
  readonly instanceType?: string;
  readonly instanceCount?: number;
  readonly availabilityZone?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly durationHours?: number;
  readonly upfrontFee?: number;
  readonly currency?: string;
}

function capacityBlockDetails(change: ResourceChange, plan: TerraformPlan): string[] {
  const after = change.change.after;
  const offering = offeringFor(change, plan);
  const text = (key: string) => attributeText(after, key);
  const instanceType = text("instance_type") ?? offering.instanceType;
  const instanceCount = attributeNumber(after, "instance_count") ?? offering.instanceCount;
  const availabilityZone = text("availability_zone") ?? offering.availabilityZone;
  const startDate = text("start_date") ?? offering.startDate;
  const endDate = text("end_date") ?? offering.endDate;
  const unknown = "known after apply";
  const details = [
    `Offering: ${text("capacity_block_offering_id") ?? offering.offeringId ?? unknown}`,
    `Instances: ${instanceCount ?? "?"} × ${instanceType ?? unknown}${availabilityZone ? ` in ${availabilityZone}` : ""}`,
    `Dates: ${startDate ? utc(startDate) : unknown} → ${endDate ? utc(endDate) : unknown}`,
  ];
  if (offering.upfrontFee !== undefined) {
    const currency = offering.currency ?? "USD";
    const hours = offering.durationHours ?? hoursBetween(startDate, endDate);
    const accelerators = instanceType ? CAPACITY_BLOCK_INSTANCE_TYPES[instanceType]?.accelerators : undefined;
    const perGpuHour =
      hours && accelerators && instanceCount ? ` (${formatMoney(offering.upfrontFee / (hours * accelerators * instanceCount), currency)} per GPU-hour)` : "";
    details.push(`Upfront fee: ${formatMoney(offering.upfrontFee, currency)}${perGpuHour}, charged at purchase`);
  } else {
    details.push("Upfront fee: not in the plan; check it with `blockfleet capacity offerings` before applying");
  }
  return details;
}

function utc(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : formatUtc(date);
}

function hoursBetween(start: string | undefined, end: string | undefined): number | undefined {
  if (!start || !end) return undefined;
  const hours = (new Date(end).getTime() - new Date(start).getTime()) / 3_600_000;
  return Number.isFinite(hours) && hours > 0 ? hours : undefined;
}

/**
 * Finds the offering data source read during the plan: by the offering id when it is known, otherwise through the
 * configuration's reference from `capacity_block_offering_id` to `data.aws_ec2_capacity_block_offering.<name>`.
 */
function offeringFor(change: ResourceChange, plan: TerraformPlan): OfferingFacts {
  const offerings = [...stateResources(plan.prior_state?.values?.root_module), ...stateResources(plan.planned_values?.root_module)].filter(
    (resource) => resource.mode === "data" && resource.type === "aws_ec2_capacity_block_offering",
  );
  const offeringId = attribute(change.change.after, "capacity_block_offering_id");
  const references = expressionReferences(plan, change.address, "capacity_block_offering_id");
  const match =
    offerings.find((resource) => offeringId !== undefined && attribute(resource.values, "capacity_block_offering_id") === offeringId) ??
    offerings.find((resource) => references.some((reference) => reference === resource.address || reference.startsWith(`${resource.address}.`)));
  if (!match) return {};
  const text = (key: string) => attributeText(match.values, key);
  const number = (key: string) => attributeNumber(match.values, key);
  return {
    offeringId: text("capacity_block_offering_id"),
    instanceType: text("instance_type"),
    instanceCount: number("instance_count"),
    availabilityZone: text("availability_zone"),
    // The data source reports the offering's own dates in its (computed) range arguments.
    startDate: text("start_date") ?? text("start_date_range"),
    endDate: text("end_date") ?? text("end_date_range"),
    durationHours: number("capacity_duration_hours"),
    upfrontFee: number("upfront_fee"),
    currency: text("currency_code"),
  };
}
