import { describe, expect, it } from "vitest";
import { applyPurchaseOutcome, type DecideInput, decide } from "../../../../lambdas/capacity-manager/domain/decision";
import type { CapacityRecord } from "../../../../lambdas/capacity-manager/domain/types";
import { anExtension, anOffering, aRecord, aReservation, at, END_ISO, HOUR, MINUTE } from "../fixtures";

/** In the purchase window (24 h before the end, extendBeforeHours 24), an offering of $1000. */
function input(overrides: Partial<DecideInput> & { record?: CapacityRecord } = {}): DecideInput {
  return {
    record: aRecord(),
    reservation: aReservation(),
    extensions: [],
    offerings: [anOffering()],
    now: at(20 * HOUR),
    notificationsEnabled: true,
    ...overrides,
  };
}
const budget = (committedUsd: number, budgetUsd = 5000) => ({ month: "2026-03", budgetUsd, committedUsd });
const purchaseOf = (d: ReturnType<typeof decide>) => d.actions.find((a) => a.kind === "purchase");
const alerts = (d: ReturnType<typeof decide>, kind: string) => d.actions.filter((a) => a.kind === "notify" && a.notification === kind);

describe("decide: the monthly budget gates every purchase", () => {
  it.each([
    ["the fee reaches the budget exactly", 4000, true],
    ["the fee is one cent over the budget", 4000.01, false],
    ["nothing is committed yet", 0, true],
  ])("GIVEN %s WHEN the record would buy THEN bought=%s", (_name, committed, bought) => {
    const decision = decide(input({ budget: budget(committed) }));
    expect(purchaseOf(decision) !== undefined).toBe(bought);
    expect(decision.changes.status).toBe(bought ? "PURCHASING" : "OVER_BUDGET");
  });

  it("GIVEN the budget refuses WHEN deciding THEN the record says why, one alert goes out, nothing is bought, and the proposal stays", () => {
    const decision = decide(input({ budget: budget(4500) }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.statusReason).toMatch(
      /^extension cbeo-aaaa not bought: the fee \$1000\.00 would take this month's committed spend from \$4500\.00 to \$5500\.00, over the monthly budget of \$5000\.00/,
    );
    expect(decision.changes.statusReason).toContain("no approval can override it");
    expect(decision.history.map((h) => h.kind)).toEqual(["OVER_BUDGET"]);
    const [alert] = alerts(decision, "OVER_BUDGET");
    expect(alert).toMatchObject({ once: true });
    expect(alert && alert.kind === "notify" ? alert.message : "").toContain(
      "raise capacity_manager.monthly_budget_usd and redeploy (an approval cannot override the budget)",
    );
    expect(decision.changes.proposal).toMatchObject({ offeringId: "cbeo-aaaa", feeUsd: 1000 });
  });

  it("GIVEN the alert went out WHEN the next run refuses again THEN no second alert (throttled to one per block end and month)", () => {
    const first = decide(input({ budget: budget(4500) }));
    const record = aRecord({
      ...(first.changes as Partial<CapacityRecord>),
      status: "OVER_BUDGET",
      notifications: {
        OVER_BUDGET: { ...(first.changes.notifications?.OVER_BUDGET as { at: string; key: string }), deliveredAt: at(20 * HOUR).toISOString() },
      },
    });
    const again = decide(input({ record, budget: budget(4500), now: at(20 * HOUR - MINUTE) }));
    expect(purchaseOf(again)).toBeUndefined();
    expect(alerts(again, "OVER_BUDGET")).toEqual([]);
    expect(again.history).toEqual([]);
  });

  it("GIVEN an approval covering the fee WHEN the budget refuses THEN the approval does not override it, and stays for later", () => {
    const approval = { by: "arn:aws:iam::123456789012:role/finance-approver", at: at(30 * HOUR).toISOString(), maxFeeUsd: 2000, durationHours: 24 };
    const record = aRecord({ requireApproval: true, approval, approved: true });
    const refused = decide(input({ record, budget: budget(4500) }));
    expect(purchaseOf(refused)).toBeUndefined();
    expect(refused.changes.status).toBe("OVER_BUDGET");
    expect(refused.changes).not.toHaveProperty("approval");
    // Only a higher budget (a redeploy) lets the same approval buy.
    const raised = decide(input({ record, budget: budget(4500, 6000) }));
    expect(purchaseOf(raised)).toMatchObject({ intent: { approvedBy: approval.by, feeUsd: 1000 } });
  });

  it("GIVEN a proposal the budget already rules out WHEN approval is requested THEN the request says so", () => {
    const record = aRecord({ requireApproval: true });
    const decision = decide(input({ record, now: at(40 * HOUR), budget: budget(4500) }));
    const [request] = alerts(decision, "APPROVAL_REQUEST");
    expect(request && request.kind === "notify" ? request.message : "").toContain("Budget: NOT WITHIN THE MONTHLY BUDGET (2026-03)");
    expect(decision.changes.statusReason).toContain("the monthly budget rules it out for 2026-03");
    const fits = decide(input({ record, now: at(40 * HOUR), budget: budget(0) }));
    const [fine] = alerts(fits, "APPROVAL_REQUEST");
    expect(fine && fine.kind === "notify" ? fine.message : "").not.toContain("Budget:");
  });
});

describe("applyPurchaseOutcome / settlement: the ledger item rides on the record until written", () => {
  const intent = {
    intentId: "cr-0123456789abcdef0|2026-03-10T12:00:00.000Z|v3",
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END_ISO,
    startedAt: at(20 * HOUR).toISOString(),
    approvedBy: "arn:aws:iam::123456789012:role/finance-approver",
  };

  it("GIVEN a purchase EC2 confirms at once WHEN applied THEN one unledgered entry holds fee, offering, block, dates, approver, reason and intent", () => {
    const decision = applyPurchaseOutcome(aRecord({ intent }), intent, { kind: "purchased" }, at(20 * HOUR));
    expect(decision.changes.unledgered).toEqual([
      {
        intentId: intent.intentId,
        kind: "extension",
        recordPk: "env-123",
        capacityReservationId: "cr-0123456789abcdef0",
        offeringId: "cbeo-aaaa",
        feeUsd: 1000,
        currency: "USD",
        startDate: END_ISO,
        endDate: new Date(Date.parse(END_ISO) + 24 * HOUR).toISOString(),
        purchasedAt: intent.startedAt,
        approvedBy: intent.approvedBy,
        reason: expect.stringContaining(`approved by ${intent.approvedBy}`),
      },
    ]);
  });

  it.each([
    ["rejected", { kind: "rejected", code: "InvalidOffering", message: "gone" } as const],
    ["unknown (timeout)", { kind: "unknown", message: "socket hang up" } as const],
  ])("GIVEN an outcome %s WHEN applied THEN nothing is ledgered", (_name, outcome) => {
    expect(applyPurchaseOutcome(aRecord({ intent }), intent, outcome, at(20 * HOUR)).changes).not.toHaveProperty("unledgered");
  });

  it("GIVEN an unknown outcome WHEN EC2's history later shows the purchase THEN it is ledgered then, in the intent's month", () => {
    const record = aRecord({ intent, status: "PURCHASING" });
    const bought = anExtension({ offeringId: "cbeo-aaaa", status: "payment-pending", purchaseDate: at(20 * HOUR - MINUTE).toISOString(), feeUsd: 1000 });
    const decision = decide({ record, reservation: aReservation(), extensions: [bought], now: at(19 * HOUR), notificationsEnabled: true });
    expect(decision.changes.unledgered).toMatchObject([{ intentId: intent.intentId, purchasedAt: intent.startedAt, ec2PurchaseDate: bought.purchaseDate }]);
  });

  it("GIVEN a payment that failed at settlement WHEN applied THEN nothing is ledgered", () => {
    const failed = anExtension({ offeringId: "cbeo-aaaa", status: "payment-failed", purchaseDate: at(20 * HOUR).toISOString() });
    const decision = applyPurchaseOutcome(aRecord({ intent }), intent, { kind: "purchased", extension: failed }, at(20 * HOUR));
    expect(decision.changes).not.toHaveProperty("unledgered");
  });
});
