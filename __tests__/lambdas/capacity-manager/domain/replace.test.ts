/**
 * Replacement (rollover) and gaps, with fake time: the pure choice of a new block and every rule decide() applies
 * to it. EC2 shapes follow @aws-sdk/client-ec2 3.1169.0 (DescribeCapacityBlockOfferings: AvailabilityZone,
 * StartDate, EndDate, CapacityBlockDurationHours, UpfrontFee, CurrencyCode).
 */
import { describe, expect, it } from "vitest";
import { type Action, applyPurchaseOutcome, type DecideInput, type Decision, decide } from "../../../../lambdas/capacity-manager/domain/decision";
import { chooseReplacement, newBlockQueryKey, newBlockQueryOf, replacementPolicyOf } from "../../../../lambdas/capacity-manager/domain/replace";
import type { CapacityRecord, NewBlockOfferingView } from "../../../../lambdas/capacity-manager/domain/types";
import { anOffering, aRecord, aReservation, at, END, END_ISO, HOUR, MINUTE } from "../fixtures";

const iso = (ms: number) => new Date(ms).toISOString();
const afterEnd = (hours: number) => iso(END.getTime() + hours * HOUR);

function aNewBlock(overrides: Partial<NewBlockOfferingView> = {}): NewBlockOfferingView {
  const startDate = overrides.startDate ?? END_ISO;
  return {
    offeringId: "cb-0000000000000000a",
    instanceType: "p5.48xlarge",
    instanceCount: 2,
    availabilityZone: "us-east-1a",
    startDate,
    endDate: iso(Date.parse(startDate) + 168 * HOUR),
    durationHours: 168,
    feeUsd: 50_000,
    currency: "USD",
    ...overrides,
  };
}

/** A record that may be replaced, auto-buying within a cap of $60,000. */
const replaceable = (overrides: Partial<CapacityRecord> = {}) => aRecord({ allowReplacement: true, maxUpfrontFeeUsd: 60_000, ...overrides });

function input(overrides: Partial<DecideInput> = {}): DecideInput {
  return {
    record: replaceable(),
    reservation: aReservation(),
    extensions: [],
    now: at(20 * HOUR),
    notificationsEnabled: true,
    offerings: [],
    newPurchasesEnabled: true,
    ...overrides,
  };
}

const purchaseOf = (d: Decision) => d.actions.find((a): a is Extract<Action, { kind: "purchase" }> => a.kind === "purchase");
const notes = (d: Decision) => d.actions.flatMap((a) => (a.kind === "notify" ? [a] : []));
const statusAfter = (i: DecideInput, d: Decision) => d.changes.status ?? i.record.status;

describe("chooseReplacement", () => {
  const base = {
    instanceType: "p5.48xlarge",
    instanceCount: 2,
    policy: replacementPolicyOf(replaceable()),
    maxFeeUsd: 60_000,
    oldEndMs: END.getTime(),
    notBeforeMs: at(20 * HOUR).getTime(),
  };

  it("GIVEN several offerings starting by the old end THEN the cheapest per GPU-hour, with no gap", () => {
    const choice = chooseReplacement({
      ...base,
      offerings: [
        aNewBlock({ offeringId: "cb-dear", feeUsd: 55_000 }),
        aNewBlock({ offeringId: "cb-cheap", feeUsd: 40_000, startDate: afterEnd(-2) }),
        aNewBlock({ offeringId: "cb-later", feeUsd: 1_000, startDate: afterEnd(5) }),
      ],
    });
    expect(choice).toMatchObject({ kind: "found", offeringId: "cb-cheap", feeUsd: 40_000, target: { gapHours: 0, availabilityZone: "us-east-1a" } });
    // 40,000 / (8 GPUs x 2 instances x 168 h)
    expect(choice.kind === "found" && choice.target.usdPerGpuHour).toBeCloseTo(40_000 / (8 * 2 * 168), 4);
  });

  it("GIVEN none starts by the old end THEN the earliest within the cap, and the gap it leaves", () => {
    const choice = chooseReplacement({
      ...base,
      offerings: [
        aNewBlock({ offeringId: "cb-late", startDate: afterEnd(30), feeUsd: 10_000 }),
        aNewBlock({ offeringId: "cb-soon", startDate: afterEnd(6) }),
        aNewBlock({ offeringId: "cb-soon-too-dear", startDate: afterEnd(1), feeUsd: 90_000 }),
      ],
    });
    expect(choice).toMatchObject({ kind: "found", offeringId: "cb-soon", target: { gapHours: 6, startDate: afterEnd(6) } });
  });

  it.each([
    ["another instance type", { instanceType: "p5e.48xlarge" }],
    ["another count", { instanceCount: 4 }],
    ["a zone the policy does not allow", { availabilityZone: "us-east-1b" }],
    ["another duration", { durationHours: 24 }],
    ["a fee that is not a number", { feeUsd: undefined }],
    ["another currency", { currency: "EUR" }],
    ["a start already past (no longer purchasable)", { startDate: at(21 * HOUR).toISOString() }],
  ])("GIVEN only an offering with %s THEN nothing is chosen", (_name, overrides) => {
    expect(chooseReplacement({ ...base, offerings: [aNewBlock(overrides as Partial<NewBlockOfferingView>)] })).toMatchObject({ kind: "none", aboveCap: 0 });
  });

  it("GIVEN only offerings above the cap THEN nothing, counted as above the cap", () => {
    expect(chooseReplacement({ ...base, offerings: [aNewBlock({ feeUsd: 60_000.01 })] })).toEqual({ kind: "none", matching: 1, aboveCap: 1 });
  });

  it("GIVEN listed zones THEN offerings there count, the block's own zone only when listed", () => {
    const policy = replacementPolicyOf(replaceable({ replacementAvailabilityZones: ["us-east-1b", "us-east-1c"] }));
    expect(chooseReplacement({ ...base, policy, offerings: [aNewBlock({ availabilityZone: "us-east-1a" })] }).kind).toBe("none");
    expect(chooseReplacement({ ...base, policy, offerings: [aNewBlock({ availabilityZone: "us-east-1c" })] })).toMatchObject({
      kind: "found",
      target: { availabilityZone: "us-east-1c" },
    });
  });

  it("defaults: off, the block's own zone, 168 h; one search key per type, count and duration", () => {
    expect(replacementPolicyOf(aRecord())).toEqual({ allowed: false, zones: ["us-east-1a"], durationHours: 168 });
    expect(newBlockQueryKey(newBlockQueryOf(aRecord()))).toBe("p5.48xlarge|2|168");
    expect(newBlockQueryKey(newBlockQueryOf(aRecord({ replacementDurationHours: 336 })))).toBe("p5.48xlarge|2|336");
  });
});

describe("decide: when the extension is not bought, a replacement", () => {
  it.each([
    ["no extension offering", [] as ReturnType<typeof anOffering>[]],
    ["only extensions above the cap", [anOffering({ feeUsd: 70_000 })]],
  ])("GIVEN %s and replacement allowed THEN new-block offerings are searched (type, count, duration)", (_name, offerings) => {
    const decision = decide(input({ offerings }));
    expect(decision.needsNewBlockOfferings).toEqual({ instanceType: "p5.48xlarge", instanceCount: 2, durationHours: 168 });
    expect(purchaseOf(decision)).toBeUndefined();
  });

  it("GIVEN an extension within the policy THEN no replacement is searched", () => {
    const decision = decide(input({ offerings: [anOffering({ feeUsd: 1000 })] }));
    expect(decision.needsNewBlockOfferings).toBeUndefined();
    expect(purchaseOf(decision)?.intent.replacement).toBeUndefined();
  });

  it("GIVEN no approval needed and the window open THEN the replacement is bought through the purchase intent, tagged by its id", () => {
    const i = input({ newBlockOfferings: [aNewBlock()] });
    const decision = decide(i);
    const action = purchaseOf(decision);
    expect(action?.intent).toMatchObject({
      offeringId: "cb-0000000000000000a",
      feeUsd: 50_000,
      durationHours: 168,
      forEndDate: END_ISO,
      replacement: { availabilityZone: "us-east-1a", startDate: END_ISO, gapHours: 0 },
    });
    expect(action?.intent.intentId).toMatch(/^[A-Za-z0-9-]+$/);
    expect(decision.changes.intent).toEqual(action?.intent);
    expect(statusAfter(i, decision)).toBe("PURCHASING");
    expect(decision.history.map((h) => h.kind)).toContain("PURCHASE_STARTED");
  });

  it("GIVEN the window not open yet (auto-buy) THEN nothing is searched or bought", () => {
    const decision = decide(input({ now: at(30 * HOUR), newBlockOfferings: [aNewBlock()] }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.needsNewBlockOfferings).toBeUndefined();
  });

  it("GIVEN approval required THEN one proposal notification with offering, zone, start, end, fee, $/GPU-hour and gap; nothing bought", () => {
    const record = replaceable({ requireApproval: true });
    const i = input({ record, now: at(40 * HOUR), newBlockOfferings: [aNewBlock({ startDate: afterEnd(3), availabilityZone: "us-east-1a" })] });
    const decision = decide(i);
    expect(purchaseOf(decision)).toBeUndefined();
    expect(statusAfter(i, decision)).toBe("AWAITING_APPROVAL");
    expect(decision.changes.proposal).toMatchObject({ offeringId: "cb-0000000000000000a", replacement: { gapHours: 3 } });
    const request = notes(decision).find((n) => n.notification === "APPROVAL_REQUEST");
    expect(request?.subject).toBe("Approve replacement of capacity block cr-0123456789abcdef0");
    for (const part of ["cb-0000000000000000a", "us-east-1a", afterEnd(3), afterEnd(3 + 168), "$50000.00", "per GPU-hour", "Gap after the old end: 3 h"])
      expect(request?.message).toContain(part);
    expect(decision.history.map((h) => h.kind)).toContain("REPLACEMENT_PROPOSED");
  });

  it("GIVEN the proposal was sent THEN it is reminded at most every 6 h", () => {
    const record = replaceable({ requireApproval: true });
    const offerings = [aNewBlock()];
    const first = decide(input({ record, now: at(40 * HOUR), newBlockOfferings: offerings }));
    const after = (minutes: number) =>
      decide(
        input({
          record: { ...record, ...(first.changes as Partial<CapacityRecord>), status: "AWAITING_APPROVAL" },
          now: new Date(at(40 * HOUR).getTime() + minutes * MINUTE),
          newBlockOfferings: offerings,
        }),
      );
    expect(notes(after(5 * 60 + 59)).filter((n) => n.notification === "APPROVAL_REQUEST")).toHaveLength(0);
    expect(notes(after(6 * 60)).filter((n) => n.notification === "APPROVAL_REQUEST")).toHaveLength(1);
  });

  it("GIVEN approval of this very proposal THEN bought once the window opens, approved by that person", () => {
    const approval = {
      by: "arn:aws:iam::111122223333:role/approver",
      at: at(39 * HOUR).toISOString(),
      maxFeeUsd: 50_000,
      durationHours: 168,
      forEndDate: END_ISO,
      offeringId: "cb-0000000000000000a",
    };
    const record = replaceable({ requireApproval: true, approval, approved: true });
    const before = decide(input({ record, now: at(30 * HOUR), newBlockOfferings: [aNewBlock()] }));
    expect(purchaseOf(before)).toBeUndefined();
    expect(before.changes.status).toBe("APPROVED");
    const during = decide(input({ record, now: at(24 * HOUR), newBlockOfferings: [aNewBlock()] }));
    expect(purchaseOf(during)?.intent).toMatchObject({ approvedBy: approval.by, replacement: { availabilityZone: "us-east-1a" } });
  });

  it.each([
    ["an advance approval (no offering)", { offeringId: undefined, forEndDate: undefined }],
    ["an approval of another offering", { offeringId: "cb-other" }],
    ["an approval of a lower fee", { maxFeeUsd: 49_999 }],
  ])("GIVEN %s THEN the replacement is not bought without its own approval", (_name, change) => {
    const approval = {
      by: "a",
      at: at(39 * HOUR).toISOString(),
      maxFeeUsd: 50_000,
      durationHours: 168,
      forEndDate: END_ISO,
      offeringId: "cb-0000000000000000a",
      ...change,
    };
    const record = replaceable({ requireApproval: true, approval: approval as CapacityRecord["approval"] & object, approved: true });
    const decision = decide(input({ record, now: at(20 * HOUR), newBlockOfferings: [aNewBlock()] }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.status).toBe("AWAITING_APPROVAL");
  });

  it.each([
    ["a replacement's approval", "cb-0000000000000000a", 24, "extension", undefined],
    ["a replacement's approval (same duration as the new block)", "cb-0000000000000000a", 168, "replacement", "cb-0000000000000000a"],
    ["an extension's approval", "cbeo-aaaa", 24, "extension", "cbeo-aaaa"],
    ["an extension's approval", "cbeo-aaaa", 168, "replacement", undefined],
  ])(
    "GIVEN %s of offering %s for %i h WHEN the %s is on sale THEN it buys only the offering it names (bought: %s)",
    (_name, approvedOffering, hours, onSale, bought) => {
      const approval = {
        by: "arn:approver",
        at: at(39 * HOUR).toISOString(),
        maxFeeUsd: 50_000,
        durationHours: hours,
        forEndDate: END_ISO,
        offeringId: approvedOffering,
      };
      const record = replaceable({ requireApproval: true, approval, approved: true });
      const market = onSale === "extension" ? { offerings: [anOffering({ durationHours: 24, feeUsd: 1000 })] } : { newBlockOfferings: [aNewBlock()] };
      const decision = decide(input({ record, now: at(20 * HOUR), ...market }));
      expect(purchaseOf(decision)?.intent.offeringId).toBe(bought);
    },
  );

  it("GIVEN the extension's approval did not come before its approve-by THEN a replacement is proposed instead", () => {
    const record = replaceable({ requireApproval: true });
    const extension = [anOffering({ feeUsd: 1000 })];
    const late = at(12 * HOUR);
    const first = decide(input({ record, now: late, offerings: extension }));
    expect(first.needsNewBlockOfferings).toMatchObject({ instanceType: record.instanceType, durationHours: expect.any(Number) });
    const second = decide(input({ record, now: late, offerings: extension, newBlockOfferings: [aNewBlock({ startDate: afterEnd(-5) })] }));
    expect(second.changes.proposal?.replacement).toMatchObject({ availabilityZone: expect.any(String), startDate: afterEnd(-5) });
    expect(second.changes.statusReason).toContain("was not approved by");
  });

  it("GIVEN the environment buys no new blocks THEN no search, and the gap is reported", () => {
    const decision = decide(input({ newPurchasesEnabled: false }));
    expect(decision.needsNewBlockOfferings).toBeUndefined();
    expect(decision.changes.gap).toMatchObject({ startDate: END_ISO });
    expect(decision.changes.gap?.reason).toContain("allow_new_purchases = false");
  });
});

describe("decide: gaps", () => {
  it("GIVEN no extension and no replacement within the policy THEN one GAP alert naming start, length and the gpu-on-demand fallback", () => {
    const i = input({ now: at(20 * HOUR), newBlockOfferings: [aNewBlock({ feeUsd: 90_000 })] });
    const decision = decide(i);
    const gap = notes(decision).filter((n) => n.notification === "GAP");
    expect(gap).toHaveLength(1);
    expect(gap[0]?.once).toBe(true);
    expect(gap[0]?.message).toContain(`Gap starts: ${END_ISO}`);
    expect(gap[0]?.message).toContain("open-ended");
    expect(gap[0]?.message).toContain("gpu-on-demand");
    expect(decision.changes.gap).toMatchObject({ startDate: END_ISO });
    expect(decision.history.map((h) => h.kind)).toContain("GAP_EXPECTED");
    // Delivered once: not sent again by later runs.
    const marks = decision.changes.notifications!;
    const later = decide(
      input({
        record: {
          ...i.record,
          ...(decision.changes as Partial<CapacityRecord>),
          notifications: { ...marks, GAP: { ...marks.GAP!, deliveredAt: at(20 * HOUR).toISOString() } },
        },
        now: at(15 * HOUR),
        newBlockOfferings: [aNewBlock({ feeUsd: 90_000 })],
      }),
    );
    expect(notes(later).filter((n) => n.notification === "GAP")).toHaveLength(0);
    expect(later.history.map((h) => h.kind)).not.toContain("GAP_EXPECTED");
  });

  it("GIVEN the best replacement starts after the end THEN the gap is alerted as soon as it is known, with its length", () => {
    const record = replaceable({ requireApproval: true });
    // 47 h before the end: the approval lead (a day before the 24 h window) has just begun.
    const decision = decide(input({ record, now: at(47 * HOUR), newBlockOfferings: [aNewBlock({ startDate: afterEnd(10) })] }));
    const gap = notes(decision).find((n) => n.notification === "GAP");
    expect(gap?.message).toContain(`Gap length: 10 h (until ${afterEnd(10)})`);
    expect(decision.changes.gap).toMatchObject({ startDate: END_ISO, hours: 10 });
  });

  it("GIVEN replacement off and no extension THEN the gap is reported too", () => {
    const decision = decide(input({ record: aRecord({ maxUpfrontFeeUsd: 60_000 }) }));
    expect(decision.changes.gap?.reason).toContain("replacement is off");
    expect(notes(decision).map((n) => n.notification)).toContain("GAP");
  });

  it("GIVEN an extension comes back on sale THEN the gap is cleared", () => {
    const record = replaceable({ gap: { startDate: END_ISO, reason: "x" } });
    const decision = decide(input({ record, offerings: [anOffering({ feeUsd: 1000 })] }));
    expect(decision.changes.gap).toBeNull();
  });
});

describe("decide: settling a replacement purchase only by its intent tag", () => {
  const intentRecord = (startedAt: Date) => {
    const bought = decide(input({ newBlockOfferings: [aNewBlock()] }));
    const intent = purchaseOf(bought)!.intent;
    return {
      record: replaceable({ ...(bought.changes as Partial<CapacityRecord>), intent: { ...intent, startedAt: startedAt.toISOString() }, status: "PURCHASING" }),
      intent,
    };
  };
  const newReservation = aReservation({ capacityReservationId: "cr-0fedcba9876543210", state: "payment-pending", startDate: END_ISO, endDate: afterEnd(168) });

  it("GIVEN a purchased answer with the reservation THEN the old record links to it and the new block is tracked with the same policy", () => {
    const { record, intent } = intentRecord(at(20 * HOUR));
    const after = applyPurchaseOutcome(record, intent, { kind: "purchased", reservation: newReservation }, at(20 * HOUR));
    expect(after.changes.replacedBy).toMatchObject({ capacityReservationId: "cr-0fedcba9876543210", intentId: intent.intentId });
    expect(after.changes.intent).toBeNull();
    expect(after.history.map((h) => h.kind)).toEqual(["PURCHASED", "REPLACED_BY"]);
    const track = after.actions.find((a): a is Extract<Action, { kind: "trackNewBlock" }> => a.kind === "trackNewBlock");
    expect(track?.record).toMatchObject({
      PK: "cr-0fedcba9876543210",
      capacityReservationId: "cr-0fedcba9876543210",
      allowReplacement: true,
      maxUpfrontFeeUsd: 60_000,
      extendByHours: record.extendByHours,
      requireApproval: record.requireApproval,
      replacementOf: { PK: record.PK, capacityReservationId: record.capacityReservationId, intentId: intent.intentId },
      endDate: afterEnd(168),
    });
    expect(track?.record.nodeGroup).toBeUndefined();
    expect(track?.history.map((h) => h.kind)).toEqual(["REPLACES"]);
  });

  it("GIVEN an unknown outcome THEN the intent stays and nothing is bought again", () => {
    const { record, intent } = intentRecord(at(20 * HOUR));
    const after = applyPurchaseOutcome(record, intent, { kind: "unknown", message: "TimeoutError" }, at(20 * HOUR));
    expect(after.changes.intent).toBeUndefined();
    expect(after.changes.status ?? record.status).toBe("PURCHASING");
    expect(after.history.map((h) => h.kind)).toEqual(["PURCHASE_OUTCOME_UNKNOWN"]);
    const next = decide(input({ record: { ...record, ...(after.changes as Partial<CapacityRecord>) }, now: at(20 * HOUR - MINUTE), intentReservations: [] }));
    expect(purchaseOf(next)).toBeUndefined();
    expect(next.needsNewBlockOfferings).toBeUndefined();
  });

  it("GIVEN the tag lookup finds the reservation THEN the purchase is confirmed from it", () => {
    const { record, intent } = intentRecord(at(20 * HOUR));
    const decision = decide(input({ record, now: at(20 * HOUR - 2 * MINUTE), intentReservations: [newReservation] }));
    expect(decision.changes.replacedBy?.capacityReservationId).toBe("cr-0fedcba9876543210");
    expect(decision.history.map((h) => h.kind)).toContain("PURCHASE_CONFIRMED");
    expect(decision.actions.some((a) => a.kind === "trackNewBlock")).toBe(true);
    expect(decision.changes.replacedBy?.intentId).toBe(intent.intentId);
  });

  it.each([
    ["the tag lookup", "lookup"],
    ["the purchase call's answer", "outcome"],
  ])("GIVEN a replacement found by %s already payment-failed WHEN settled THEN no ledger item is written", (_name, how) => {
    const { record, intent } = intentRecord(at(20 * HOUR));
    const failed = { ...newReservation, state: "payment-failed" };
    const decision =
      how === "lookup"
        ? decide(input({ record, now: at(20 * HOUR - 2 * MINUTE), intentReservations: [failed] }))
        : applyPurchaseOutcome(record, intent, { kind: "purchased", reservation: failed }, at(20 * HOUR));
    expect(decision.changes).not.toHaveProperty("unledgered");
    const paid = decide(input({ record, now: at(20 * HOUR - 2 * MINUTE), intentReservations: [newReservation] }));
    expect(paid.changes.unledgered).toMatchObject([{ intentId: intent.intentId }]);
  });

  it("GIVEN the tag lookup failed within the grace period inside 24 h of the end THEN nothing is settled or bought, and the block is flagged expiring", () => {
    const { record } = intentRecord(at(20 * HOUR));
    const decision = decide(input({ record, now: at(20 * HOUR - 5 * MINUTE) }));
    expect(decision.changes.intent).toBeUndefined();
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.status ?? record.status).toBe("PURCHASING");
    expect(decision.expiringWithoutExtension).toBe(true);
    expect(notes(decision).map((n) => n.notification)).toContain("EXPIRING");
  });

  it.each([
    ["the tag lookup keeps failing", true],
    ["the environment stopped buying new blocks (no lookup at all)", false],
  ])("GIVEN %s after the grace period THEN the intent is held as PURCHASE_UNCONFIRMED, never bought blind", (_name, newPurchasesEnabled) => {
    const { record } = intentRecord(at(20 * HOUR));
    const decision = decide(input({ record, now: at(20 * HOUR - 16 * MINUTE), newPurchasesEnabled }));
    expect(decision.changes.intent).toBeUndefined();
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.status).toBe("PURCHASE_UNCONFIRMED");
    expect(notes(decision).map((n) => n.notification)).toContain("PURCHASE_UNCONFIRMED");
  });

  it("GIVEN no tagged reservation after the grace period THEN held for an approver, never bought blind", () => {
    const { record } = intentRecord(at(20 * HOUR));
    const decision = decide(input({ record, now: at(20 * HOUR - 16 * MINUTE), intentReservations: [] }));
    expect(decision.changes.status).toBe("PURCHASE_UNCONFIRMED");
    expect(purchaseOf(decision)).toBeUndefined();
    const alert = notes(decision).find((n) => n.notification === "PURCHASE_UNCONFIRMED");
    expect(alert?.message).toContain(`--filters Name=tag:blockfleet.io/intent-id,Values=${record.intent!.intentId}`);
  });

  it("GIVEN the record is replaced THEN nothing more is decided for it; if the new block's payment failed, continuity is decided again", () => {
    const link = { PK: "cr-0fedcba9876543210", capacityReservationId: "cr-0fedcba9876543210", intentId: "replace-x", at: at(20 * HOUR).toISOString() };
    const replaced = replaceable({ replacedBy: link });
    const quiet = decide(input({ record: replaced, now: at(10 * HOUR), replacedByReservation: newReservation }));
    expect(quiet.needsNewBlockOfferings).toBeUndefined();
    expect(quiet.needsOfferings).toBeUndefined();
    expect(quiet.changes.statusReason).toContain("replaced by cr-0fedcba9876543210");
    const failed = decide(input({ record: replaced, now: at(10 * HOUR), replacedByReservation: { ...newReservation, state: "payment-failed" } }));
    expect(failed.changes.replacedBy).toBeNull();
    expect(failed.history.map((h) => h.kind)).toContain("PAYMENT_FAILED");
    expect(failed.needsNewBlockOfferings).toMatchObject({ instanceType: expect.any(String), instanceCount: expect.any(Number) });
  });
});

describe("decide: replacements and the monthly budget (the same purchase path as extensions)", () => {
  const budget = (committedUsd: number) => ({ month: "2026-03", budgetUsd: 100_000, committedUsd });

  it("GIVEN a replacement that would take the month over budget THEN it is not bought, whatever the approval, and the record says why", () => {
    const decision = decide(input({ newBlockOfferings: [aNewBlock({ feeUsd: 50_000 })], budget: budget(60_000) }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.status).toBe("OVER_BUDGET");
    expect(decision.changes.statusReason).toContain("replacement cb-0000000000000000a not bought");
  });

  it("GIVEN a replacement within the budget THEN it is bought", () => {
    expect(purchaseOf(decide(input({ newBlockOfferings: [aNewBlock({ feeUsd: 50_000 })], budget: budget(50_000) })))?.intent).toMatchObject({
      feeUsd: 50_000,
      replacement: expect.anything(),
    });
  });

  it("GIVEN a replacement settled as bought THEN its ledger item is a replacement of the new block, with the intent id", () => {
    const bought = decide(input({ newBlockOfferings: [aNewBlock()] }));
    const intent = purchaseOf(bought)!.intent;
    const record = replaceable({ ...(bought.changes as Partial<CapacityRecord>), status: "PURCHASING" });
    const reservation = aReservation({ capacityReservationId: "cr-0fedcba9876543210", state: "payment-pending", startDate: END_ISO, endDate: afterEnd(168) });
    const after = applyPurchaseOutcome(record, intent, { kind: "purchased", reservation }, at(20 * HOUR));
    expect(after.changes.unledgered).toEqual([
      expect.objectContaining({
        intentId: intent.intentId,
        kind: "replacement",
        capacityReservationId: "cr-0fedcba9876543210",
        feeUsd: 50_000,
        startDate: END_ISO,
        endDate: afterEnd(168),
        recordPk: record.PK,
      }),
    ]);
  });
});
