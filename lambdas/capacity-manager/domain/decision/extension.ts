/**
 * Extensions: when the manager looks at a block, waiting while an extension is in flight, choosing the cheapest
 * matching offering within the cap, and the approval it needs (or buying it at the window).
 */

import { replacementPolicyOf } from "../replace";
import { APPROVAL_LEAD_MS, HOUR_MS, OFFERINGS_CLOSE_BEFORE_END_MS, OFFERINGS_OPEN_BEFORE_END_MS, PAYMENT_CUTOFF_BEFORE_END_MS, PAYMENT_MAX_MS } from "../rules";
import { type BudgetState, budgetVerdict } from "../spend";
import type { CapacityRecord, ExtensionView, OfferingView, Proposal, ReservationView } from "../types";
import type { Draft } from "./draft";
import type { DecideInput } from "./input";
import { flagExpiring, SAME_INSTANT_TOLERANCE_MS } from "./lifecycle";
import { aboveCap, extensionApprovalRequest, iso, noOffering, OFFERINGS_CLOSED_TEXT, usd } from "./messages";
import { lastExtensionEntry, markPaymentFailed, purchase } from "./purchase-intent";
import { replaceOrReportGap } from "./replacement";

/** A paid extension whose new end EC2's reservation does not show yet. */
export function succeededBeyond(extensions: readonly ExtensionView[], endMs: number): ExtensionView | undefined {
  return extensions.find((e) => e.status === "payment-succeeded" && e.endDate !== undefined && Date.parse(e.endDate) > endMs + SAME_INSTANT_TOLERANCE_MS);
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

/** True when an extension is already under way for this end, so nothing may be bought. */
export function waitForExtensionInFlight(d: Draft, extensions: readonly ExtensionView[], endIso: string, endMs: number): boolean {
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

export function decideExtension(d: Draft, input: DecideInput, endIso: string, endMs: number): void {
  const { record, now } = d;
  const nowMs = now.getTime();
  const windowStart = endMs - record.extendBeforeHours * HOUR_MS;
  const considerFrom = considerFromMs(record, endMs);

  if (nowMs >= endMs - OFFERINGS_CLOSE_BEFORE_END_MS) {
    flagExpiring(d, endIso, endMs, OFFERINGS_CLOSED_TEXT);
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
    d.notify("NO_OFFERING", endIso, noOffering(record, reason));
    flagExpiring(d, endIso, endMs, "no offering");
    return;
  }
  const fee = offering.feeUsd as number;
  if (record.maxUpfrontFeeUsd !== undefined && fee > record.maxUpfrontFeeUsd) {
    const reason = `cheapest ${record.extendByHours} h extension costs ${usd(fee)}, above maxUpfrontFeeUsd ${usd(record.maxUpfrontFeeUsd)}`;
    if (replaceOrReportGap(d, input, endIso, endMs, reason)) return;
    d.status("NO_OFFERING", reason);
    d.historyOnStatusChange("NO_OFFERING", reason, { offeringId: offering.offeringId, feeUsd: fee });
    d.notify("NO_OFFERING", endIso, aboveCap(record, reason));
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
  const refusal = verdict && !verdict.allowed && budget ? { budget, reason: verdict.reason } : undefined;
  const sent = d.notify("APPROVAL_REQUEST", key, extensionApprovalRequest(record, proposal, endIso, refusal), proposal.feeUsd);
  if (sent && newRequest) {
    d.append("APPROVAL_REQUESTED", reason, { offeringId: proposal.offeringId, feeUsd: proposal.feeUsd, durationHours: proposal.durationHours });
  }
  flagExpiring(d, endIso, endMs, "awaiting approval");
}
