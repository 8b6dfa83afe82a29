/**
 * The record's lifecycle around what EC2 reports: the reservation states that end a record or rule out an
 * extension, refreshing the record from EC2, tracking mode, and the expiring path (the 24 h flag and the 48/24/6 h
 * escalation) every decision that leaves a block unextended goes through.
 */
import type { ReservationState } from "../../../../src/lib/capacity-blocks/facts";
import { ESCALATION_BEFORE_END_MS, EXPIRING_HORIZON_MS, HOUR_MS, MINUTE_MS } from "../rules";
import type { Proposal, RecordStatus, ReservationView } from "../types";
import type { Draft } from "./draft";
import { expiringSoon, gapExpected, notExtendedReason, TRACKING_MODE, unableToAct } from "./messages";

/**
 * Reservation states that end a record, and the status each leaves it in. `payment-failed` is not one: a block
 * whose payment failed is still looked at (its replacement link is dropped; see DEAD_NEW_BLOCK_STATES).
 */
export const TERMINAL_STATES: Readonly<Partial<Record<ReservationState, Extract<RecordStatus, "EXPIRED" | "NOT_EXTENDABLE">>>> = Object.freeze({
  expired: "EXPIRED",
  cancelled: "NOT_EXTENDABLE",
  cancelling: "NOT_EXTENDABLE",
  failed: "NOT_EXTENDABLE",
  unsupported: "NOT_EXTENDABLE",
  unavailable: "NOT_EXTENDABLE",
});

/** The status a reservation in `state` ends its record in, or undefined when the state ends nothing. */
export function terminalStatus(state: string): "EXPIRED" | "NOT_EXTENDABLE" | undefined {
  return Object.hasOwn(TERMINAL_STATES, state) ? TERMINAL_STATES[state as ReservationState] : undefined;
}

/** The state of a block that is running now (its node group may hold nodes). */
export const ACTIVE_STATE = "active" satisfies ReservationState;

/** Only active or scheduled blocks can be extended (EC2 refuses the others). */
export const EXTENDABLE_STATES: ReadonlySet<string> = new Set<ReservationState>(["active", "scheduled"]);
/** "active or scheduled", for the reasons that say why a block cannot be extended. */
export const EXTENDABLE_STATES_TEXT = [...EXTENDABLE_STATES].join(" or ");

/** Reservation states of a new block that mean it will never run (its payment failed or EC2 gave up on it). */
export const DEAD_NEW_BLOCK_STATES: ReadonlySet<string> = new Set<ReservationState>(["payment-failed", "failed", "cancelled", "unavailable"]);

/** Two dates this close are the same end (EC2 and an event may round differently). */
export const SAME_INSTANT_TOLERANCE_MS = MINUTE_MS;

/** Whether an expiration warning is about the block's current end (a warning without a readable end is). */
export function isCurrentEnd(warnedEnd: string | undefined, endMs: number): boolean {
  if (warnedEnd === undefined || Number.isNaN(Date.parse(warnedEnd))) return true;
  return Math.abs(Date.parse(warnedEnd) - endMs) <= SAME_INSTANT_TOLERANCE_MS;
}

export function refreshFromEc2(d: Draft, r: ReservationView): void {
  d.set("reservationState", r.state);
  if (r.startDate) d.set("startDate", r.startDate);
  if (r.endDate) d.set("endDate", r.endDate);
  if (r.instanceType) d.set("instanceType", r.instanceType);
  if (r.availabilityZone) d.set("availabilityZone", r.availabilityZone);
  if (r.instanceCount !== undefined) d.set("instanceCount", r.instanceCount);
  if (r.tenancy) d.set("tenancy", r.tenancy);
  if (r.platform) d.set("platform", r.platform);
}

/** Tracking mode: no proposal, no approval request, no purchase; alerts as the end comes close. */
export function trackOnly(d: Draft, endIso: string): void {
  d.set("proposal", null);
  d.set("approved", false);
  d.status("TRACKING", `${TRACKING_MODE}: nothing is proposed or bought for the block ending ${endIso}`);
  escalateUnableToAct(d, endIso, "tracking mode", `${TRACKING_MODE}; turn it on to let the manager extend blocks`);
}

/**
 * The expiring path for a block the manager cannot act for: counted in ExpiringWithoutExtension within
 * EXPIRING_HORIZON_MS of its end, the reason says so, and one alert goes out as the end comes within each of
 * ESCALATION_BEFORE_END_MS (48 h, 24 h and 6 h).
 */
export function escalateUnableToAct(d: Draft, endIso: string, short: string, why: string): void {
  const endMs = Date.parse(endIso);
  const left = endMs - d.now.getTime();
  if (Number.isNaN(endMs) || left <= 0) return;
  if (left <= EXPIRING_HORIZON_MS) {
    d.expiringWithoutExtension = true;
    if (d.decidedReason !== undefined) d.set("statusReason", notExtendedReason(d.decidedReason, endIso));
  }
  const stage = [...ESCALATION_BEFORE_END_MS].reverse().find((before) => left <= before);
  if (stage === undefined) return;
  const hours = stage / HOUR_MS;
  d.notifyOnce("EXPIRING", `${endIso}|unable|${hours}h`, unableToAct(d.record, endIso, hours, short, why));
}

/** Within EXPIRING_HORIZON_MS of an end nothing extends: counted, marked EXPIRING (unless decided otherwise), alerted. */
export function flagExpiring(d: Draft, endIso: string, endMs: number, why: string): void {
  if (endMs - d.now.getTime() > EXPIRING_HORIZON_MS) return;
  d.expiringWithoutExtension = true;
  const decided = d.decided;
  if (decided === undefined || decided === "TRACKING" || decided === "APPROVED" || decided === "EXPIRING") {
    d.status("EXPIRING", `block ends at ${endIso} with no extension (${why})`);
  }
  d.notify("EXPIRING", endIso, expiringSoon(d.record, endIso, why));
}

/** Records a gap the manager cannot close and alerts once per (end, replacement start), as soon as it is known. */
export function reportGap(d: Draft, endIso: string, target: Proposal["replacement"], reason: string): void {
  const { record } = d;
  const gap = { startDate: endIso, ...(target ? { hours: target.gapHours } : {}), reason };
  d.set("gap", gap);
  const key = `${endIso}|${target?.startDate ?? "none"}`;
  const length = target ? `${target.gapHours} h (until ${target.startDate})` : "open-ended (nothing within the policy is on sale)";
  if (record.notifications?.GAP?.key !== key) d.append("GAP_EXPECTED", `${reason}; gap from ${endIso}: ${length}`);
  d.notifyOnce("GAP", key, gapExpected(record, endIso, length, reason));
}
