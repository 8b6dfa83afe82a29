import type { CapacityBlockConfig } from "../../config/schema";
import { ENDED_RESERVATION_STATES as ENDED_STATES, LIVE_RESERVATION_STATES as LIVE_STATES, terminationLeadMs } from "../../lib/capacity-blocks/facts";
import { INTENT_ID_TAG } from "../../lib/tags";
import { formatDuration, formatMoney, formatUtc, textTable } from "../format/text";
import { type Palette, stripAnsi } from "../io";
import type { Extension, Reservation } from "./ec2";

/** States of a block that is, or will be, usable and paid for; and how long before its end a block loses its instances. */
export { LIVE_STATES, terminationLeadMs };

/** A block ending within this window with no extension on the way is worth a warning. */
const EXPIRY_WARNING_MS = 24 * 3_600_000;

export interface BlockStatus {
  /** The capacity_blocks entry's name, when the environment file tracks the block. */
  readonly name?: string;
  readonly reservationId: string;
  readonly tracked: boolean;
  readonly instanceType: string;
  readonly instanceCount: number;
  /** Instances running in the reservation (EC2's total minus available); only while the block is active. */
  readonly instancesInUse?: number;
  readonly availabilityZone: string;
  /** EC2's state, or `not-found` for a tracked id EC2 doesn't know in this region. */
  readonly state: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  /** `5d 3h left`, `starts in 2d`, `ended 4h ago`. */
  readonly timing: string;
  /** Extensions that are pending, failed, or paid and not yet over. */
  readonly extensions: readonly Extension[];
  /** The node groups and node pools that launch into it. */
  readonly usedBy: readonly string[];
  /**
   * The block the capacity manager bought to follow this one (a replacement: its reservation carries
   * `blockfleet.io/intent-id = replace-<this reservation>-…`), and the gap from this block's end to its start.
   */
  readonly replacedBy?: { readonly reservationId: string; readonly startDate: Date; readonly gapMs: number };
  /** An open-ended gap: the block ends within 24 h with no extension and no replacement found by its intent tag. */
  readonly gap?: { readonly from: Date };
  readonly warnings: readonly string[];
}

/** The Karpenter node pool that launches into capacity blocks and the reservation selector terms it uses. */
export interface NodePoolSelection {
  readonly nodePool: string;
  readonly terms: readonly ({ readonly id: string } | { readonly tags: Readonly<Record<string, string>> })[];
}

export interface StatusInput {
  readonly environment: string;
  readonly blocks: readonly CapacityBlockConfig[];
  /** Absent when the environment runs no capacity-block node pool. */
  readonly karpenter?: NodePoolSelection;
  readonly reservations: readonly Reservation[];
  readonly extensions: readonly Extension[];
  readonly now: Date;
}

/**
 * Joins what the environment file says with what EC2 says: every tracked block (found or not) and every live
 * capacity block in the region the file doesn't track, ordered by start. EC2 is the truth for dates and state; a
 * disagreement with the file becomes a warning.
 */
export function capacityStatus(input: StatusInput): BlockStatus[] {
  const byId = new Map(input.reservations.map((reservation) => [reservation.reservationId, reservation]));
  const trackedIds = new Set(input.blocks.map((block) => block.reservation_id));
  const tracked = input.blocks.map((block) => trackedStatus(block, byId.get(block.reservation_id), input));
  const discovered = input.reservations
    .filter((reservation) => !trackedIds.has(reservation.reservationId) && LIVE_STATES.has(reservation.state))
    .map((reservation) =>
      blockStatus({ reservation, input, usedBy: nodePoolsUsing(reservation.reservationId, reservation.tags, input.karpenter), tracked: false }),
    );
  return [...tracked, ...discovered].sort(
    (left, right) => (left.startDate?.getTime() ?? Number.MAX_SAFE_INTEGER) - (right.startDate?.getTime() ?? Number.MAX_SAFE_INTEGER),
  );
}

/** Karpenter selects a reservation by its id or by carrying every tag of a term. */
function nodePoolsUsing(reservationId: string, tags: Readonly<Record<string, string>>, selection: NodePoolSelection | undefined): string[] {
  const selected = selection?.terms.some((term) =>
    "id" in term ? term.id === reservationId : Object.entries(term.tags).every(([key, value]) => tags[key] === value),
  );
  return selected && selection ? [`node pool ${selection.nodePool}`] : [];
}

function trackedStatus(block: CapacityBlockConfig, reservation: Reservation | undefined, input: StatusInput): BlockStatus {
  const pools = nodePoolsUsing(block.reservation_id, reservation?.tags ?? {}, input.karpenter);
  const nodeGroup = block.consumer === "karpenter" ? [] : [`node group ${block.name}-*`];
  const usedBy = [...nodeGroup, ...pools];
  if (!reservation) {
    return {
      name: block.name,
      reservationId: block.reservation_id,
      tracked: true,
      instanceType: block.instance_type,
      instanceCount: block.instance_count,
      availabilityZone: block.availability_zone,
      state: "not-found",
      timing: "—",
      extensions: [],
      usedBy,
      warnings: [`${block.reservation_id} is not a capacity block in this region: check reservation_id and region in ${input.environment}.tfvars`],
    };
  }
  const mismatches: string[] = [];
  if (reservation.availabilityZone !== block.availability_zone) {
    mismatches.push(
      `availability_zone is ${block.availability_zone} in ${input.environment}.tfvars but the reservation is in ${reservation.availabilityZone}: its node group cannot launch (AZ mismatch)`,
    );
  }
  if (reservation.instanceType !== block.instance_type) {
    mismatches.push(`instance_type is ${block.instance_type} in ${input.environment}.tfvars but the reservation holds ${reservation.instanceType}`);
  }
  if (block.instance_count > reservation.totalInstances) {
    mismatches.push(`instance_count is ${block.instance_count} in ${input.environment}.tfvars but the reservation holds ${reservation.totalInstances}`);
  }
  mismatches.push(...consumerWarnings(block, nodeGroup.length > 0, pools.length > 0, reservation, input.environment));
  return blockStatus({ reservation, input, usedBy, tracked: true, name: block.name, mismatches });
}

/** One consumer per reservation: a node group and a Karpenter pool both launching into it, or nothing at all. */
function consumerWarnings(block: CapacityBlockConfig, nodeGroup: boolean, pool: boolean, reservation: Reservation, environment: string): string[] {
  if (nodeGroup && pool) {
    return [
      `its node group launches into it and Karpenter's node pool also selects it (its tags were changed by hand?): both compete for the same instances; ` +
        `remove the tag blockfleet.io/capacity-consumer=karpenter from ${block.reservation_id}, or move the block to consumer = "karpenter"`,
    ];
  }
  if (!nodeGroup && !pool && reservation.state === "active") {
    return [
      `active, but nothing launches into it: consumer = "karpenter" in ${environment}.tfvars and no node pool selects it (Karpenter or its gpu-capacity-block pool off?)`,
    ];
  }
  return [];
}

function blockStatus(options: {
  reservation: Reservation;
  input: StatusInput;
  usedBy: string[];
  tracked: boolean;
  name?: string;
  mismatches?: string[];
}): BlockStatus {
  const { reservation, input } = options;
  const now = input.now.getTime();
  const extensions = input.extensions.filter(
    (extension) =>
      extension.reservationId === reservation.reservationId &&
      (extension.status !== "payment-succeeded" || (extension.endDate !== undefined && extension.endDate.getTime() > now)),
  );
  const warnings = [...(options.mismatches ?? [])];
  const replacedBy = replacementOf(reservation, input.reservations);
  if (replacedBy && replacedBy.gapMs > 0 && reservation.endDate) {
    warnings.push(
      `replaced by ${replacedBy.reservationId} from ${formatUtc(replacedBy.startDate)}: a gap of ${formatDuration(replacedBy.gapMs)} after its end at ${formatUtc(reservation.endDate)}; raise the gpu-on-demand node pool's limit to run through it`,
    );
  }
  if (!options.tracked && options.usedBy.length === 0 && LIVE_STATES.has(reservation.state)) {
    warnings.push(
      `not in capacity_blocks of ${input.environment}.tfvars and no node pool selects it: nothing ${reservation.state === "active" ? "consumes it while it is paid for" : "will use it"} ` +
        `(declare it in capacity_blocks, or tag it blockfleet.io/capacity-consumer=karpenter plus the pool's reservation_tags)`,
    );
  }
  if (reservation.state === "payment-failed") warnings.push("payment failed: the block will not start");
  if (options.tracked && ENDED_STATES.has(reservation.state)) {
    const ended = reservation.endDate ? ` ${formatDuration(now - reservation.endDate.getTime())} ago` : "";
    warnings.push(`${reservation.state}${ended}: no longer a usable block, remove it from capacity_blocks in ${input.environment}.tfvars`);
  }
  for (const extension of extensions.filter((candidate) => candidate.status === "payment-failed")) {
    warnings.push(`extension to ${extension.endDate ? formatUtc(extension.endDate) : "?"} failed payment: the block ends at its current end date`);
  }
  const end = reservation.endDate?.getTime();
  const extensionOnTheWay = extensions.some((extension) => extension.status !== "payment-failed") || replacedBy !== undefined;
  const openGap = reservation.state === "active" && end !== undefined && end - now <= EXPIRY_WARNING_MS && !extensionOnTheWay;
  if (openGap) {
    warnings.push(
      `ends in ${formatDuration(end - now)} with no extension; its instances are terminated at ${formatUtc(new Date(end - terminationLeadMs(reservation.instanceType)))}; ` +
        `gap from ${formatUtc(new Date(end))}, no replacement bought yet`,
    );
  }
  return {
    ...(options.name ? { name: options.name } : {}),
    reservationId: reservation.reservationId,
    tracked: options.tracked,
    instanceType: reservation.instanceType,
    instanceCount: reservation.totalInstances,
    ...(reservation.state === "active" ? { instancesInUse: Math.max(0, reservation.totalInstances - reservation.availableInstances) } : {}),
    availabilityZone: reservation.availabilityZone,
    state: reservation.state,
    startDate: reservation.startDate,
    endDate: reservation.endDate,
    timing: timing(reservation, now),
    extensions,
    usedBy: options.usedBy,
    ...(replacedBy ? { replacedBy } : {}),
    ...(openGap ? { gap: { from: new Date(end) } } : {}),
    warnings,
  };
}

/** The live reservation bought as this block's replacement, found by its intent tag (the manager's `replace-<id>-…`). */
function replacementOf(reservation: Reservation, reservations: readonly Reservation[]): BlockStatus["replacedBy"] {
  const prefix = `replace-${reservation.reservationId}-`;
  const next = reservations
    .filter((candidate) => candidate.tags[INTENT_ID_TAG]?.startsWith(prefix) && LIVE_STATES.has(candidate.state) && candidate.startDate !== undefined)
    .sort((left, right) => left.startDate!.getTime() - right.startDate!.getTime())[0];
  if (!next?.startDate) return undefined;
  const end = reservation.endDate?.getTime() ?? next.startDate.getTime();
  return { reservationId: next.reservationId, startDate: next.startDate, gapMs: Math.max(0, next.startDate.getTime() - end) };
}

function timing(reservation: Reservation, now: number): string {
  const start = reservation.startDate?.getTime();
  const end = reservation.endDate?.getTime();
  if (start !== undefined && start > now) return `starts in ${formatDuration(start - now)}`;
  if (end !== undefined && end > now) return `${formatDuration(end - now)} left`;
  if (end !== undefined) return `ended ${formatDuration(now - end)} ago`;
  return "—";
}

function stateColour(state: string, colours: Palette): string {
  if (state === "active") return colours.green(state);
  if (state === "scheduled" || state === "payment-pending" || state === "pending") return colours.cyan(state);
  if (state === "payment-failed" || state === "not-found" || state === "failed") return colours.red(state);
  return colours.dim(state);
}

function describeExtension(extension: Extension): string {
  const until = extension.endDate ? ` to ${formatUtc(extension.endDate)}` : "";
  const fee = extension.upfrontFee !== undefined ? ` (${formatMoney(extension.upfrontFee, extension.currency ?? "USD")})` : "";
  const label = { "payment-pending": "pending", "payment-failed": "FAILED", "payment-succeeded": "paid" }[extension.status] ?? extension.status;
  return `${label}${until}${fee}`;
}

/** Extensions and the replacement that continue a block, or "—". */
function continuity(block: BlockStatus): string {
  const parts = block.extensions.map(describeExtension);
  if (block.replacedBy) {
    const gap = block.replacedBy.gapMs > 0 ? `, gap ${formatDuration(block.replacedBy.gapMs)}` : ", no gap";
    parts.push(`replaced by ${block.replacedBy.reservationId} from ${formatUtc(block.replacedBy.startDate)}${gap}`);
  }
  return parts.length > 0 ? parts.join("; ") : "—";
}

/** A status table column; `drop` orders what goes first when the table is wider than the terminal (lowest first). */
interface StatusColumn {
  readonly header: string;
  readonly cell: (block: BlockStatus, colours: Palette) => string;
  readonly drop?: number;
}

const STATUS_COLUMNS: readonly StatusColumn[] = [
  { header: "Name", cell: (block, colours) => block.name ?? colours.dim(block.reservationId) },
  { header: "Reservation", cell: (block) => block.reservationId, drop: 3 },
  { header: "Instances", cell: (block) => `${block.instanceCount} × ${block.instanceType}` },
  { header: "In use", cell: (block) => (block.instancesInUse === undefined ? "—" : `${block.instancesInUse}/${block.instanceCount}`), drop: 7 },
  { header: "AZ", cell: (block) => block.availabilityZone, drop: 5 },
  { header: "State", cell: (block, colours) => stateColour(block.state, colours) },
  { header: "Start (UTC)", cell: (block) => (block.startDate ? formatUtc(block.startDate).replace(" UTC", "") : "—"), drop: 2 },
  { header: "End (UTC)", cell: (block) => (block.endDate ? formatUtc(block.endDate).replace(" UTC", "") : "—"), drop: 6 },
  { header: "Time", cell: (block) => block.timing },
  { header: "Extensions", cell: (block) => continuity(block), drop: 4 },
  { header: "Used by", cell: (block) => (block.usedBy.length > 0 ? block.usedBy.join(", ") : "—"), drop: 1 },
];

export interface StatusRenderOptions {
  /** Terminal width to fit; columns are left out (Used by first) until the table fits. */
  readonly width?: number;
  /** Every column, whatever the width. */
  readonly wide?: boolean;
}

/**
 * The status table and its warnings. Without `wide` it fits `width`: optional columns go (Used by, Start,
 * Reservation, Extensions, AZ, End, In use) until it does, extensions are then listed under the table, and
 * warnings wrap.
 */
export function renderStatus(environment: string, region: string, blocks: readonly BlockStatus[], colours: Palette, options: StatusRenderOptions = {}): string {
  if (blocks.length === 0) {
    return `No capacity blocks tracked by ${environment}.tfvars or live in ${region}.\nFind one with \`blockfleet capacity offerings\`.\n`;
  }
  const width = options.wide ? Number.POSITIVE_INFINITY : (options.width ?? Number.POSITIVE_INFINITY);
  const droppable = STATUS_COLUMNS.filter((column) => column.drop !== undefined).sort((left, right) => left.drop! - right.drop!);
  let columns = [...STATUS_COLUMNS];
  const tableFor = (chosen: readonly StatusColumn[]) =>
    textTable(
      chosen.map((column) => column.header),
      blocks.map((block) => chosen.map((column) => column.cell(block, colours))),
    );
  let table = tableFor(columns);
  const widest = (text: string) => Math.max(...text.split("\n").map((line) => stripAnsi(line).length));
  for (const column of droppable) {
    if (widest(table) <= width) break;
    columns = columns.filter((candidate) => candidate !== column);
    table = tableFor(columns);
  }
  const left = STATUS_COLUMNS.length - columns.length;
  const note = left > 0 ? `\n${colours.dim(`(${left} column${left === 1 ? "" : "s"} left out to fit; --wide shows all, --json everything)`)}` : "";
  // Extensions say whether a block goes on (paid, pending, failed): when their column didn't fit, list them below.
  const extensionsShown = columns.some((column) => column.header === "Extensions");
  const extensionLines = extensionsShown
    ? []
    : blocks.flatMap((block) =>
        block.extensions.map((extension) => wrap(`  ${block.name ?? block.reservationId}: extension ${describeExtension(extension)}`, width, "    ")),
      );
  const extensionList = extensionLines.length > 0 ? `\n\nExtensions:\n${extensionLines.join("\n")}` : "";
  const warnings = blocks.flatMap((block) =>
    block.warnings.map((warning) => colours.yellow(wrap(`⚠ ${block.name ?? block.reservationId}: ${warning}`, width, "  "))),
  );
  return `${colours.bold(`Capacity blocks of ${environment} (${region})`)}\n\n${table}${note}${extensionList}\n${warnings.length > 0 ? `\n${warnings.join("\n")}\n` : ""}`;
}

/** Word-wraps a line to `width`, continuing with `indent`. */
function wrap(text: string, width: number, indent: string): string {
  if (!Number.isFinite(width) || text.length <= width) return text;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

/** How many warnings the blocks carry: `--fail-on-warning` exits non-zero when there is any. */
export function warningCount(blocks: readonly BlockStatus[]): number {
  return blocks.reduce((total, block) => total + block.warnings.length, 0);
}

export function statusJson(environment: string, region: string, blocks: readonly BlockStatus[]): unknown {
  const iso = (date: Date | undefined) => date?.toISOString() ?? null;
  return {
    environment,
    region,
    blocks: blocks.map((block) => ({
      name: block.name ?? null,
      reservation_id: block.reservationId,
      tracked: block.tracked,
      instance_type: block.instanceType,
      instance_count: block.instanceCount,
      instances_in_use: block.instancesInUse ?? null,
      availability_zone: block.availabilityZone,
      state: block.state,
      start_date: iso(block.startDate),
      end_date: iso(block.endDate),
      timing: block.timing,
      extensions: block.extensions.map((extension) => ({
        status: extension.status,
        start_date: iso(extension.startDate),
        end_date: iso(extension.endDate),
        duration_hours: extension.durationHours ?? null,
        upfront_fee: extension.upfrontFee ?? null,
        currency: extension.currency ?? null,
      })),
      used_by: block.usedBy,
      replaced_by: block.replacedBy
        ? {
            reservation_id: block.replacedBy.reservationId,
            start_date: block.replacedBy.startDate.toISOString(),
            gap_hours: Math.round((block.replacedBy.gapMs / 3_600_000) * 100) / 100,
          }
        : null,
      gap: block.gap ? { from: block.gap.from.toISOString(), replacement_bought: false } : null,
      warnings: block.warnings,
    })),
  };
}
