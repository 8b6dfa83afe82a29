/**
 * Purchase intents: the one place a proposal becomes a purchase (after the budget check), how an extension
 * purchase whose outcome was unknown is settled from EC2's truth, the hold when it cannot be, and recording a
 * purchase (or its failed payment).
 */

import { REPEATED_REJECTIONS } from "../rejections";
import { INTENT_RESOLUTION_GRACE_MS, MINUTE_MS, PAYMENT_CUTOFF_BEFORE_END_MS, PAYMENT_MAX_MS, PURCHASE_CLOCK_SKEW_MS } from "../rules";
import type { BudgetState } from "../spend";
import type { ExtensionView, HistoryKind, LastExtension, Proposal, PurchaseIntent } from "../types";
import { extensionSpend, refusedByBudget } from "./budget";
import type { Draft } from "./draft";
import { escalateUnableToAct, flagExpiring, reportGap, SAME_INSTANT_TOLERANCE_MS } from "./lifecycle";
import { extensionPaymentFailed, iso, purchaseUnconfirmed, usd } from "./messages";

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
  const latest = (list: ExtensionView[]) =>
    list.reduce<ExtensionView | undefined>((best, e) => (best === undefined || purchasedMs(e) > purchasedMs(best) ? e : best), undefined);
  return latest(since.filter((e) => e.offeringId === intent.offeringId)) ?? latest(since.filter((e) => e.purchaseDate !== undefined));
}

/**
 * The history entry of the last purchase: by EC2's purchase date when EC2 reported it, otherwise the latest
 * purchase of its offering since its intent started (a payment that failed before a re-purchase of the same
 * offering is older, so it is never taken for the new one).
 */
export function lastExtensionEntry(last: LastExtension, extensions: readonly ExtensionView[]): ExtensionView | undefined {
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
export function resolveIntent(d: Draft, intent: PurchaseIntent, extensions: readonly ExtensionView[], reservationEnd: string | undefined): void {
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
    d.status("PURCHASING", `purchase ${intent.intentId} started at ${intent.startedAt}; waiting for EC2's extension history before any new attempt`);
    return;
  }
  holdUnconfirmedPurchase(d, intent, waited, reservationEnd ?? d.record.endDate);
}

/** Stops all buying for the block, tells people once what to check, and waits for an approver (PATCH). */
export function holdUnconfirmedPurchase(d: Draft, intent: PurchaseIntent, waitedMs: number, endIso: string): void {
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
  d.notifyOnce("PURCHASE_UNCONFIRMED", intent.intentId, purchaseUnconfirmed(record, intent, minutes, endIso, deadline, clear));
  escalateUnableToAct(
    d,
    endIso,
    "purchase held",
    `purchase ${intent.intentId} is held as unconfirmed; nothing extends the block until an approver checks EC2 and clears it (${clear})`,
  );
}

export function recordPurchase(d: Draft, intent: PurchaseIntent, extension: ExtensionView | undefined, kind: HistoryKind, detail: string): void {
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

export function markPaymentFailed(d: Draft, offeringId: string): void {
  const { record } = d;
  d.status("PAYMENT_FAILED", `payment for extension ${offeringId} failed`);
  d.append("PAYMENT_FAILED", `EC2 reports payment-failed for ${offeringId}`, { offeringId });
  d.notify("PAYMENT_FAILED", offeringId, extensionPaymentFailed(record, offeringId));
}

/**
 * The one place an approved (or approval-free) proposal becomes a purchase: checked against the month's budget
 * first. Refused, nothing is bought, the record says why, one alert goes out per block end and month, and the
 * approval stays for when a higher budget (or a new month) lets the purchase through.
 */
export function purchase(d: Draft, proposal: Proposal, approvedBy: string | undefined, budget: BudgetState | undefined, endIso: string): void {
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
