import {
  APPROVAL_LEAD_MS,
  ESCALATION_BEFORE_END_MS,
  EXPIRING_HORIZON_MS,
  HOUR_MS,
  INTENT_RESOLUTION_GRACE_MS,
  MINUTE_MS,
  NODE_GROUP_SCALE_DOWN_BEFORE_END_MS,
  OFFERINGS_CLOSE_BEFORE_END_MS,
  OFFERINGS_OPEN_BEFORE_END_MS,
  PAYMENT_CUTOFF_BEFORE_END_MS,
  PAYMENT_MAX_MS,
  PURCHASE_CLOCK_SKEW_MS,
  RECORD_RETENTION_MS,
  REMINDER_INTERVAL_MS,
} from "./rules";
import { chooseReplacement, newBlockQueryOf, replacementPolicyOf } from "./replace";
import { nextRejectedPurchases, REPEATED_REJECTIONS } from "./rejections";
import type {
  CapacityRecord,
  ExtensionView,
  HistoryEntry,
  HistoryKind,
  LastExtension,
  NewBlockOfferingView,
  NewBlockQuery,
  NotificationKind,
  NotificationMark,
  OfferingView,
  Proposal,
  PurchaseIntent,
  RecordChanges,
  RecordStatus,
  ReservationView,
} from "./types";
import { budgetVerdict, SPEND_CURRENCY, type BudgetState, type PurchaseKind, type SpendEntry } from "./spend";

/** A side effect the reconciler performs after the record write that announces it. */
export type Action =
  | { readonly kind: "purchase"; readonly intent: PurchaseIntent }
  /**
   * Track a new block bought as a replacement as its own record (created before the write that links the old
   * record to it; an existing record of that PK means it is tracked already).
   */
  | { readonly kind: "trackNewBlock"; readonly record: CapacityRecord; readonly history: readonly HistoryEntry[] }
  | {
      readonly kind: "notify";
      readonly notification: NotificationKind;
      readonly subject: string;
      readonly message: string;
      /** Sent once, without reminders: the reconciler records its delivery (`deliveredAt`). */
      readonly once?: boolean;
      /** Publishes SNS refused before this one (a retry of the same message, not a new request). */
      readonly retry?: number;
    }
  | {
      readonly kind: "scaleNodeGroup";
      readonly clusterName: string;
      readonly nodegroupName: string;
      readonly desiredSize: number;
      readonly reason: string;
    };

export interface Decision {
  /** Fields to write (conditionally on the record's version). Empty: nothing changed. */
  readonly changes: RecordChanges;
  readonly history: readonly HistoryEntry[];
  readonly actions: readonly Action[];
  /** Set when the decision needs extension offerings: fetch them and decide again. */
  readonly needsOfferings?: { readonly durationHours: number };
  /** Set when the decision needs new-block offerings (a replacement): fetch them (once per query per run) and decide again. */
  readonly needsNewBlockOfferings?: NewBlockQuery;
  /** The block ends within 24 h and nothing extends it. */
  readonly expiringWithoutExtension: boolean;
}

export interface DecideInput {
  readonly record: CapacityRecord;
  /** undefined: EC2 does not know the reservation. */
  readonly reservation: ReservationView | undefined;
  /** Extension history of this reservation (empty when it was not needed). */
  readonly extensions: readonly ExtensionView[];
  /** Offerings for `record.extendByHours`; undefined when not fetched yet. */
  readonly offerings?: readonly OfferingView[];
  /** New-block offerings for the record's replacement query; undefined when not fetched yet. */
  readonly newBlockOfferings?: readonly NewBlockOfferingView[];
  /**
   * For a record holding a replacement intent: the reservations EC2 finds tagged `blockfleet.io/intent-id` with
   * it (empty: none). undefined when they were not looked up: the intent is then not settled this run.
   */
  readonly intentReservations?: readonly ReservationView[];
  /**
   * The environment lets the manager buy new blocks (`allow_new_purchases`, and a market to buy them from).
   * Without it a record's `allowReplacement` buys nothing and the gap is reported instead.
   * @default false
   */
  readonly newPurchasesEnabled?: boolean;
  /** For a record replaced by a new block: that block's reservation as EC2 reports it (undefined: unknown). */
  readonly replacedByReservation?: ReservationView;
  readonly now: Date;
  /** False when no SNS topic is configured: nobody can be told, so nothing is auto-approved either. */
  readonly notificationsEnabled: boolean;
  /**
   * False in tracking mode (`capacity_manager.extensions_enabled = false`): nothing is proposed or bought, the block
   * is tracked, its node group scaled and its coming end alerted on. A purchase already under way is still confirmed.
   * @default true
   */
  readonly extensionsEnabled?: boolean;
  /**
   * An EC2 "Capacity Block … Expiration Warning" event arrived for this reservation, about the
   * block end `endDate` (a stale warning for an end that was since extended is ignored).
   */
  readonly expirationWarning?: { readonly endDate?: string };
  /**
   * PK of the record that owns this reservation's decisions when several records track it (see
   * `reservationOwners`). Two owners would each buy an extension for the same end.
   */
  readonly duplicateOf?: string;
  /**
   * The UTC month's budget and what is already committed in it (ledger, intents in flight or unknown, purchases whose
   * ledger item is pending). Set, every purchase is checked against it; no approval overrides a refusal.
   * @default undefined — no budget (tracking mode: nothing is bought)
   */
  readonly budget?: BudgetState;
}

/** Outcome of one PurchaseCapacityBlockExtension call, as classified by the EC2 adapter. */
export type PurchaseOutcome =
  | { readonly kind: "purchased"; readonly extension?: ExtensionView; readonly reservation?: ReservationView }
  /** EC2 refused before buying (validation, unknown offering, throttling): nothing was bought. */
  | { readonly kind: "rejected"; readonly code: string; readonly message: string }
  /** Timeout, network error or 5xx: the purchase may have gone through. */
  | { readonly kind: "unknown"; readonly message: string };

const TERMINAL_STATES: Readonly<Record<string, "EXPIRED" | "NOT_EXTENDABLE">> = {
  expired: "EXPIRED",
  cancelled: "NOT_EXTENDABLE",
  cancelling: "NOT_EXTENDABLE",
  failed: "NOT_EXTENDABLE",
  unsupported: "NOT_EXTENDABLE",
  unavailable: "NOT_EXTENDABLE",
};
const EXTENDABLE_STATES = new Set(["active", "scheduled"]);
const SAME_INSTANT_TOLERANCE_MS = MINUTE_MS;

/** Mutable accumulator behind one decision. */
class Draft {
  readonly changes: Record<string, unknown> = {};
  readonly history: HistoryEntry[] = [];
  readonly actions: Action[] = [];
  private notifications: Partial<Record<NotificationKind, NotificationMark>>;
  private notificationsChanged = false;
  needsOfferings?: { durationHours: number };
  needsNewBlockOfferings?: NewBlockQuery;
  expiringWithoutExtension = false;

  constructor(
    readonly record: CapacityRecord,
    readonly now: Date,
    readonly notificationsEnabled: boolean,
  ) {
    this.notifications = { ...(record.notifications ?? {}) };
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  set<K extends keyof RecordChanges>(field: K, value: RecordChanges[K]): void {
    const current = (this.record as unknown as Record<string, unknown>)[field];
    // Removing a field the record does not have, or setting the stored value, writes nothing.
    if ((value === null && current === undefined) || sameValue(current, value)) {
      delete this.changes[field];
      return;
    }
    this.changes[field] = value;
  }

  /** The status this decision settled on (also when equal to the stored one, so no change is written). */
  decided: RecordStatus | undefined;

  /** The reason given with `decided`. */
  decidedReason: string | undefined;

  status(status: RecordStatus, reason: string): void {
    this.decided = status;
    this.decidedReason = reason;
    this.set("status", status);
    this.set("statusReason", reason);
  }

  /** Appends history once per status change (so a record that waits for hours does not grow). */
  historyOnStatusChange(kind: HistoryKind, detail: string, extra: Partial<HistoryEntry> = {}): void {
    if (this.record.status === this.changes["status"] || this.changes["status"] === undefined) return;
    this.append(kind, detail, extra);
  }

  append(kind: HistoryKind, detail: string, extra: Partial<HistoryEntry> = {}): void {
    this.history.push({ at: this.nowIso, kind, detail, ...extra });
  }

  /**
   * Notifies at once for a new `key` or a fee above the one last shown, then at most every 6 hours.
   * Returns whether it notified.
   */
  notify(kind: NotificationKind, key: string, subject: string, message: string, feeUsd?: number): boolean {
    return this.send(kind, key, subject, message, REMINDER_INTERVAL_MS, feeUsd);
  }

  /**
   * Notifies once per `key`, without reminders. Until its delivery is recorded it is sent again by the next
   * run (SNS refused it, or the write that marked it lost its reply), so it is sent at least once.
   */
  notifyOnce(kind: NotificationKind, key: string, subject: string, message: string): boolean {
    const mark = this.notifications[kind];
    if (!this.notificationsEnabled || (mark?.key === key && mark.deliveredAt !== undefined)) return false;
    if (mark?.key === key && this.waitingToRetry(mark)) return false;
    this.mark(kind, key, subject, message, undefined, true);
    return true;
  }

  /** A refused publish of this very message waits for its retry time (the backoff the reconciler set). */
  private waitingToRetry(mark: NotificationMark): boolean {
    return (mark.failedAttempts ?? 0) > 0 && mark.retryAt !== undefined && this.now.getTime() < Date.parse(mark.retryAt);
  }

  private send(kind: NotificationKind, key: string, subject: string, message: string, repeatAfterMs: number, feeUsd?: number): boolean {
    if (!this.notificationsEnabled) return false;
    const mark = this.notifications[kind];
    const feeRose = feeUsd !== undefined && mark?.feeUsd !== undefined && feeUsd > mark.feeUsd;
    if (mark && mark.key === key && !feeRose) {
      // The same message: a refused publish is retried on its backoff, a delivered one reminded after the interval.
      if ((mark.failedAttempts ?? 0) > 0) {
        if (this.waitingToRetry(mark)) return false;
      } else if (this.now.getTime() - Date.parse(mark.at) < repeatAfterMs) {
        return false;
      }
    }
    // A higher fee is a new request (shown to approvers anew), not a retry of the refused one.
    this.mark(kind, key, subject, message, feeUsd, false, feeRose);
    return true;
  }

  private mark(kind: NotificationKind, key: string, subject: string, message: string, feeUsd: number | undefined, once: boolean, newContent = false): void {
    const previous = this.notifications[kind];
    // Retrying the same message keeps the count of refused publishes, so the backoff grows and the retry is told apart.
    const retry = !newContent && previous?.key === key && (previous.failedAttempts ?? 0) > 0 ? previous.failedAttempts : undefined;
    this.notifications[kind] = { at: this.nowIso, key, ...(feeUsd !== undefined ? { feeUsd } : {}), ...(retry !== undefined ? { failedAttempts: retry } : {}) };
    this.notificationsChanged = true;
    this.actions.push({ kind: "notify", notification: kind, subject, message, ...(once ? { once } : {}), ...(retry !== undefined ? { retry } : {}) });
  }

  finish(): Decision {
    if (this.notificationsChanged) this.changes["notifications"] = this.notifications;
    // Only records that changed are written, so a quiet minute costs no writes.
    if (Object.keys(this.changes).length > 0 || this.history.length > 0) this.changes["lastReconciledAt"] = this.nowIso;
    return {
      changes: this.changes as RecordChanges,
      history: this.history,
      actions: this.actions,
      ...(this.needsOfferings ? { needsOfferings: this.needsOfferings } : {}),
      ...(this.needsNewBlockOfferings ? { needsNewBlockOfferings: this.needsNewBlockOfferings } : {}),
      expiringWithoutExtension: this.expiringWithoutExtension,
    };
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const usd = (fee: number): string => `$${fee.toFixed(2)}`;

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
    d.notify(
      "NOT_FOUND",
      record.capacityReservationId,
      `Capacity block ${record.capacityReservationId} not found`,
      `Record ${record.PK} tracks ${record.capacityReservationId}, which EC2 does not know. Fix or delete the record.`,
    );
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

  const terminal = TERMINAL_STATES[reservation.state];
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
    d.status("EXPIRING", `EC2 warned that the block ends at ${endIso}; instances are terminated 30 minutes before`);
    d.historyOnStatusChange("EXPIRING", "EC2 expiration warning received");
    d.notify(
      "EXPIRING",
      `${endIso}|warning`,
      `Capacity block ${record.capacityReservationId} is about to expire`,
      `EC2 warned that ${record.capacityReservationId} (${record.PK}) ends at ${endIso}.`,
    );
    return d.finish();
  }

  if (!EXTENDABLE_STATES.has(reservation.state)) {
    d.status("TRACKING", `reservation is ${reservation.state}; only active or scheduled blocks can be extended`);
    escalateUnableToAct(d, endIso, `reservation ${reservation.state}`, `EC2 reports the reservation as ${reservation.state}; only active or scheduled blocks can be extended`);
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

/** Tracking mode: no proposal, no approval request, no purchase; alerts as the end comes close. */
function trackOnly(d: Draft, endIso: string): void {
  d.set("proposal", null);
  d.set("approved", false);
  d.status("TRACKING", `${TRACKING_MODE}: nothing is proposed or bought for the block ending ${endIso}`);
  escalateUnableToAct(d, endIso, "tracking mode", `${TRACKING_MODE}; turn it on to let the manager extend blocks`);
}

/** How the reason and alerts name tracking mode (the same words as `capacity status` and the docs). */
export const TRACKING_MODE = "tracking mode (capacity_manager.extensions_enabled = false: extension purchasing is off)";

/** A paid extension whose new end EC2's reservation does not show yet. */
function succeededBeyond(extensions: readonly ExtensionView[], endMs: number): ExtensionView | undefined {
  return extensions.find((e) => e.status === "payment-succeeded" && e.endDate !== undefined && Date.parse(e.endDate) > endMs + SAME_INSTANT_TOLERANCE_MS);
}

function isCurrentEnd(warnedEnd: string | undefined, endMs: number): boolean {
  if (warnedEnd === undefined || Number.isNaN(Date.parse(warnedEnd))) return true;
  return Math.abs(Date.parse(warnedEnd) - endMs) <= SAME_INSTANT_TOLERANCE_MS;
}

/** When decisions about this block begin (approval requests first, then the purchase window). */
function considerFromMs(record: CapacityRecord, endMs: number): number {
  const windowStart = endMs - record.extendBeforeHours * HOUR_MS;
  return Math.max(endMs - OFFERINGS_OPEN_BEFORE_END_MS, record.requireApproval ? windowStart - APPROVAL_LEAD_MS : windowStart);
}

/**
 * Whether deciding about this record needs its EC2 extension history: a purchase is in flight or
 * was made, or the block is close enough to its end that the manager may act.
 */
export function needsExtensionHistory(record: CapacityRecord, reservation: ReservationView | undefined, now: Date): boolean {
  if (!reservation) return false;
  if (record.intent || record.status === "PURCHASING" || record.status === "EXTENSION_PENDING" || record.status === "PAYMENT_FAILED") return true;
  const endMs = Date.parse(reservation.endDate ?? record.endDate);
  return now.getTime() >= considerFromMs(record, endMs) && now.getTime() < endMs;
}

function refreshFromEc2(d: Draft, r: ReservationView): void {
  d.set("reservationState", r.state);
  if (r.startDate) d.set("startDate", r.startDate);
  if (r.endDate) d.set("endDate", r.endDate);
  if (r.instanceType) d.set("instanceType", r.instanceType);
  if (r.availabilityZone) d.set("availabilityZone", r.availabilityZone);
  if (r.instanceCount !== undefined) d.set("instanceCount", r.instanceCount);
  if (r.tenancy) d.set("tenancy", r.tenancy);
  if (r.platform) d.set("platform", r.platform);
}

/** Purchased no earlier than `notBefore` (entries without a purchase date cannot be ruled out). */
const purchasedSince = (e: ExtensionView, notBefore: number): boolean => e.purchaseDate === undefined || Date.parse(e.purchaseDate) >= notBefore;

const SAME_PURCHASE_TOLERANCE_MS = 1000;
const sameInstant = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && Math.abs(Date.parse(a) - Date.parse(b)) <= SAME_PURCHASE_TOLERANCE_MS;
const purchasedMs = (e: ExtensionView): number => (e.purchaseDate === undefined ? -Infinity : Date.parse(e.purchaseDate));

/** Whether `e` is the extension recorded as `last` (offering and EC2's purchase date; without that date, never). */
function isRecordedExtension(e: ExtensionView, last: LastExtension | undefined): boolean {
  return last !== undefined && e.offeringId === last.offeringId && sameInstant(e.purchaseDate, last.extensionPurchaseDate);
}

/**
 * The extension in EC2's history that a purchase intent produced, if any. An offering id repeats when the same
 * offering is bought again after a failed payment, so a purchase is identified by the intent's own time: only
 * entries bought since it started (less the clock skew) count, never the extension already recorded for the
 * previous purchase, and of those the latest purchase of the intent's offering (then any later purchase, which
 * also means the block end must not be bought again).
 */
export function findIntentPurchase(intent: PurchaseIntent, extensions: readonly ExtensionView[], previous?: LastExtension): ExtensionView | undefined {
  const notBefore = Date.parse(intent.startedAt) - PURCHASE_CLOCK_SKEW_MS;
  const since = extensions.filter((e) => purchasedSince(e, notBefore) && !isRecordedExtension(e, previous));
  const latest = (list: ExtensionView[]) => list.reduce<ExtensionView | undefined>((best, e) => (best === undefined || purchasedMs(e) > purchasedMs(best) ? e : best), undefined);
  return latest(since.filter((e) => e.offeringId === intent.offeringId)) ?? latest(since.filter((e) => e.purchaseDate !== undefined));
}

/**
 * The history entry of the last purchase: by EC2's purchase date when EC2 reported it, otherwise the latest
 * purchase of its offering since its intent started (a payment that failed before a re-purchase of the same
 * offering is older, so it is never taken for the new one).
 */
function lastExtensionEntry(last: LastExtension, extensions: readonly ExtensionView[]): ExtensionView | undefined {
  if (last.extensionPurchaseDate !== undefined) return extensions.find((e) => isRecordedExtension(e, last));
  const notBefore = Date.parse(last.intentStartedAt ?? last.purchasedAt) - PURCHASE_CLOCK_SKEW_MS;
  return extensions
    .filter((e) => e.offeringId === last.offeringId && purchasedSince(e, notBefore))
    .reduce<ExtensionView | undefined>((best, e) => (best === undefined || purchasedMs(e) > purchasedMs(best) ? e : best), undefined);
}

/** The reservation's end as EC2 reports it, when a paid extension has moved it past the intent's base end. */
function endMovedPast(intent: PurchaseIntent, reservationEnd: string | undefined): string | undefined {
  if (reservationEnd === undefined) return undefined;
  const endMs = Date.parse(reservationEnd);
  return endMs > Date.parse(intent.forEndDate) + SAME_INSTANT_TOLERANCE_MS ? reservationEnd : undefined;
}

/**
 * Settles a purchase whose outcome was unknown, from EC2's truth only: the extension history, or the block's
 * end having moved past the end the intent extended. EC2's history can lag, so when neither shows the purchase
 * after the grace period the intent is never dropped into a new purchase: it is held for a person.
 */
function resolveIntent(d: Draft, intent: PurchaseIntent, extensions: readonly ExtensionView[], reservationEnd: string | undefined): void {
  const bought = findIntentPurchase(intent, extensions, d.record.lastExtension);
  if (bought) {
    recordPurchase(d, intent, bought, "PURCHASE_CONFIRMED", "EC2 extension history shows the purchase");
    return;
  }
  const movedTo = endMovedPast(intent, reservationEnd);
  if (movedTo) {
    const detail = `EC2 reports the block's end moved from ${intent.forEndDate} to ${movedTo}: the extension was bought and paid`;
    recordPurchase(d, intent, undefined, "PURCHASE_CONFIRMED", detail);
    d.status("TRACKING", detail);
    return;
  }
  const waited = d.now.getTime() - Date.parse(intent.startedAt);
  if (waited < INTENT_RESOLUTION_GRACE_MS) {
    d.status(
      "PURCHASING",
      `purchase ${intent.intentId} started at ${intent.startedAt}; waiting for EC2's extension history before any new attempt`,
    );
    return;
  }
  holdUnconfirmedPurchase(d, intent, waited, reservationEnd ?? d.record.endDate);
}

/** Stops all buying for the block, tells people once what to check, and waits for an approver (PATCH). */
function holdUnconfirmedPurchase(d: Draft, intent: PurchaseIntent, waitedMs: number, endIso: string): void {
  const { record } = d;
  const endMs = Date.parse(endIso);
  const deadline = Number.isNaN(endMs) ? "unknown (EC2 reports no end date)" : iso(endMs - PAYMENT_MAX_MS - PAYMENT_CUTOFF_BEFORE_END_MS);
  const minutes = Math.round(waitedMs / MINUTE_MS);
  const clear = `PATCH /${encodeURIComponent(record.PK)} with body {"clearUnconfirmedPurchase": true}`;
  d.status(
    "PURCHASE_UNCONFIRMED",
    `purchase ${intent.intentId} (offering ${intent.offeringId}, ${usd(intent.feeUsd)}) is neither in EC2's extension history nor visible in the block's end (${endIso}) ${minutes} min after it started; nothing is bought for this block until an approver checks EC2 and clears it (${clear}); a replacement must be bought by ${deadline}`,
  );
  d.historyOnStatusChange("PURCHASE_UNCONFIRMED", `no extension in EC2 history and no new end ${minutes} min after the intent; held for an approver`, {
    intentId: intent.intentId,
    offeringId: intent.offeringId,
    feeUsd: intent.feeUsd,
    durationHours: intent.durationHours,
  });
  const id = record.capacityReservationId;
  d.notifyOnce(
    "PURCHASE_UNCONFIRMED",
    intent.intentId,
    `Capacity block ${id}: purchase unconfirmed, manager stopped`,
    [
      `Record: ${record.PK} (${id}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Purchase intent: ${intent.intentId}: extend the block ending ${intent.forEndDate} by ${intent.durationHours} h with offering ${intent.offeringId} for ${usd(intent.feeUsd)}, started ${intent.startedAt}${intent.approvedBy ? `, approved by ${intent.approvedBy}` : ""}`,
      `Outcome: the PurchaseCapacityBlockExtension call timed out or failed on EC2's side; ${minutes} min later EC2's extension history shows no such purchase and the block still ends at ${endIso}.`,
      `Deadline: a replacement extension must be bought by ${deadline} (payment can take 12 h and must clear 35 min before the end); instances are terminated 30 min before ${endIso}.`,
      intent.replacement
        ? `Check: aws ec2 describe-capacity-reservations --filters Name=tag:blockfleet.io/intent-id,Values=${intent.intentId} (the replacement block ${intent.offeringId} in ${intent.replacement.availabilityZone}, bought if it shows up in any state).`
        : `Check: aws ec2 describe-capacity-block-extension-history --capacity-reservation-ids ${id} (an extension of ${intent.offeringId} bought since ${intent.startedAt}, in any status) and aws ec2 describe-capacity-reservations --capacity-reservation-ids ${id} (an end date later than ${intent.forEndDate}).`,
      `If either shows the purchase: do nothing, the manager confirms it on its own. If neither does: an approver clears the hold with ${clear}; the manager then proposes or buys again (asking for approval if the record requires it).`,
    ].join("\n"),
  );
  escalateUnableToAct(d, endIso, "purchase held", `purchase ${intent.intentId} is held as unconfirmed; nothing extends the block until an approver checks EC2 and clears it (${clear})`);
}

/**
 * The expiring path for a block the manager cannot act for: counted in ExpiringWithoutExtension within 24 h of
 * its end, the reason says so, and one alert goes out as the end comes within 48 h, 24 h and 6 h.
 */
function escalateUnableToAct(d: Draft, endIso: string, short: string, why: string): void {
  const endMs = Date.parse(endIso);
  const left = endMs - d.now.getTime();
  if (Number.isNaN(endMs) || left <= 0) return;
  if (left <= EXPIRING_HORIZON_MS) {
    d.expiringWithoutExtension = true;
    if (d.decidedReason !== undefined) d.set("statusReason", `${d.decidedReason}; the block ends at ${endIso} (within 24 h) and is not extended`);
  }
  const stage = [...ESCALATION_BEFORE_END_MS].reverse().find((before) => left <= before);
  if (stage === undefined) return;
  const hours = stage / HOUR_MS;
  const { record } = d;
  d.notifyOnce(
    "EXPIRING",
    `${endIso}|unable|${hours}h`,
    `Capacity block ${record.capacityReservationId} ends within ${hours} h: ${short}, manager cannot extend it`,
    [
      `Record: ${record.PK} (${record.capacityReservationId}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Ends: ${endIso} (within ${hours} h); instances are terminated 30 minutes before.`,
      `Why nothing extends it: ${why}.`,
    ].join("\n"),
  );
}

function recordPurchase(
  d: Draft,
  intent: PurchaseIntent,
  extension: ExtensionView | undefined,
  kind: HistoryKind,
  detail: string,
): void {
  const failed = extension?.status === "payment-failed";
  d.set("intent", null);
  d.set("approval", null);
  d.set("approved", false);
  d.set("proposal", null);
  d.set("lastExtension", {
    intentId: intent.intentId,
    offeringId: extension?.offeringId ?? intent.offeringId,
    feeUsd: extension?.feeUsd ?? intent.feeUsd,
    durationHours: intent.durationHours,
    forEndDate: intent.forEndDate,
    // The call follows the intent's write within the same run; EC2's own date wins when it is known.
    purchasedAt: extension?.purchaseDate ?? intent.startedAt,
    intentStartedAt: intent.startedAt,
    ...(extension?.purchaseDate !== undefined ? { extensionPurchaseDate: extension.purchaseDate } : {}),
    ...(failed ? { paymentFailed: true } : {}),
  });
  d.append(kind, detail, {
    intentId: intent.intentId,
    offeringId: intent.offeringId,
    feeUsd: extension?.feeUsd ?? intent.feeUsd,
    durationHours: intent.durationHours,
    ...(intent.approvedBy ? { approvedBy: intent.approvedBy } : {}),
  });
  if (failed) {
    markPaymentFailed(d, intent.offeringId);
    return;
  }
  d.set("unledgered", [...(d.record.unledgered ?? []).filter((e) => e.intentId !== intent.intentId), extensionSpend(d.record, intent, extension)]);
  d.status("EXTENSION_PENDING", `extension ${intent.offeringId} bought for the block ending ${intent.forEndDate}; waiting for payment`);
}

/** The ledger item of an extension settled as bought (its month is the intent's, so a late settlement lands there too). */
export function extensionSpend(record: CapacityRecord, intent: PurchaseIntent, extension: ExtensionView | undefined): SpendEntry {
  const newEnd = extension?.endDate ?? iso(Date.parse(intent.forEndDate) + intent.durationHours * HOUR_MS);
  return {
    intentId: intent.intentId,
    kind: "extension",
    recordPk: record.PK,
    capacityReservationId: record.capacityReservationId,
    offeringId: extension?.offeringId ?? intent.offeringId,
    feeUsd: extension?.feeUsd ?? intent.feeUsd,
    currency: SPEND_CURRENCY,
    startDate: intent.forEndDate,
    endDate: newEnd,
    purchasedAt: intent.startedAt,
    ...(extension?.purchaseDate !== undefined ? { ec2PurchaseDate: extension.purchaseDate } : {}),
    ...(intent.approvedBy ? { approvedBy: intent.approvedBy } : {}),
    reason: `extend ${record.capacityReservationId} (${record.instanceCount} x ${record.instanceType}) by ${intent.durationHours} h from ${intent.forEndDate}; ${intent.approvedBy ? `approved by ${intent.approvedBy}` : "no approval required by the record's policy"}`,
  };
}

function markPaymentFailed(d: Draft, offeringId: string): void {
  const { record } = d;
  d.status("PAYMENT_FAILED", `payment for extension ${offeringId} failed`);
  d.append("PAYMENT_FAILED", `EC2 reports payment-failed for ${offeringId}`, { offeringId });
  d.notify(
    "PAYMENT_FAILED",
    offeringId,
    `Capacity block ${record.capacityReservationId}: extension payment failed`,
    `Payment for extension ${offeringId} of ${record.capacityReservationId} (${record.PK}) failed. The manager will try a new offering if time allows.`,
  );
}

/** True when an extension is already under way for this end, so nothing may be bought. */
function waitForExtensionInFlight(d: Draft, extensions: readonly ExtensionView[], endIso: string, endMs: number): boolean {
  const { record } = d;
  const last = record.lastExtension;
  // The last purchase's own entry (never another purchase of the same offering) says whether its payment failed.
  const lastFailed = last && !last.paymentFailed && lastExtensionEntry(last, extensions)?.status === "payment-failed";
  if (last && lastFailed) {
    d.set("lastExtension", { ...last, paymentFailed: true });
    markPaymentFailed(d, last.offeringId);
  }
  const pending = extensions.find((e) => e.status === "payment-pending") ?? succeededBeyond(extensions, endMs);
  if (pending) {
    d.status("EXTENSION_PENDING", `extension ${pending.offeringId} is ${pending.status}; EC2 allows no other until it settles`);
    d.set("proposal", null);
    return true;
  }
  if (last && !last.paymentFailed && !lastFailed && Date.parse(last.forEndDate) >= endMs - SAME_INSTANT_TOLERANCE_MS) {
    d.status("EXTENSION_PENDING", `extension ${last.offeringId} was bought for the end ${last.forEndDate}; waiting for EC2 to move the end (now ${endIso})`);
    return true;
  }
  return false;
}

function planNodeGroup(d: Draft, state: string, endMs: number): void {
  const link = d.record.nodeGroup;
  if (!link) return;
  const scaleDownAt = endMs - NODE_GROUP_SCALE_DOWN_BEFORE_END_MS;
  d.set("nodeGroupScaleDownAt", iso(scaleDownAt));
  const active = state === "active" && d.now.getTime() < scaleDownAt;
  const over = TERMINAL_STATES[state] !== undefined || d.now.getTime() >= scaleDownAt;
  // Before the block starts the group keeps the size it was created with: per the EKS guide its launches fail
  // until the reservation turns active and then fill it at once, so scaling it to 0 here would only delay nodes.
  if (!active && !over) return;
  const target = active ? link.desiredSize : 0;
  // While active the size is verified every run: EKS schedules its own scale-down against the end
  // it saw at creation, so after an extension the manager puts the nodes back until the real end.
  if (!active && d.record.nodeGroupAppliedSize === target) return;
  const reason = active
    ? `block active until ${iso(endMs)}; keep ${target} nodes until ${iso(scaleDownAt)}`
    : state === "active"
      ? `block ends at ${iso(endMs)}; scale to 0 forty minutes before`
      : `block is ${state}; no nodes can run`;
  d.actions.push({ kind: "scaleNodeGroup", clusterName: link.clusterName, nodegroupName: link.nodegroupName, desiredSize: target, reason });
}

function decideExtension(d: Draft, input: DecideInput, endIso: string, endMs: number): void {
  const { record, now } = d;
  const nowMs = now.getTime();
  const windowStart = endMs - record.extendBeforeHours * HOUR_MS;
  const considerFrom = considerFromMs(record, endMs);

  if (nowMs >= endMs - OFFERINGS_CLOSE_BEFORE_END_MS) {
    flagExpiring(d, endIso, endMs, "EC2 sells no extension in the last hour");
    return;
  }
  if (nowMs < considerFrom) {
    const approvedAhead = record.approval !== undefined;
    d.status(approvedAhead ? "APPROVED" : "TRACKING", `nothing to do before ${iso(considerFrom)}`);
    flagExpiring(d, endIso, endMs, "no extension yet");
    return;
  }
  if (input.offerings === undefined) {
    d.needsOfferings = { durationHours: record.extendByHours };
    return;
  }

  const offering = cheapestMatching(input.offerings, record.extendByHours, endMs);
  if (!offering) {
    const reason = `EC2 offers no ${record.extendByHours} h extension for the block ending ${endIso}`;
    if (replaceOrReportGap(d, input, endIso, endMs, reason)) return;
    d.status("NO_OFFERING", reason);
    d.historyOnStatusChange("NO_OFFERING", reason);
    // Keyed by the block end only: offerings that come and go, or a fee around the cap, alert at most every 6 h.
    d.notify("NO_OFFERING", endIso, `No extension offering for ${record.capacityReservationId}`, `${record.PK}: ${reason}`);
    flagExpiring(d, endIso, endMs, "no offering");
    return;
  }
  const fee = offering.feeUsd as number;
  if (record.maxUpfrontFeeUsd !== undefined && fee > record.maxUpfrontFeeUsd) {
    const reason = `cheapest ${record.extendByHours} h extension costs ${usd(fee)}, above maxUpfrontFeeUsd ${usd(record.maxUpfrontFeeUsd)}`;
    if (replaceOrReportGap(d, input, endIso, endMs, reason)) return;
    d.status("NO_OFFERING", reason);
    d.historyOnStatusChange("NO_OFFERING", reason, { offeringId: offering.offeringId, feeUsd: fee });
    d.notify("NO_OFFERING", endIso, `Extension for ${record.capacityReservationId} above the price cap`, `${record.PK}: ${reason}`);
    flagExpiring(d, endIso, endMs, "no offering within the cap");
    return;
  }

  const proposal: Proposal = {
    offeringId: offering.offeringId,
    durationHours: offering.durationHours,
    feeUsd: fee,
    forEndDate: endIso,
    newEndDate: offering.endDate ?? iso(endMs + offering.durationHours * HOUR_MS),
    approveBy: iso(endMs - PAYMENT_MAX_MS - PAYMENT_CUTOFF_BEFORE_END_MS),
    proposedAt: record.proposal?.offeringId === offering.offeringId && record.proposal.feeUsd === fee ? record.proposal.proposedAt : d.nowIso,
  };
  d.set("gap", null);

  if (!record.requireApproval) {
    purchase(d, proposal, undefined, input.budget, endIso);
    return;
  }
  const approval = record.approval;
  const covers =
    approval !== undefined &&
    fee <= approval.maxFeeUsd &&
    approval.durationHours === proposal.durationHours &&
    (approval.offeringId === undefined || approval.offeringId === proposal.offeringId) &&
    (approval.forEndDate === undefined || approval.forEndDate === endIso);
  if (covers) {
    if (nowMs >= windowStart) {
      purchase(d, proposal, approval.by, input.budget, endIso);
      return;
    }
    d.set("proposal", proposal);
    d.set("approved", true);
    d.status("APPROVED", `approved by ${approval.by}; buying at ${iso(windowStart)}`);
    return;
  }
  // The extension's approval did not come in time for its payment to clear: a replacement may still.
  if (nowMs > Date.parse(proposal.approveBy) && replacementPolicyOf(record).allowed) {
    const reason = `extension ${proposal.offeringId} was not approved by ${proposal.approveBy}`;
    if (replaceOrReportGap(d, input, endIso, endMs, reason)) return;
  }
  askForApproval(d, proposal, endIso, endMs, input.budget);
}

function cheapestMatching(offerings: readonly OfferingView[], durationHours: number, endMs: number): OfferingView | undefined {
  let best: OfferingView | undefined;
  for (const o of offerings) {
    if (o.durationHours !== durationHours || o.feeUsd === undefined || !Number.isFinite(o.feeUsd) || o.feeUsd < 0) continue;
    if (o.currency !== undefined && o.currency !== "USD") continue;
    if (o.startDate !== undefined && Math.abs(Date.parse(o.startDate) - endMs) > SAME_INSTANT_TOLERANCE_MS) continue;
    if (!best || o.feeUsd < (best.feeUsd as number)) best = o;
  }
  return best;
}

function askForApproval(d: Draft, proposal: Proposal, endIso: string, endMs: number, budget: BudgetState | undefined): void {
  const { record } = d;
  const verdict = budget ? budgetVerdict({ budgetUsd: budget.budgetUsd, committedUsd: budget.committedUsd, feeUsd: proposal.feeUsd }) : undefined;
  const previous = record.approval;
  d.set("proposal", proposal);
  d.set("approved", false);
  let reason = previous
    ? `proposal (${proposal.durationHours} h for ${usd(proposal.feeUsd)}) exceeds the approval by ${previous.by} (${previous.durationHours} h up to ${usd(previous.maxFeeUsd)}); approval needed again`
    : `approval needed: ${proposal.durationHours} h for ${usd(proposal.feeUsd)} (offering ${proposal.offeringId}) by ${proposal.approveBy}`;
  if (verdict && !verdict.allowed) reason += `; the monthly budget rules it out for ${budget?.month}: ${verdict.reason}`;
  if (!d.notificationsEnabled) reason += "; no SNS topic is configured (TOPIC_ARN), so nobody is notified: approve with PATCH /{PK}";
  d.status("AWAITING_APPROVAL", reason);
  // A new request for a new end or after a new approval; a fee above the one last sent is sent again too,
  // because PATCH approves the current proposal and nobody should approve a fee they were not shown.
  const key = `${endIso}|${previous?.at ?? ""}`;
  const lastSent = record.notifications?.APPROVAL_REQUEST;
  const newRequest = lastSent?.key !== key || (lastSent.feeUsd !== undefined && proposal.feeUsd > lastSent.feeUsd);
  const sent = d.notify(
    "APPROVAL_REQUEST",
    key,
    `Approve extension of capacity block ${record.capacityReservationId}`,
    [
      `Record: ${record.PK} (${record.capacityReservationId}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Block ends: ${endIso}`,
      `Proposal: extend by ${proposal.durationHours} h to ${proposal.newEndDate}`,
      `Offering: ${proposal.offeringId}`,
      `Upfront fee: ${usd(proposal.feeUsd)}`,
      `Approve by: ${proposal.approveBy} (PATCH /${encodeURIComponent(record.PK)})`,
      ...(verdict && !verdict.allowed && budget
        ? [`Budget: NOT WITHIN THE MONTHLY BUDGET (${budget.month}): ${verdict.reason}. Approving it will not buy it until the budget is raised (capacity_manager.monthly_budget_usd, a redeploy) or a new month begins.`]
        : []),
    ].join("\n"),
    proposal.feeUsd,
  );
  if (sent && newRequest) {
    d.append("APPROVAL_REQUESTED", reason, { offeringId: proposal.offeringId, feeUsd: proposal.feeUsd, durationHours: proposal.durationHours });
  }
  flagExpiring(d, endIso, endMs, "awaiting approval");
}

/**
 * The one place an approved (or approval-free) proposal becomes a purchase: checked against the month's budget
 * first. Refused, nothing is bought, the record says why, one alert goes out per block end and month, and the
 * approval stays for when a higher budget (or a new month) lets the purchase through.
 */
function purchase(d: Draft, proposal: Proposal, approvedBy: string | undefined, budget: BudgetState | undefined, endIso: string): void {
  if (budget && refusedByBudget(d, budget, proposal.replacement ? "replacement" : "extension", proposal.feeUsd, proposal.offeringId, endIso)) {
    d.set("proposal", proposal);
    return;
  }
  const { record } = d;
  const target = proposal.replacement;
  const intent: PurchaseIntent = {
    // A replacement's id is also the value of its `blockfleet.io/intent-id` tag: letters, digits and - only.
    intentId: target
      ? `replace-${record.capacityReservationId}-${Date.parse(proposal.forEndDate)}-v${record.version}`
      : `${record.capacityReservationId}|${proposal.forEndDate}|v${record.version}`,
    offeringId: proposal.offeringId,
    durationHours: proposal.durationHours,
    feeUsd: proposal.feeUsd,
    forEndDate: proposal.forEndDate,
    startedAt: d.nowIso,
    ...(approvedBy ? { approvedBy } : {}),
    ...(target ? { replacement: target } : {}),
  };
  d.set("intent", intent);
  d.set("proposal", proposal);
  d.status(
    "PURCHASING",
    target
      ? `buying replacement block ${proposal.offeringId} (${proposal.durationHours} h in ${target.availabilityZone} from ${target.startDate}) for ${usd(proposal.feeUsd)}`
      : `buying ${proposal.durationHours} h extension ${proposal.offeringId} for ${usd(proposal.feeUsd)}`,
  );
  d.append("PURCHASE_STARTED", `purchase of ${target ? "replacement block " : ""}${proposal.offeringId}`, {
    intentId: intent.intentId,
    offeringId: intent.offeringId,
    feeUsd: intent.feeUsd,
    durationHours: intent.durationHours,
    ...(approvedBy ? { approvedBy } : {}),
  });
  d.actions.push({ kind: "purchase", intent });
  warnOfRejectedPurchases(d, endIso);
}

/**
 * EC2 rejected the purchases for this end before: flag the block expiring inside the horizon (metric and alert,
 * throttled) and after REPEATED_REJECTIONS report the gap, while each run still tries again.
 */
function warnOfRejectedPurchases(d: Draft, endIso: string): void {
  const rejected = d.record.rejectedPurchases;
  if (!rejected || rejected.forEndDate !== endIso) return;
  const why = `EC2 rejected ${rejected.count} purchase(s) for this end, the last at ${rejected.lastAt} (${rejected.lastCode}); fix the cause (IAM, quotas, the offering) so the next attempt goes through`;
  flagExpiring(d, endIso, Date.parse(endIso), why);
  if (rejected.count >= REPEATED_REJECTIONS) reportGap(d, endIso, undefined, why);
}

/**
 * The budget check every purchase (extension or replacement) goes through. Returns true when the purchase is refused;
 * the record is then OVER_BUDGET with the reason, and the block's end is escalated like any block nothing extends.
 */
function refusedByBudget(d: Draft, budget: BudgetState, kind: PurchaseKind, feeUsd: number, offeringId: string, endIso: string): boolean {
  const verdict = budgetVerdict({ budgetUsd: budget.budgetUsd, committedUsd: budget.committedUsd, feeUsd });
  if (verdict.allowed) return false;
  const { record } = d;
  const reason = `${kind} ${offeringId} not bought: ${verdict.reason} (month ${budget.month}, ${usd(verdict.remainingUsd)} left)`;
  d.status("OVER_BUDGET", reason);
  d.historyOnStatusChange("OVER_BUDGET", reason, { offeringId, feeUsd });
  d.notifyOnce(
    "OVER_BUDGET",
    `${budget.month}|${endIso}`,
    `Capacity block ${record.capacityReservationId}: ${kind} not bought, monthly budget reached`,
    [
      `Record: ${record.PK} (${record.capacityReservationId}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Block ends: ${endIso}`,
      `Not bought: ${kind} ${offeringId} for ${usd(feeUsd)}.`,
      `Why: ${verdict.reason}.`,
      `Month ${budget.month} (UTC): ${usd(budget.committedUsd)} committed of ${usd(budget.budgetUsd)}; see GET /spend or blockfleet capacity spend.`,
      `To proceed: raise capacity_manager.monthly_budget_usd and redeploy (an approval cannot override the budget). The manager buys on its next run if time allows.`,
    ].join("\n"),
  );
  escalateUnableToAct(d, endIso, "over budget", `the monthly budget rules the purchase out: ${verdict.reason}`);
  return true;
}

function flagExpiring(d: Draft, endIso: string, endMs: number, why: string): void {
  if (endMs - d.now.getTime() > EXPIRING_HORIZON_MS) return;
  d.expiringWithoutExtension = true;
  const { record } = d;
  const decided = d.decided;
  if (decided === undefined || decided === "TRACKING" || decided === "APPROVED" || decided === "EXPIRING") {
    d.status("EXPIRING", `block ends at ${endIso} with no extension (${why})`);
  }
  d.notify(
    "EXPIRING",
    endIso,
    `Capacity block ${record.capacityReservationId} expires within 24 h`,
    `${record.PK} (${record.capacityReservationId}) ends at ${endIso} and is not extended: ${why}. Instances are terminated 30 minutes before the end.`,
  );
}

/**
 * Applies the outcome of the purchase call to a record that holds the intent.
 * A lost reply is never treated as "not bought": it stays PURCHASING until EC2's history answers.
 */
export function applyPurchaseOutcome(record: CapacityRecord, intent: PurchaseIntent, outcome: PurchaseOutcome, now: Date): Decision {
  const d = new Draft(record, now, false);
  switch (outcome.kind) {
    case "purchased":
      if (record.rejectedPurchases) {
        d.set("rejectedPurchases", null);
        if (record.gap?.startDate === record.rejectedPurchases.forEndDate && record.gap.hours === undefined) d.set("gap", null);
      }
      if (intent.replacement) {
        if (outcome.reservation) {
          recordReplacement(d, intent, outcome.reservation, "PURCHASED", `PurchaseCapacityBlock succeeded: ${outcome.reservation.capacityReservationId}`);
        } else {
          d.status("PURCHASING", `PurchaseCapacityBlock for ${intent.intentId} answered without a reservation; the intent tag decides`);
          d.append("PURCHASE_OUTCOME_UNKNOWN", "no reservation in the answer", { intentId: intent.intentId, offeringId: intent.offeringId });
        }
        break;
      }
      recordPurchase(d, intent, outcome.extension, "PURCHASED", "PurchaseCapacityBlockExtension succeeded");
      break;
    case "rejected":
      d.set("intent", null);
      d.set("rejectedPurchases", nextRejectedPurchases(record.rejectedPurchases, intent.forEndDate, outcome.code, d.nowIso));
      d.status("TRACKING", `EC2 rejected purchase ${intent.intentId}: ${outcome.code}: ${outcome.message}`);
      d.append("PURCHASE_REJECTED", `${outcome.code}: ${outcome.message}`, { intentId: intent.intentId, offeringId: intent.offeringId });
      break;
    case "unknown":
      d.status(
        "PURCHASING",
        intent.replacement
          ? `outcome of purchase ${intent.intentId} unknown (${outcome.message}); only a reservation tagged blockfleet.io/intent-id=${intent.intentId} decides`
          : `outcome of purchase ${intent.intentId} unknown (${outcome.message}); EC2's extension history decides`,
      );
      d.append("PURCHASE_OUTCOME_UNKNOWN", outcome.message, { intentId: intent.intentId, offeringId: intent.offeringId });
      break;
  }
  return d.finish();
}

/** Reservation states of a new block that mean it will never run (its payment failed or EC2 gave up on it). */
const DEAD_NEW_BLOCK_STATES = new Set(["payment-failed", "failed", "cancelled", "unavailable"]);

/**
 * A record whose follower is bought: nothing more is decided for it (its node group keeps running to its end).
 * If the new block's payment failed the link is dropped and continuity is decided again (returns false).
 */
function followedByReplacement(d: Draft, link: NonNullable<CapacityRecord["replacedBy"]>, next: ReservationView | undefined, endIso: string): boolean {
  if (next && DEAD_NEW_BLOCK_STATES.has(next.state)) {
    const { record } = d;
    d.set("replacedBy", null);
    d.append("PAYMENT_FAILED", `replacement ${link.capacityReservationId} is ${next.state}; continuity is decided again`, { intentId: link.intentId });
    d.notify(
      "PAYMENT_FAILED",
      link.intentId,
      `Capacity block ${record.capacityReservationId}: replacement ${link.capacityReservationId} failed`,
      `${record.PK}: the replacement block ${link.capacityReservationId} is ${next.state}. The manager looks for an extension or another replacement if time allows.`,
    );
    return false;
  }
  d.set("proposal", null);
  d.status("TRACKING", `replaced by ${link.capacityReservationId} (record ${link.PK}); this block runs until its end ${endIso}`);
  return true;
}

/**
 * No extension within the policy: with replacement allowed, search new blocks (the reconciler fetches them once
 * per query and run) and propose, or buy, the best within the policy. Either way a gap the manager cannot close
 * is reported once, as soon as it is known. Returns true when it decided the record.
 */
function replaceOrReportGap(d: Draft, input: DecideInput, endIso: string, endMs: number, why: string): boolean {
  const { record, now } = d;
  const policy = replacementPolicyOf(record);
  if (!policy.allowed) {
    reportGap(d, endIso, undefined, `${why}; replacement is off (allowReplacement)`);
    return false;
  }
  if (input.newPurchasesEnabled !== true) {
    reportGap(d, endIso, undefined, `${why}; replacement is allowed for the record but this environment buys no new blocks (capacity_manager.allow_new_purchases = false)`);
    return false;
  }
  if (input.newBlockOfferings === undefined) {
    d.needsNewBlockOfferings = newBlockQueryOf(record);
    return true;
  }
  const choice = chooseReplacement({
    offerings: input.newBlockOfferings,
    instanceType: record.instanceType,
    instanceCount: record.instanceCount,
    policy,
    maxFeeUsd: record.maxUpfrontFeeUsd,
    oldEndMs: endMs,
    notBeforeMs: now.getTime(),
  });
  if (choice.kind === "none") {
    const detail =
      choice.aboveCap > 0
        ? `${choice.aboveCap} matching ${policy.durationHours} h block(s) in ${policy.zones.join(", ")} cost more than maxUpfrontFeeUsd ${usd(record.maxUpfrontFeeUsd ?? 0)}`
        : `EC2 sells no ${policy.durationHours} h block of ${record.instanceCount} x ${record.instanceType} in ${policy.zones.join(", ")}`;
    reportGap(d, endIso, undefined, `${why}; no replacement: ${detail}`);
    return false;
  }
  const target = choice.target;
  const proposal: Proposal = {
    offeringId: choice.offeringId,
    durationHours: choice.durationHours,
    feeUsd: choice.feeUsd,
    forEndDate: endIso,
    newEndDate: target.endDate,
    // Payment of a new block may take as long as an extension's; it must clear before the new block starts.
    approveBy: iso(Math.min(endMs, Date.parse(target.startDate)) - PAYMENT_MAX_MS - PAYMENT_CUTOFF_BEFORE_END_MS),
    proposedAt: record.proposal?.offeringId === choice.offeringId && record.proposal.feeUsd === choice.feeUsd ? record.proposal.proposedAt : d.nowIso,
    replacement: target,
  };
  if (target.gapHours > 0) reportGap(d, endIso, target, `${why}; the earliest replacement within the policy starts ${target.startDate}`);
  else d.set("gap", null);

  const windowStart = endMs - record.extendBeforeHours * HOUR_MS;
  const approval = record.approval;
  // A replacement is a new block, not the extension an approval ahead was given for: only an approval of this
  // very proposal (its offering) or a policy without approval pays for it.
  const approved =
    !record.requireApproval ||
    (approval !== undefined && approval.offeringId === proposal.offeringId && approval.forEndDate === endIso && proposal.feeUsd <= approval.maxFeeUsd && approval.durationHours === proposal.durationHours);
  if (approved && now.getTime() >= windowStart) {
    purchase(d, proposal, record.requireApproval ? approval?.by : undefined, input.budget, endIso);
    return true;
  }
  d.set("proposal", proposal);
  if (approved) {
    d.set("approved", record.requireApproval);
    d.status("APPROVED", `replacement ${proposal.offeringId} ${record.requireApproval ? `approved by ${approval?.by}` : "within the policy"}; buying at ${iso(windowStart)}`);
    flagExpiring(d, endIso, endMs, "replacement bought at the window");
    return true;
  }
  askForReplacementApproval(d, proposal, endIso, endMs, why, input.budget);
  return true;
}

function replacementSummary(p: Proposal): string {
  const t = p.replacement as NonNullable<Proposal["replacement"]>;
  return [
    `Replacement: a new ${p.durationHours} h block of ${t.instanceCount} x ${t.instanceType} in ${t.availabilityZone}`,
    `Starts: ${t.startDate}  Ends: ${t.endDate}`,
    `Gap after the old end: ${t.gapHours === 0 ? "none" : `${t.gapHours} h`}`,
    `Offering: ${p.offeringId}`,
    `Upfront fee: ${usd(p.feeUsd)}${t.usdPerGpuHour !== undefined ? ` ($${t.usdPerGpuHour.toFixed(4)} per GPU-hour)` : ""}`,
  ].join("\n");
}

function askForReplacementApproval(d: Draft, proposal: Proposal, endIso: string, endMs: number, why: string, budget: BudgetState | undefined): void {
  const { record } = d;
  const t = proposal.replacement as NonNullable<Proposal["replacement"]>;
  const verdict = budget ? budgetVerdict({ budgetUsd: budget.budgetUsd, committedUsd: budget.committedUsd, feeUsd: proposal.feeUsd }) : undefined;
  d.set("approved", false);
  let reason = `${why}; approval needed for replacement ${proposal.offeringId}: ${proposal.durationHours} h in ${t.availabilityZone} from ${t.startDate} for ${usd(proposal.feeUsd)} by ${proposal.approveBy}`;
  if (verdict && !verdict.allowed) reason += `; the monthly budget rules it out for ${budget?.month}: ${verdict.reason}`;
  if (!d.notificationsEnabled) reason += "; no SNS topic is configured (TOPIC_ARN), so nobody is notified: approve with PATCH /{PK}";
  d.status("AWAITING_APPROVAL", reason);
  // Another zone or start is another request (approvers see what they approve); the same one is reminded every 6 h.
  const key = `${endIso}|replace|${t.availabilityZone}|${t.startDate}`;
  const newRequest = record.notifications?.APPROVAL_REQUEST?.key !== key;
  const sent = d.notify(
    "APPROVAL_REQUEST",
    key,
    `Approve replacement of capacity block ${record.capacityReservationId}`,
    [
      `Record: ${record.PK} (${record.capacityReservationId}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Block ends: ${endIso}; no extension: ${why}`,
      replacementSummary(proposal),
      `Approve by: ${proposal.approveBy} (PATCH /${encodeURIComponent(record.PK)})`,
      ...(verdict && !verdict.allowed && budget
        ? [`Budget: NOT WITHIN THE MONTHLY BUDGET (${budget.month}): ${verdict.reason}. Approving it will not buy it until the budget is raised (capacity_manager.monthly_budget_usd, a redeploy) or a new month begins.`]
        : []),
    ].join("\n"),
    proposal.feeUsd,
  );
  if (sent && newRequest) {
    d.append("REPLACEMENT_PROPOSED", reason, { offeringId: proposal.offeringId, feeUsd: proposal.feeUsd, durationHours: proposal.durationHours });
  }
  flagExpiring(d, endIso, endMs, "replacement awaiting approval");
}

/** Records a gap the manager cannot close and alerts once per (end, replacement start), as soon as it is known. */
function reportGap(d: Draft, endIso: string, target: Proposal["replacement"], reason: string): void {
  const { record } = d;
  const gap = { startDate: endIso, ...(target ? { hours: target.gapHours } : {}), reason };
  d.set("gap", gap);
  const key = `${endIso}|${target?.startDate ?? "none"}`;
  const length = target ? `${target.gapHours} h (until ${target.startDate})` : "open-ended (nothing within the policy is on sale)";
  if (record.notifications?.GAP?.key !== key) d.append("GAP_EXPECTED", `${reason}; gap from ${endIso}: ${length}`);
  d.notifyOnce(
    "GAP",
    key,
    `Capacity block ${record.capacityReservationId}: GPUs will have a gap from ${endIso}`,
    [
      `Record: ${record.PK} (${record.capacityReservationId}, ${record.instanceCount} x ${record.instanceType} in ${record.availabilityZone})`,
      `Gap starts: ${endIso} (the block's end)`,
      `Gap length: ${length}`,
      `Why: ${reason}`,
      `Fallback: raise the gpu-on-demand node pool's limit (node_pools.gpu_on_demand.gpu_limit in the environment file) so pods run on on-demand GPUs through the gap.`,
    ].join("\n"),
  );
}

/** Settles a replacement purchase only by the reservation tagged with its intent id; never buys again on doubt. */
function resolveReplacementIntent(d: Draft, intent: PurchaseIntent, tagged: readonly ReservationView[] | undefined, endIso: string): void {
  if (tagged === undefined) {
    replacementLookupMissing(d, intent, endIso);
    return;
  }
  const found = [...tagged].sort((a, b) => a.capacityReservationId.localeCompare(b.capacityReservationId))[0];
  if (found) {
    recordReplacement(d, intent, found, "PURCHASE_CONFIRMED", `EC2 shows ${found.capacityReservationId} tagged blockfleet.io/intent-id=${intent.intentId}`);
    return;
  }
  const waited = d.now.getTime() - Date.parse(intent.startedAt);
  if (waited < INTENT_RESOLUTION_GRACE_MS) {
    d.status("PURCHASING", `purchase ${intent.intentId} started at ${intent.startedAt}; waiting for a reservation tagged with it before any new attempt`);
    return;
  }
  holdUnconfirmedPurchase(d, intent, waited, endIso);
}

/**
 * The tag lookup failed (or the environment no longer buys new blocks, so nothing looks): never silent. Inside the
 * expiring horizon the block is flagged; after the grace period the intent is held for an approver, as when the
 * lookup finds nothing. The reconciler counts the run in RecordFailures.
 */
function replacementLookupMissing(d: Draft, intent: PurchaseIntent, endIso: string): void {
  const waited = d.now.getTime() - Date.parse(intent.startedAt);
  if (waited >= INTENT_RESOLUTION_GRACE_MS) {
    holdUnconfirmedPurchase(d, intent, waited, endIso);
    return;
  }
  d.status("PURCHASING", `purchase ${intent.intentId} not settled: the reservations tagged with it could not be looked up this run`);
  flagExpiring(d, endIso, Date.parse(endIso), `replacement purchase ${intent.intentId} not settled: its tag lookup failed`);
}

/** Links the old record to the new block and asks the reconciler to track the new block with the same policy. */
function recordReplacement(d: Draft, intent: PurchaseIntent, reservation: ReservationView, kind: HistoryKind, detail: string): void {
  const { record } = d;
  const target = intent.replacement as NonNullable<PurchaseIntent["replacement"]>;
  const newId = reservation.capacityReservationId;
  const at = d.nowIso;
  d.set("intent", null);
  d.set("approval", null);
  d.set("approved", false);
  d.set("proposal", null);
  d.set("replacedBy", { PK: newId, capacityReservationId: newId, intentId: intent.intentId, at });
  if (target.gapHours === 0) d.set("gap", null);
  d.status("TRACKING", `replaced by ${newId} (${target.availabilityZone}, ${target.startDate} to ${target.endDate}); this block runs until its end ${intent.forEndDate}`);
  const money = { intentId: intent.intentId, offeringId: intent.offeringId, feeUsd: intent.feeUsd, durationHours: intent.durationHours, ...(intent.approvedBy ? { approvedBy: intent.approvedBy } : {}) };
  d.append(kind, detail, money);
  d.append("REPLACED_BY", `${newId} follows this block (record ${newId})`, money);
  // A block whose payment already failed is never paid for: no ledger item (the next run decides continuity again).
  if (!DEAD_NEW_BLOCK_STATES.has(reservation.state)) {
    d.set("unledgered", [...(record.unledgered ?? []).filter((e) => e.intentId !== intent.intentId), replacementSpend(record, intent, reservation)]);
  }
  const next: CapacityRecord = {
    PK: newId,
    capacityReservationId: newId,
    instanceType: target.instanceType,
    availabilityZone: reservation.availabilityZone ?? target.availabilityZone,
    platform: reservation.platform ?? record.platform,
    tenancy: reservation.tenancy ?? record.tenancy,
    startDate: reservation.startDate ?? target.startDate,
    endDate: reservation.endDate ?? target.endDate,
    instanceCount: target.instanceCount,
    extendBeforeHours: record.extendBeforeHours,
    extendByHours: record.extendByHours,
    requireApproval: record.requireApproval,
    ...(record.maxUpfrontFeeUsd !== undefined ? { maxUpfrontFeeUsd: record.maxUpfrontFeeUsd } : {}),
    ...(record.allowReplacement !== undefined ? { allowReplacement: record.allowReplacement } : {}),
    ...(record.replacementAvailabilityZones !== undefined ? { replacementAvailabilityZones: record.replacementAvailabilityZones } : {}),
    ...(record.replacementDurationHours !== undefined ? { replacementDurationHours: record.replacementDurationHours } : {}),
    replacementOf: { PK: record.PK, capacityReservationId: record.capacityReservationId, intentId: intent.intentId, at },
    approved: false,
    createdAt: at,
    updatedAt: at,
    status: "TRACKING",
    statusReason: `replacement for ${record.capacityReservationId} (record ${record.PK}); Karpenter's gpu-capacity-block pool selects it by its tags`,
    reservationState: reservation.state,
    version: 0,
  };
  d.actions.push({ kind: "trackNewBlock", record: next, history: [{ at, kind: "REPLACES", detail: `bought to follow ${record.capacityReservationId} (record ${record.PK})`, ...money }] });
}

/** The ledger item of a replacement settled as bought: the new block, in the month its intent started. */
export function replacementSpend(record: CapacityRecord, intent: PurchaseIntent, reservation: ReservationView): SpendEntry {
  const target = intent.replacement as NonNullable<PurchaseIntent["replacement"]>;
  return {
    intentId: intent.intentId,
    kind: "replacement",
    recordPk: record.PK,
    capacityReservationId: reservation.capacityReservationId,
    offeringId: intent.offeringId,
    feeUsd: intent.feeUsd,
    currency: SPEND_CURRENCY,
    startDate: reservation.startDate ?? target.startDate,
    endDate: reservation.endDate ?? target.endDate,
    purchasedAt: intent.startedAt,
    ...(intent.approvedBy ? { approvedBy: intent.approvedBy } : {}),
    reason: `replace ${record.capacityReservationId} (${record.instanceCount} x ${record.instanceType}, ends ${intent.forEndDate}) with a ${intent.durationHours} h block in ${target.availabilityZone} from ${target.startDate} (gap ${target.gapHours} h); ${intent.approvedBy ? `approved by ${intent.approvedBy}` : "no approval required by the record's policy"}`,
  };
}
