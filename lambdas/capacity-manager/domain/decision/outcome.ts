/** Applying the outcome of the purchase call to the record that holds its intent. */
import { nextRejectedPurchases } from "../rejections";
import type { CapacityRecord, PurchaseIntent, PurchaseOutcome } from "../types";
import { type Decision, Draft } from "./draft";
import { recordPurchase } from "./purchase-intent";
import { recordReplacement } from "./replacement";

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
