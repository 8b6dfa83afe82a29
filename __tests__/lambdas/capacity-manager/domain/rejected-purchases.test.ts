/**
 * A purchase EC2 keeps rejecting (UnauthorizedOperation: the role lacks the action) must escalate early enough to
 * fix the cause before the payment cutoff, not only in the block's last hour. Fake time; EC2's error shape follows
 * @aws-sdk/client-ec2 3.1169.0 (an error code and message, nothing bought).
 */
import { describe, expect, it } from "vitest";
import { type Action, applyPurchaseOutcome, type DecideInput, type Decision, decide } from "../../../../lambdas/capacity-manager/domain/decision";
import { REPEATED_REJECTIONS } from "../../../../lambdas/capacity-manager/domain/rejections";
import { PAYMENT_CUTOFF_BEFORE_END_MS, PAYMENT_MAX_MS } from "../../../../lambdas/capacity-manager/domain/rules";
import type { CapacityRecord, NewBlockOfferingView } from "../../../../lambdas/capacity-manager/domain/types";
import { anOffering, aRecord, aReservation, at, END, END_ISO, HOUR, MINUTE } from "../fixtures";

const REJECTED = { kind: "rejected", code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." } as const;
const purchaseOf = (d: Decision) => d.actions.find((a): a is Extract<Action, { kind: "purchase" }> => a.kind === "purchase");
const notified = (d: Decision) => d.actions.flatMap((a) => (a.kind === "notify" ? [a.notification] : []));

const newBlock: NewBlockOfferingView = {
  offeringId: "cb-0000000000000000a",
  instanceType: "p5.48xlarge",
  instanceCount: 2,
  availabilityZone: "us-east-1a",
  startDate: END_ISO,
  endDate: new Date(END.getTime() + 168 * HOUR).toISOString(),
  durationHours: 168,
  feeUsd: 50_000,
  currency: "USD",
};

interface Step {
  readonly at: Date;
  readonly decision: Decision;
}

/** Runs the manager every 10 minutes from 24 h before the end against a market that rejects every purchase. */
function runAgainstRejectingMarket(start: CapacityRecord, market: Partial<DecideInput>, until: Date): { steps: Step[]; record: CapacityRecord } {
  let record = start;
  const steps: Step[] = [];
  for (let now = at(24 * HOUR); now < until; now = new Date(now.getTime() + 10 * MINUTE)) {
    const decision = decide({
      record,
      reservation: aReservation(),
      extensions: [],
      now,
      notificationsEnabled: true,
      newPurchasesEnabled: true,
      intentReservations: [],
      ...market,
    });
    steps.push({ at: now, decision });
    record = { ...record, ...(decision.changes as Partial<CapacityRecord>) } as CapacityRecord;
    // The reconciler publishes each notification and records its delivery.
    const delivered = Object.entries(record.notifications ?? {}).map(([kind, mark]) => [kind, { ...mark, deliveredAt: mark.deliveredAt ?? now.toISOString() }]);
    record = { ...record, notifications: Object.fromEntries(delivered) };
    const buy = purchaseOf(decision);
    if (buy) record = { ...record, ...(applyPurchaseOutcome(record, buy.intent, REJECTED, now).changes as Partial<CapacityRecord>) } as CapacityRecord;
    record = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null)) as unknown as CapacityRecord;
  }
  return { steps, record };
}

const cutoff = new Date(END.getTime() - PAYMENT_MAX_MS - PAYMENT_CUTOFF_BEFORE_END_MS);

describe("decide: purchases EC2 keeps rejecting", () => {
  it.each([
    ["an extension", aRecord({ maxUpfrontFeeUsd: 5000 }), { offerings: [anOffering()] }],
    ["a replacement", aRecord({ allowReplacement: true, maxUpfrontFeeUsd: 60_000 }), { offerings: [], newBlockOfferings: [newBlock] }],
  ])(
    "GIVEN %s rejected every run WHEN the runs go on THEN the block is flagged expiring and the gap reported well before the payment cutoff",
    (_name, record, market) => {
      const { steps, record: after } = runAgainstRejectingMarket(record, market, cutoff);
      // Every run tried (nothing bought, so trying again is safe) ...
      expect(steps.every((s) => purchaseOf(s.decision) !== undefined)).toBe(true);
      // ... and from the run after the first rejection on, the block counts as expiring (ExpiringWithoutExtension).
      expect(steps[0]?.decision.expiringWithoutExtension).toBe(false);
      expect(steps.slice(1).every((s) => s.decision.expiringWithoutExtension)).toBe(true);
      // One EXPIRING alert right after the first rejection (throttled, not one per run), before the cutoff.
      const expiring = steps.filter((s) => notified(s.decision).includes("EXPIRING"));
      expect(expiring[0]?.at.getTime()).toBe(at(24 * HOUR - 10 * MINUTE).getTime());
      expect(expiring.length).toBeLessThan(steps.length / 4);
      // After repeated rejections the gap is reported once, still hours before the payment cutoff.
      const gap = steps.filter((s) => notified(s.decision).includes("GAP"));
      expect(gap).toHaveLength(1);
      expect(gap[0]?.at.getTime()).toBe(at(24 * HOUR - REPEATED_REJECTIONS * 10 * MINUTE).getTime());
      expect(after.gap).toMatchObject({ startDate: END_ISO });
      expect(after.gap?.reason).toContain("UnauthorizedOperation");
      expect(after.rejectedPurchases).toMatchObject({ forEndDate: END_ISO, lastCode: "UnauthorizedOperation" });
    },
  );

  it("GIVEN purchases were rejected WHEN one goes through THEN the count and the gap it caused are cleared", () => {
    const { record } = runAgainstRejectingMarket(aRecord({ maxUpfrontFeeUsd: 5000 }), { offerings: [anOffering()] }, at(23 * HOUR));
    const buy = purchaseOf(
      decide({ record, reservation: aReservation(), extensions: [], now: at(23 * HOUR), notificationsEnabled: true, offerings: [anOffering()] }),
    );
    expect(buy).toMatchObject({ kind: "purchase" });
    const done = applyPurchaseOutcome(record, buy!.intent, { kind: "purchased" }, at(23 * HOUR));
    expect(done.changes.rejectedPurchases).toBeNull();
    expect(done.changes.gap).toBeNull();
  });
});
