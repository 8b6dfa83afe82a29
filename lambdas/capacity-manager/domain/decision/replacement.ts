/**
 * Replacement: when no extension within the policy keeps a block going, a new block bought to follow it (chosen by
 * domain/replace.ts), its approval, the gap it leaves, and settling its purchase by the reservation tagged with its
 * intent id (never by a second purchase on doubt).
 */

import { chooseReplacement, newBlockQueryOf, replacementPolicyOf } from "../replace";
import { HOUR_MS, INTENT_RESOLUTION_GRACE_MS, PAYMENT_CUTOFF_BEFORE_END_MS, PAYMENT_MAX_MS } from "../rules";
import { type BudgetState, budgetVerdict } from "../spend";
import type { CapacityRecord, HistoryKind, Proposal, PurchaseIntent, ReservationView } from "../types";
import { replacementSpend } from "./budget";
import type { Draft } from "./draft";
import type { DecideInput } from "./input";
import { DEAD_NEW_BLOCK_STATES, flagExpiring, reportGap } from "./lifecycle";
import { iso, replacementApprovalRequest, replacementPaymentFailed, usd } from "./messages";
import { holdUnconfirmedPurchase, purchase } from "./purchase-intent";

/**
 * A record whose follower is bought: nothing more is decided for it (its node group keeps running to its end).
 * If the new block's payment failed the link is dropped and continuity is decided again (returns false).
 */
export function followedByReplacement(d: Draft, link: NonNullable<CapacityRecord["replacedBy"]>, next: ReservationView | undefined, endIso: string): boolean {
  if (next && DEAD_NEW_BLOCK_STATES.has(next.state)) {
    const { record } = d;
    d.set("replacedBy", null);
    d.append("PAYMENT_FAILED", `replacement ${link.capacityReservationId} is ${next.state}; continuity is decided again`, { intentId: link.intentId });
    d.notify("PAYMENT_FAILED", link.intentId, replacementPaymentFailed(record, link.capacityReservationId, next.state));
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
export function replaceOrReportGap(d: Draft, input: DecideInput, endIso: string, endMs: number, why: string): boolean {
  const { record, now } = d;
  const policy = replacementPolicyOf(record);
  if (!policy.allowed) {
    reportGap(d, endIso, undefined, `${why}; replacement is off (allowReplacement)`);
    return false;
  }
  if (input.newPurchasesEnabled !== true) {
    reportGap(
      d,
      endIso,
      undefined,
      `${why}; replacement is allowed for the record but this environment buys no new blocks (capacity_manager.allow_new_purchases = false)`,
    );
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
    (approval !== undefined &&
      approval.offeringId === proposal.offeringId &&
      approval.forEndDate === endIso &&
      proposal.feeUsd <= approval.maxFeeUsd &&
      approval.durationHours === proposal.durationHours);
  if (approved && now.getTime() >= windowStart) {
    purchase(d, proposal, record.requireApproval ? approval?.by : undefined, input.budget, endIso);
    return true;
  }
  d.set("proposal", proposal);
  if (approved) {
    d.set("approved", record.requireApproval);
    d.status(
      "APPROVED",
      `replacement ${proposal.offeringId} ${record.requireApproval ? `approved by ${approval?.by}` : "within the policy"}; buying at ${iso(windowStart)}`,
    );
    flagExpiring(d, endIso, endMs, "replacement bought at the window");
    return true;
  }
  askForReplacementApproval(d, proposal, endIso, endMs, why, input.budget);
  return true;
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
  const refusal = verdict && !verdict.allowed && budget ? { budget, reason: verdict.reason } : undefined;
  const sent = d.notify("APPROVAL_REQUEST", key, replacementApprovalRequest(record, proposal, endIso, why, refusal), proposal.feeUsd);
  if (sent && newRequest) {
    d.append("REPLACEMENT_PROPOSED", reason, { offeringId: proposal.offeringId, feeUsd: proposal.feeUsd, durationHours: proposal.durationHours });
  }
  flagExpiring(d, endIso, endMs, "replacement awaiting approval");
}

/** Settles a replacement purchase only by the reservation tagged with its intent id; never buys again on doubt. */
export function resolveReplacementIntent(d: Draft, intent: PurchaseIntent, tagged: readonly ReservationView[] | undefined, endIso: string): void {
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
export function recordReplacement(d: Draft, intent: PurchaseIntent, reservation: ReservationView, kind: HistoryKind, detail: string): void {
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
  d.status(
    "TRACKING",
    `replaced by ${newId} (${target.availabilityZone}, ${target.startDate} to ${target.endDate}); this block runs until its end ${intent.forEndDate}`,
  );
  const money = {
    intentId: intent.intentId,
    offeringId: intent.offeringId,
    feeUsd: intent.feeUsd,
    durationHours: intent.durationHours,
    ...(intent.approvedBy ? { approvedBy: intent.approvedBy } : {}),
  };
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
  d.actions.push({
    kind: "trackNewBlock",
    record: next,
    history: [{ at, kind: "REPLACES", detail: `bought to follow ${record.capacityReservationId} (record ${record.PK})`, ...money }],
  });
}
