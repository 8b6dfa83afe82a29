/**
 * The monthly budget in the decision: the check every purchase goes through (domain/spend.ts decides the verdict),
 * and the ledger items of purchases settled as bought.
 */
import { HOUR_MS } from "../rules";
import { type BudgetState, budgetVerdict, type PurchaseKind, SPEND_CURRENCY, type SpendEntry } from "../spend";
import type { CapacityRecord, ExtensionView, PurchaseIntent, ReservationView } from "../types";
import type { Draft } from "./draft";
import { escalateUnableToAct } from "./lifecycle";
import { iso, overBudget, usd } from "./messages";

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

/**
 * The budget check every purchase (extension or replacement) goes through. Returns true when the purchase is refused;
 * the record is then OVER_BUDGET with the reason, and the block's end is escalated like any block nothing extends.
 */
export function refusedByBudget(d: Draft, budget: BudgetState, kind: PurchaseKind, feeUsd: number, offeringId: string, endIso: string): boolean {
  const verdict = budgetVerdict({ budgetUsd: budget.budgetUsd, committedUsd: budget.committedUsd, feeUsd });
  if (verdict.allowed) return false;
  const reason = `${kind} ${offeringId} not bought: ${verdict.reason} (month ${budget.month}, ${usd(verdict.remainingUsd)} left)`;
  d.status("OVER_BUDGET", reason);
  d.historyOnStatusChange("OVER_BUDGET", reason, { offeringId, feeUsd });
  d.notifyOnce("OVER_BUDGET", `${budget.month}|${endIso}`, overBudget(d.record, budget, kind, offeringId, endIso, feeUsd, verdict.reason));
  escalateUnableToAct(d, endIso, "over budget", `the monthly budget rules the purchase out: ${verdict.reason}`);
  return true;
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
