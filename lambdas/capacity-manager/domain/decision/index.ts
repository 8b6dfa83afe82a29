/**
 * The decision for one tracked block: `decide()` walks the record's lifecycle and hands each step to the module
 * named for it. Pure: everything it knows comes in its input, time included; everything it wants done comes out as
 * data (a Decision: field changes, history, actions).
 *
 * - draft.ts: the Decision being built, and notification throttling
 * - lifecycle.ts: reservation states, refresh from EC2, tracking mode, the expiring path
 * - purchase-intent.ts: buying (after the budget), settling unknown outcomes, the unconfirmed hold
 * - extension.ts: when to look, which offering, its approval
 * - replacement.ts: a new block to follow one nothing extends, its gap, settling it by its intent tag
 * - budget.ts: the monthly budget check and the ledger items of purchases
 * - node-group.ts: sizing the linked node group
 * - outcome.ts: applying the purchase call's outcome
 * - messages.ts: every alert and notification text, built from the rule constants
 */
import { RECORD_RETENTION_MS } from "../rules";
import { type Decision, Draft } from "./draft";
import { decideExtension, succeededBeyond, waitForExtensionInFlight } from "./extension";
import type { DecideInput } from "./input";
import { EXTENDABLE_STATES, EXTENDABLE_STATES_TEXT, escalateUnableToAct, isCurrentEnd, refreshFromEc2, terminalStatus, trackOnly } from "./lifecycle";
import { expirationWarned, expirationWarnedReason, notFound } from "./messages";
import { planNodeGroup } from "./node-group";
import { resolveIntent } from "./purchase-intent";
import { followedByReplacement, resolveReplacementIntent } from "./replacement";

export type { Action, Decision } from "./draft";
export { needsExtensionHistory } from "./extension";
export type { DecideInput } from "./input";
export { TRACKING_MODE } from "./messages";
export { applyPurchaseOutcome } from "./outcome";
export { findIntentPurchase } from "./purchase-intent";

/**
 * Decides what to do with one tracked block. Pure: everything it knows comes in `input`,
 * time included; everything it wants done comes out as data.
 */
export function decide(input: DecideInput): Decision {
  const { record, reservation, now } = input;
  const d = new Draft(record, now, input.notificationsEnabled);

  if (!reservation) {
    d.status("NOT_FOUND", `EC2 has no capacity reservation ${record.capacityReservationId} in this account and region`);
    d.set("expiresAt", Math.floor((now.getTime() + RECORD_RETENTION_MS) / 1000));
    d.historyOnStatusChange("NOT_FOUND", `reservation ${record.capacityReservationId} does not exist`);
    d.notify("NOT_FOUND", record.capacityReservationId, notFound(record));
    return d.finish();
  }

  refreshFromEc2(d, reservation);
  const endIso = reservation.endDate ?? record.endDate;
  const endMs = Date.parse(endIso);

  if (reservation.reservationType !== undefined && reservation.reservationType !== "capacity-block") {
    d.status("NOT_EXTENDABLE", `reservation type is ${reservation.reservationType}, not capacity-block`);
    return d.finish();
  }

  if (record.intent?.replacement) {
    resolveReplacementIntent(d, record.intent, input.intentReservations, reservation.endDate ?? record.endDate);
    return d.finish();
  }
  if (record.intent) {
    resolveIntent(d, record.intent, input.extensions, reservation.endDate);
    return d.finish();
  }

  // Every time rule is relative to the real end: without one (a typed-in date is not trusted), decide nothing.
  if (Number.isNaN(endMs)) {
    d.status("TRACKING", `EC2 reports no end date for ${record.capacityReservationId}; nothing is decided until it does`);
    return d.finish();
  }

  const terminal = terminalStatus(reservation.state);
  if (terminal) {
    d.status(terminal, `EC2 reports the reservation as ${reservation.state}`);
    d.set("expiresAt", Math.floor((Math.max(endMs, now.getTime()) + RECORD_RETENTION_MS) / 1000));
    d.set("proposal", null);
    d.historyOnStatusChange(terminal, `reservation is ${reservation.state}`);
    planNodeGroup(d, reservation.state, endMs);
    return d.finish();
  }
  d.set("expiresAt", null);

  if (input.duplicateOf !== undefined) {
    d.status("DUPLICATE", `record ${input.duplicateOf} tracks ${record.capacityReservationId} and makes its decisions; this record never buys, asks or scales`);
    d.set("proposal", null);
    d.historyOnStatusChange("DUPLICATE", `${record.capacityReservationId} is also tracked by ${input.duplicateOf}`);
    return d.finish();
  }

  planNodeGroup(d, reservation.state, endMs);

  if (record.replacedBy && followedByReplacement(d, record.replacedBy, input.replacedByReservation, endIso)) return d.finish();

  // A warning about an end that a paid extension already moved (EC2 not showing the new end yet) is stale.
  const warned = input.expirationWarning && isCurrentEnd(input.expirationWarning.endDate, endMs) && !succeededBeyond(input.extensions, endMs);
  if (warned) {
    d.expiringWithoutExtension = true;
    d.status("EXPIRING", expirationWarnedReason(record, endIso));
    d.historyOnStatusChange("EXPIRING", "EC2 expiration warning received");
    d.notify("EXPIRING", `${endIso}|warning`, expirationWarned(record, endIso));
    return d.finish();
  }

  if (!EXTENDABLE_STATES.has(reservation.state)) {
    d.status("TRACKING", `reservation is ${reservation.state}; only ${EXTENDABLE_STATES_TEXT} blocks can be extended`);
    escalateUnableToAct(
      d,
      endIso,
      `reservation ${reservation.state}`,
      `EC2 reports the reservation as ${reservation.state}; only ${EXTENDABLE_STATES_TEXT} blocks can be extended`,
    );
    return d.finish();
  }

  if (waitForExtensionInFlight(d, input.extensions, endIso, endMs)) return d.finish();

  if (input.extensionsEnabled === false) {
    trackOnly(d, endIso);
    return d.finish();
  }

  decideExtension(d, input, endIso, endMs);
  return d.finish();
}
