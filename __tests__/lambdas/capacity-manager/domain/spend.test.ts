import { describe, expect, it } from "vitest";
import {
  budgetVerdict,
  buildSpendSummary,
  committedSpendUsd,
  isUtcMonth,
  type SpendEntry,
  utcMonthBounds,
  utcMonthOf,
} from "../../../../lambdas/capacity-manager/domain/spend";

function anEntry(overrides: Partial<SpendEntry> = {}): SpendEntry {
  return {
    intentId: "cr-0123456789abcdef0|2026-12-10T11:30:00.000Z|v3",
    kind: "extension",
    recordPk: "block-a",
    capacityReservationId: "cr-0123456789abcdef0",
    offeringId: "cbe-0123456789abcdef0",
    feeUsd: 1000,
    currency: "USD",
    startDate: "2026-12-10T11:30:00.000Z",
    endDate: "2026-12-11T11:30:00.000Z",
    purchasedAt: "2026-12-09T20:00:00.000Z",
    reason: "extend by 24 h",
    ...overrides,
  };
}

describe("spend: UTC months", () => {
  it.each([
    ["the last millisecond of November (UTC)", "2026-11-30T23:59:59.999Z", "2026-11"],
    ["UTC midnight starting December", "2026-12-01T00:00:00.000Z", "2026-12"],
    ["an offset time that is still November in UTC", "2026-12-01T00:30:00+01:00", "2026-11"],
  ])("GIVEN %s WHEN taking its month THEN it is %s", (_name, at, month) => {
    expect(utcMonthOf(at)).toBe(month);
  });

  it("GIVEN December WHEN bounding it THEN it runs from UTC midnight on the 1st to January's", () => {
    const { start, end } = utcMonthBounds("2026-12");
    expect(start.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(end.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it.each([
    ["2026-12", true],
    ["2026-13", false],
    ["2026-1", false],
    ["26-01", false],
    ["2026-00", false],
  ])("GIVEN %s WHEN checked THEN isUtcMonth=%s", (value, ok) => {
    expect(isUtcMonth(value)).toBe(ok);
  });

  it("fails when a month is not YYYY-MM", () => {
    expect(() => utcMonthBounds("2026-13")).toThrow('month must be YYYY-MM, got "2026-13"');
  });
});

describe("spend: budgetVerdict", () => {
  it("GIVEN a fee that reaches the budget exactly WHEN judged THEN it is allowed with nothing left", () => {
    expect(budgetVerdict({ budgetUsd: 5000, committedUsd: 4000, feeUsd: 1000 })).toEqual({ allowed: true, remainingAfterUsd: 0 });
  });

  it("GIVEN a fee one cent over the budget WHEN judged THEN it is refused, saying why and that no approval overrides it", () => {
    const verdict = budgetVerdict({ budgetUsd: 5000, committedUsd: 4000, feeUsd: 1000.01 });
    expect(verdict.allowed).toBe(false);
    if (verdict.allowed) return;
    expect(verdict.remainingUsd).toBe(1000);
    expect(verdict.reason).toContain("$4000.00 to $5000.01, over the monthly budget of $5000.00 (capacity_manager.monthly_budget_usd)");
    expect(verdict.reason).toContain("no approval can override it");
  });

  it("GIVEN amounts binary floating point cannot hold WHEN judged THEN cents decide (0.1 + 0.2 fits a 0.3 budget)", () => {
    expect(budgetVerdict({ budgetUsd: 0.3, committedUsd: 0.1, feeUsd: 0.2 }).allowed).toBe(true);
  });

  it("GIVEN a month already over budget WHEN judged THEN nothing is left and any fee is refused", () => {
    const verdict = budgetVerdict({ budgetUsd: 100, committedUsd: 150, feeUsd: 0.01 });
    expect(verdict).toMatchObject({ allowed: false, remainingUsd: 0 });
  });
});

describe("spend: committedSpendUsd", () => {
  const ledger = [anEntry({ intentId: "a", feeUsd: 1000 }), anEntry({ intentId: "b", feeUsd: 250.5, purchasedAt: "2026-11-30T23:59:59.999Z" })];

  it("GIVEN ledger entries of two months WHEN committing December THEN only December's count", () => {
    expect(committedSpendUsd("2026-12", ledger, [])).toBe(1000);
    expect(committedSpendUsd("2026-11", ledger, [])).toBe(250.5);
  });

  it("GIVEN an intent in flight (or with an unknown outcome) WHEN committing THEN it counts as spent", () => {
    expect(committedSpendUsd("2026-12", ledger, [{ intentId: "c", feeUsd: 400, startedAt: "2026-12-09T21:00:00.000Z" }])).toBe(1400);
  });

  it("GIVEN that intent settled as not bought (its intent is gone) WHEN committing THEN it is released", () => {
    expect(committedSpendUsd("2026-12", ledger, [])).toBe(1000);
  });

  it("GIVEN a pending purchase already in the ledger (its ledger write retried) WHEN committing THEN it counts once", () => {
    expect(committedSpendUsd("2026-12", ledger, [{ intentId: "a", feeUsd: 1000, startedAt: "2026-12-09T20:00:00.000Z" }])).toBe(1000);
  });

  it("GIVEN an intent started at UTC midnight WHEN committing THEN it counts in the new month, not the old", () => {
    const pending = [{ intentId: "d", feeUsd: 10, startedAt: "2026-12-01T00:00:00.000Z" }];
    expect(committedSpendUsd("2026-11", [], pending)).toBe(0);
    expect(committedSpendUsd("2026-12", [], pending)).toBe(10);
  });
});

describe("spend: buildSpendSummary", () => {
  it("GIVEN extensions and a replacement on two blocks WHEN summarised THEN totals, kinds, blocks and remaining agree", () => {
    const entries = [
      anEntry({ intentId: "e1", feeUsd: 1000, purchasedAt: "2026-12-02T00:00:00.000Z" }),
      anEntry({ intentId: "e2", feeUsd: 500, purchasedAt: "2026-12-01T00:00:00.000Z" }),
      anEntry({ intentId: "r1", kind: "replacement", feeUsd: 3000, capacityReservationId: "cr-0fedcba9876543210", recordPk: "block-b" }),
      anEntry({ intentId: "old", feeUsd: 9999, purchasedAt: "2026-11-30T23:59:59.999Z" }),
    ];
    const summary = buildSpendSummary({ month: "2026-12", budgetUsd: 10000, entries });
    expect(summary).toMatchObject({
      month: "2026-12",
      currency: "USD",
      budgetUsd: 10000,
      totalUsd: 4500,
      remainingUsd: 5500,
      byKind: { extension: { purchases: 2, totalUsd: 1500 }, replacement: { purchases: 1, totalUsd: 3000 } },
    });
    expect(summary.blocks.map((b) => [b.capacityReservationId, b.totalUsd])).toEqual([
      ["cr-0fedcba9876543210", 3000],
      ["cr-0123456789abcdef0", 1500],
    ]);
    expect(summary.blocks[1]?.purchases.map((p) => p.intentId)).toEqual(["e2", "e1"]);
  });

  it("GIVEN no budget (tracking mode) WHEN summarised THEN budget and remaining are absent", () => {
    const summary = buildSpendSummary({ month: "2026-12", entries: [] });
    expect(summary).not.toHaveProperty("budgetUsd");
    expect(summary).not.toHaveProperty("remainingUsd");
    expect(summary.totalUsd).toBe(0);
  });
});
