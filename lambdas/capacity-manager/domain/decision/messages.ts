/**
 * Every alert, notification and status text the decision writes that states a rule, built from the rule constants
 * (domain/rules.ts) and the capacity-block facts, so a text can never disagree with the rule it describes: a
 * p6e-gb200 UltraServer block says its instances go 60 minutes before the end, an instance-type block 30.
 */
import { terminationLeadMs } from "../../../../src/lib/capacity-blocks/facts";
import {
  EXPIRING_HORIZON_MS,
  HOUR_MS,
  MINUTE_MS,
  NODE_GROUP_SCALE_DOWN_BEFORE_END_MS,
  OFFERINGS_CLOSE_BEFORE_END_MS,
  PAYMENT_CUTOFF_BEFORE_END_MS,
  PAYMENT_MAX_MS,
} from "../rules";
import type { BudgetState, PurchaseKind } from "../spend";
import type { CapacityRecord, Proposal, PurchaseIntent } from "../types";

/** The subject and body of one SNS notification. */
export interface Notice {
  readonly subject: string;
  readonly message: string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const usd = (fee: number): string => `$${fee.toFixed(2)}`;
const minutes = (ms: number): number => ms / MINUTE_MS;
const hours = (ms: number): number => ms / HOUR_MS;

/** How the reason and alerts name tracking mode (the same words as `capacity status` and the docs). */
export const TRACKING_MODE = "tracking mode (capacity_manager.extensions_enabled = false: extension purchasing is off)";

/** "within 24 h": the horizon within which a block nothing extends is reported. */
export const EXPIRING_HORIZON_TEXT = `within ${hours(EXPIRING_HORIZON_MS)} h`;

/** Why nothing is bought once offerings close before the end ("EC2 sells no extension in the last hour"). */
export const OFFERINGS_CLOSED_TEXT = `EC2 sells no extension in the last ${hours(OFFERINGS_CLOSE_BEFORE_END_MS) === 1 ? "hour" : `${hours(OFFERINGS_CLOSE_BEFORE_END_MS)} h`}`;

/** Minutes before its end at which a block of this instance type loses its instances (60 for UltraServers, else 30). */
export const terminationLeadMinutes = (instanceType: string): number => minutes(terminationLeadMs(instanceType));

const recordLine = (r: CapacityRecord): string =>
  `Record: ${r.PK} (${r.capacityReservationId}, ${r.instanceCount} x ${r.instanceType} in ${r.availabilityZone})`;

const budgetRefusalLine = (budget: BudgetState, reason: string): string =>
  `Budget: NOT WITHIN THE MONTHLY BUDGET (${budget.month}): ${reason}. Approving it will not buy it until the budget is raised (capacity_manager.monthly_budget_usd, a redeploy) or a new month begins.`;

export const notFound = (r: CapacityRecord): Notice => ({
  subject: `Capacity block ${r.capacityReservationId} not found`,
  message: `Record ${r.PK} tracks ${r.capacityReservationId}, which EC2 does not know. Fix or delete the record.`,
});

export const expirationWarnedReason = (r: CapacityRecord, endIso: string): string =>
  `EC2 warned that the block ends at ${endIso}; instances are terminated ${terminationLeadMinutes(r.instanceType)} minutes before`;

export const expirationWarned = (r: CapacityRecord, endIso: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId} is about to expire`,
  message: `EC2 warned that ${r.capacityReservationId} (${r.PK}) ends at ${endIso}.`,
});

/** The 24 h alert for a block that ends with no extension. */
export const expiringSoon = (r: CapacityRecord, endIso: string, why: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId} expires ${EXPIRING_HORIZON_TEXT}`,
  message: `${r.PK} (${r.capacityReservationId}) ends at ${endIso} and is not extended: ${why}. Instances are terminated ${terminationLeadMinutes(r.instanceType)} minutes before the end.`,
});

/** One escalation stage (48, 24, 6 h) for a block the manager cannot act for. */
export const unableToAct = (r: CapacityRecord, endIso: string, stageHours: number, short: string, why: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId} ends within ${stageHours} h: ${short}, manager cannot extend it`,
  message: [
    recordLine(r),
    `Ends: ${endIso} (within ${stageHours} h); instances are terminated ${terminationLeadMinutes(r.instanceType)} minutes before.`,
    `Why nothing extends it: ${why}.`,
  ].join("\n"),
});

export const notExtendedReason = (decidedReason: string, endIso: string): string =>
  `${decidedReason}; the block ends at ${endIso} (${EXPIRING_HORIZON_TEXT}) and is not extended`;

/** Why a linked node group is scaled to 0 while its block is still active. */
export const nodeGroupScaleDownReason = (endMs: number): string =>
  `block ends at ${iso(endMs)}; scale to 0 ${minutes(NODE_GROUP_SCALE_DOWN_BEFORE_END_MS)} minutes before`;

export const extensionPaymentFailed = (r: CapacityRecord, offeringId: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId}: extension payment failed`,
  message: `Payment for extension ${offeringId} of ${r.capacityReservationId} (${r.PK}) failed. The manager will try a new offering if time allows.`,
});

export const replacementPaymentFailed = (r: CapacityRecord, newBlockId: string, state: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId}: replacement ${newBlockId} failed`,
  message: `${r.PK}: the replacement block ${newBlockId} is ${state}. The manager looks for an extension or another replacement if time allows.`,
});

export const noOffering = (r: CapacityRecord, reason: string): Notice => ({
  subject: `No extension offering for ${r.capacityReservationId}`,
  message: `${r.PK}: ${reason}`,
});

export const aboveCap = (r: CapacityRecord, reason: string): Notice => ({
  subject: `Extension for ${r.capacityReservationId} above the price cap`,
  message: `${r.PK}: ${reason}`,
});

export const extensionApprovalRequest = (r: CapacityRecord, p: Proposal, endIso: string, refusal?: { budget: BudgetState; reason: string }): Notice => ({
  subject: `Approve extension of capacity block ${r.capacityReservationId}`,
  message: [
    recordLine(r),
    `Block ends: ${endIso}`,
    `Proposal: extend by ${p.durationHours} h to ${p.newEndDate}`,
    `Offering: ${p.offeringId}`,
    `Upfront fee: ${usd(p.feeUsd)}`,
    `Approve by: ${p.approveBy} (PATCH /${encodeURIComponent(r.PK)})`,
    ...(refusal ? [budgetRefusalLine(refusal.budget, refusal.reason)] : []),
  ].join("\n"),
});

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

export const replacementApprovalRequest = (
  r: CapacityRecord,
  p: Proposal,
  endIso: string,
  why: string,
  refusal?: { budget: BudgetState; reason: string },
): Notice => ({
  subject: `Approve replacement of capacity block ${r.capacityReservationId}`,
  message: [
    recordLine(r),
    `Block ends: ${endIso}; no extension: ${why}`,
    replacementSummary(p),
    `Approve by: ${p.approveBy} (PATCH /${encodeURIComponent(r.PK)})`,
    ...(refusal ? [budgetRefusalLine(refusal.budget, refusal.reason)] : []),
  ].join("\n"),
});

export const gapExpected = (r: CapacityRecord, endIso: string, length: string, reason: string): Notice => ({
  subject: `Capacity block ${r.capacityReservationId}: GPUs will have a gap from ${endIso}`,
  message: [
    recordLine(r),
    `Gap starts: ${endIso} (the block's end)`,
    `Gap length: ${length}`,
    `Why: ${reason}`,
    `Fallback: raise the gpu-on-demand node pool's limit (node_pools.gpu_on_demand.gpu_limit in the environment file) so pods run on on-demand GPUs through the gap.`,
  ].join("\n"),
});

export const purchaseUnconfirmed = (
  r: CapacityRecord,
  intent: PurchaseIntent,
  waitedMinutes: number,
  endIso: string,
  deadline: string,
  clear: string,
): Notice => {
  const id = r.capacityReservationId;
  return {
    subject: `Capacity block ${id}: purchase unconfirmed, manager stopped`,
    message: [
      recordLine(r),
      `Purchase intent: ${intent.intentId}: extend the block ending ${intent.forEndDate} by ${intent.durationHours} h with offering ${intent.offeringId} for ${usd(intent.feeUsd)}, started ${intent.startedAt}${intent.approvedBy ? `, approved by ${intent.approvedBy}` : ""}`,
      `Outcome: the PurchaseCapacityBlockExtension call timed out or failed on EC2's side; ${waitedMinutes} min later EC2's extension history shows no such purchase and the block still ends at ${endIso}.`,
      `Deadline: a replacement extension must be bought by ${deadline} (payment can take ${hours(PAYMENT_MAX_MS)} h and must clear ${minutes(PAYMENT_CUTOFF_BEFORE_END_MS)} min before the end); instances are terminated ${terminationLeadMinutes(r.instanceType)} min before ${endIso}.`,
      intent.replacement
        ? `Check: aws ec2 describe-capacity-reservations --filters Name=tag:blockfleet.io/intent-id,Values=${intent.intentId} (the replacement block ${intent.offeringId} in ${intent.replacement.availabilityZone}, bought if it shows up in any state).`
        : `Check: aws ec2 describe-capacity-block-extension-history --capacity-reservation-ids ${id} (an extension of ${intent.offeringId} bought since ${intent.startedAt}, in any status) and aws ec2 describe-capacity-reservations --capacity-reservation-ids ${id} (an end date later than ${intent.forEndDate}).`,
      `If either shows the purchase: do nothing, the manager confirms it on its own. If neither does: an approver clears the hold with ${clear}; the manager then proposes or buys again (asking for approval if the record requires it).`,
    ].join("\n"),
  };
};

export const overBudget = (
  r: CapacityRecord,
  budget: BudgetState,
  kind: PurchaseKind,
  offeringId: string,
  endIso: string,
  feeUsd: number,
  reason: string,
): Notice => ({
  subject: `Capacity block ${r.capacityReservationId}: ${kind} not bought, monthly budget reached`,
  message: [
    recordLine(r),
    `Block ends: ${endIso}`,
    `Not bought: ${kind} ${offeringId} for ${usd(feeUsd)}.`,
    `Why: ${reason}.`,
    `Month ${budget.month} (UTC): ${usd(budget.committedUsd)} committed of ${usd(budget.budgetUsd)}; see GET /spend or blockfleet capacity spend.`,
    `To proceed: raise capacity_manager.monthly_budget_usd and redeploy (an approval cannot override the budget). The manager buys on its next run if time allows.`,
  ].join("\n"),
});
