import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { formatMoney, formatUtc } from "../format/text";
import { type Danger, dangerOf } from "./danger";
import { type AttributeDiff, attributeDiffs, redact } from "./diff";
import { attribute, attributeNumber, attributeText, expressionReferences, type ResourceChange, stateResources, type TerraformPlan } from "./plan-json";

export type { Danger, DangerKind } from "./danger";
export { isStateBucket } from "./danger";

/** What a resource change does, folded from Terraform's action lists (`["delete","create"]` is a replace). */
export type ChangeKind = "create" | "update" | "replace" | "delete" | "forget" | "read" | "no-op";

/**
 * The order of a replacement: `delete-first` (-/+, Terraform's default: gone until the new one exists),
 * `create-first` (+/-, create_before_destroy: both exist for a while, so names must not clash) or `forget-old`
 * (["create","forget"]: the old object stays, unmanaged).
 */
export type ReplaceOrder = "delete-first" | "create-first" | "forget-old";

export const COUNTED_KINDS = ["create", "update", "replace", "delete", "forget"] as const satisfies readonly ChangeKind[];

export interface ChangedResource {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  readonly order?: ReplaceOrder;
  /** Why Terraform replaces or deletes it, e.g. `an attribute that can't be updated in place changed: name`. */
  readonly reason?: string;
  /** The address it had before a `moved` block moved it. */
  readonly movedFrom?: string;
  /** The change imports an existing object; its id when Terraform knows it. */
  readonly importing?: { readonly id?: string };
  /** The change is to a deposed object, left from an interrupted create-before-destroy. */
  readonly deposed?: string;
  /** Attribute differences, sensitive values masked (never the value itself). */
  readonly attributes: readonly AttributeDiff[];
}

export interface DeferredResource {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Terraform's reason keyword, e.g. `instance_count_unknown`, in words. */
  readonly reason: string;
}

export interface DriftedResource {
  readonly address: string;
  readonly type: string;
  /** `update` changed outside Terraform, `delete` deleted outside Terraform. */
  readonly kind: ChangeKind;
  readonly attributes: readonly AttributeDiff[];
}

export interface StackSummary {
  readonly stack: string;
  readonly counts: Readonly<Record<(typeof COUNTED_KINDS)[number] | "import" | "move" | "deferred" | "drift" | "no-op", number>>;
  readonly changes: readonly ChangedResource[];
  readonly deferred: readonly DeferredResource[];
  readonly drift: readonly DriftedResource[];
  readonly dangers: readonly Danger[];
  /** Terraform's own warnings about the plan: errored, or incomplete (another plan and apply round follows). */
  readonly notes: readonly string[];
}

export function changeKind(actions: readonly string[]): ChangeKind {
  const has = (action: string) => actions.includes(action);
  if (has("create") && (has("delete") || has("forget"))) return "replace";
  if (has("delete")) return "delete";
  if (has("create")) return "create";
  if (has("update")) return "update";
  if (has("forget")) return "forget";
  if (has("read")) return "read";
  return "no-op";
}

export function replaceOrder(actions: readonly string[]): ReplaceOrder | undefined {
  if (changeKind(actions) !== "replace") return undefined;
  if (actions.includes("forget")) return "forget-old";
  return actions[0] === "create" ? "create-first" : "delete-first";
}

const DEFERRED_REASONS: Readonly<Record<string, string>> = {
  instance_count_unknown: "its count or for_each is not known yet",
  resource_config_unknown: "its configuration is not known yet",
  provider_config_unknown: "its provider's configuration is not known yet",
  deferred_prereq: "something it depends on was deferred",
  absent_prereq: "something it depends on does not exist yet",
  unknown: "Terraform did not say why",
};

export function summarizePlan(stack: string, plan: TerraformPlan): StackSummary {
  const managed = (plan.resource_changes ?? []).filter((change) => (change.mode ?? "managed") === "managed");
  const counts = { create: 0, update: 0, replace: 0, delete: 0, forget: 0, import: 0, move: 0, deferred: 0, drift: 0, "no-op": 0 };
  const changes: ChangedResource[] = [];
  const dangers: Danger[] = [];
  for (const change of managed) {
    const kind = changeKind(change.change.actions);
    if (kind === "read") continue;
    counts[kind] += 1;
    const importing = change.change.importing ? { ...(change.change.importing.id !== undefined ? { id: change.change.importing.id } : {}) } : undefined;
    const movedFrom = change.previous_address !== undefined && change.previous_address !== change.address ? change.previous_address : undefined;
    if (importing) counts.import += 1;
    if (movedFrom) counts.move += 1;
    if (kind === "no-op" && !importing && !movedFrom) continue;
    const order = replaceOrder(change.change.actions);
    const reason = kind === "replace" ? replaceReason(change) : kind === "delete" ? deleteReason(change) : undefined;
    changes.push({
      address: change.address,
      type: change.type,
      kind,
      ...(order ? { order } : {}),
      ...(reason ? { reason } : {}),
      ...(movedFrom ? { movedFrom } : {}),
      ...(importing ? { importing } : {}),
      ...(change.deposed ? { deposed: change.deposed } : {}),
      attributes: kind === "delete" || kind === "forget" || kind === "no-op" ? [] : diffOf(change),
    });
    const visible = withoutSensitive(change);
    const danger =
      change.type === "aws_ec2_capacity_block_reservation" && (kind === "create" || kind === "replace")
        ? capacityBlockPurchase(visible, kind, plan)
        : dangerOf({ change: visible, kind, ...(order ? { order } : {}), ...(reason ? { reason } : {}) });
    if (danger) dangers.push(danger);
  }
  const deferred = (plan.deferred_changes ?? [])
    .filter((item) => (item.resource_change.mode ?? "managed") === "managed")
    .map((item) => ({
      address: item.resource_change.address,
      type: item.resource_change.type,
      kind: changeKind(item.resource_change.change.actions),
      reason: DEFERRED_REASONS[item.reason ?? "unknown"] ?? item.reason ?? "unknown",
    }));
  counts.deferred = deferred.length;
  const drift = (plan.resource_drift ?? [])
    .filter((change) => (change.mode ?? "managed") === "managed")
    .map((change) => {
      const kind = changeKind(change.change.actions);
      return { address: change.address, type: change.type, kind, attributes: kind === "delete" ? [] : diffOf(change) };
    });
  counts.drift = drift.length;
  const notes = [
    ...(plan.errored === true ? ["Terraform reported errors while planning: this plan is not the whole change."] : []),
    ...(plan.complete === false && plan.errored !== true
      ? ["The plan is incomplete: some changes were deferred, and another plan and apply round follows this one."]
      : []),
  ];
  return { stack, counts, changes, deferred, drift, dangers, notes };
}

/** The change with its sensitive values removed, for the rules that read attributes by name. */
function withoutSensitive(change: ResourceChange): ResourceChange {
  const { before_sensitive: beforeMask, after_sensitive: afterMask } = change.change;
  if (!hasTrue(beforeMask) && !hasTrue(afterMask)) return change;
  return { ...change, change: { ...change.change, before: redact(change.change.before, beforeMask), after: redact(change.change.after, afterMask) } };
}

function hasTrue(mask: unknown): boolean {
  return mask === true || (typeof mask === "object" && mask !== null && Object.values(mask).some(hasTrue));
}

function diffOf(change: ResourceChange): AttributeDiff[] {
  return attributeDiffs({
    before: change.change.before,
    after: change.change.after,
    afterUnknown: change.change.after_unknown,
    beforeSensitive: change.change.before_sensitive,
    afterSensitive: change.change.after_sensitive,
    replacePaths: change.change.replace_paths ?? [],
  });
}

function capacityBlockPurchase(change: ResourceChange, kind: ChangeKind, plan: TerraformPlan): Danger {
  const details = capacityBlockDetails(change, plan);
  const fee = details.find((line) => line.startsWith("Upfront fee: ") && !line.includes("not in the plan"));
  return {
    kind: "capacity-block-purchase",
    address: change.address,
    change: kind,
    title: `Capacity block purchase${kind === "replace" ? " (replacing an existing reservation)" : ""} — irreversible, cannot be cancelled or refunded`,
    lost: fee
      ? `the upfront fee of ${fee.slice("Upfront fee: ".length).replace(/ \(.*$|, charged at purchase$/, "")}, charged at purchase`
      : "the upfront fee, charged at purchase",
    recovery: "none: a capacity block can't be cancelled, refunded or resold",
    details,
  };
}

const DELETE_REASONS: Readonly<Record<string, string>> = {
  delete_because_no_resource_config: "it is no longer in the configuration",
  delete_because_wrong_repetition: "count/for_each changed between single and repeated",
  delete_because_count_index: "its count index is beyond the new count",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_module: "its module is no longer in the configuration",
  delete_because_no_move_target: "a moved block points it at an address that doesn't exist",
};

function deleteReason(change: ResourceChange): string | undefined {
  return change.action_reason ? (DELETE_REASONS[change.action_reason] ?? change.action_reason) : undefined;
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
