import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPurchaseOutcome, type DecideInput, decide, needsExtensionHistory } from "../../../../lambdas/capacity-manager/domain/decision";
import type { CapacityRecord } from "../../../../lambdas/capacity-manager/domain/types";
import { anExtension, anOffering, aRecord, aReservation, at, END, END_ISO, HOUR, MINUTE, RESERVATION_ID } from "../fixtures";

function input(overrides: Partial<DecideInput> & { record?: CapacityRecord } = {}): DecideInput {
  return {
    record: aRecord(),
    reservation: aReservation(),
    extensions: [],
    now: at(10 * HOUR),
    notificationsEnabled: true,
    ...overrides,
  };
}
/** The status a record has after the decision is written. */
const statusAfter = (i: DecideInput, d: ReturnType<typeof decide>) => d.changes.status ?? i.record.status;
const purchaseOf = (d: ReturnType<typeof decide>) => d.actions.find((a) => a.kind === "purchase");
const notifications = (d: ReturnType<typeof decide>) => d.actions.flatMap((a) => (a.kind === "notify" ? [a.notification] : []));

describe("decide: when the manager looks at offerings", () => {
  it.each([
    ["auto-extend, before the window", aRecord({ extendBeforeHours: 24 }), at(30 * HOUR), false],
    ["auto-extend, window open", aRecord({ extendBeforeHours: 24 }), at(24 * HOUR), true],
    ["approval, more than a day before the window", aRecord({ requireApproval: true, extendBeforeHours: 24 }), at(49 * HOUR), false],
    ["approval, within the day before the window", aRecord({ requireApproval: true, extendBeforeHours: 24 }), at(47 * HOUR), true],
    ["long lead capped by the 56-day offering horizon", aRecord({ extendBeforeHours: 56 * 24 }), at(57 * 24 * HOUR), false],
    ["long lead, a minute before offerings open (56 days before the end)", aRecord({ extendBeforeHours: 56 * 24 }), at(56 * 24 * HOUR + MINUTE), false],
    ["long lead, offerings just opened (56 days before the end)", aRecord({ extendBeforeHours: 56 * 24 }), at(56 * 24 * HOUR), true],
    ["the last minute before offerings close (1 h before the end)", aRecord(), at(HOUR + MINUTE), true],
    ["offerings closed (1 h before the end)", aRecord(), at(HOUR), false],
  ])("GIVEN %s WHEN deciding THEN needsOfferings=%s", (_name, record, now, expected) => {
    const decision = decide(input({ record, now }));
    expect(decision.needsOfferings !== undefined).toBe(expected);
    expect(purchaseOf(decision)).toBeUndefined();
    if (expected) expect(decision.needsOfferings).toEqual({ durationHours: record.extendByHours });
  });
});

describe("decide: choosing the offering", () => {
  const now = at(20 * HOUR);
  it.each([
    [
      "the cheapest matching one",
      [anOffering({ offeringId: "cbeo-dear", feeUsd: 2000 }), anOffering({ offeringId: "cbeo-cheap", feeUsd: 900 })],
      undefined,
      "cbeo-cheap",
    ],
    [
      "not a wrong duration",
      [anOffering({ offeringId: "cbeo-48h", durationHours: 48, feeUsd: 10 }), anOffering({ offeringId: "cbeo-24h", feeUsd: 900 })],
      undefined,
      "cbeo-24h",
    ],
    [
      "not another currency",
      [anOffering({ offeringId: "cbeo-eur", currency: "EUR", feeUsd: 10 }), anOffering({ offeringId: "cbeo-usd" })],
      undefined,
      "cbeo-usd",
    ],
    [
      "not one starting at another time",
      [anOffering({ offeringId: "cbeo-late", startDate: new Date(END.getTime() + HOUR).toISOString(), feeUsd: 10 }), anOffering({ offeringId: "cbeo-ok" })],
      undefined,
      "cbeo-ok",
    ],
    [
      "not one with an unreadable fee",
      [anOffering({ offeringId: "cbeo-nan", feeUsd: undefined }), anOffering({ offeringId: "cbeo-ok" })],
      undefined,
      "cbeo-ok",
    ],
    ["one at exactly the cap", [anOffering({ offeringId: "cbeo-cap", feeUsd: 1500 })], 1500, "cbeo-cap"],
    ["none above the cap", [anOffering({ feeUsd: 1500.01 })], 1500, undefined],
    ["none when EC2 offers nothing", [], undefined, undefined],
  ])("GIVEN auto-extend in the window THEN it buys %s", (_name, offerings, cap, expectedOffering) => {
    const record = aRecord(cap === undefined ? {} : { maxUpfrontFeeUsd: cap });
    const decision = decide(input({ record, now, offerings }));
    const purchase = purchaseOf(decision);
    if (expectedOffering === undefined) {
      expect(purchase).toBeUndefined();
      expect(decision.changes.status).toBe("NO_OFFERING");
      expect(notifications(decision)).toContain("NO_OFFERING");
    } else {
      expect(purchase?.kind === "purchase" && purchase.intent.offeringId).toBe(expectedOffering);
      expect(decision.changes.status).toBe("PURCHASING");
      expect(decision.changes.intent?.forEndDate).toBe(END_ISO);
      expect(decision.history.map((h) => h.kind)).toEqual(["PURCHASE_STARTED"]);
    }
  });

  it("fails when the cap is exceeded: the reason names the fee and the cap", () => {
    const decision = decide(input({ record: aRecord({ maxUpfrontFeeUsd: 500 }), now, offerings: [anOffering({ feeUsd: 750 })] }));
    expect(decision.changes.statusReason).toBe("cheapest 24 h extension costs $750.00, above maxUpfrontFeeUsd $500.00");
  });
});

describe("decide: EC2 rules for extending", () => {
  const now = at(20 * HOUR);
  const offerings = [anOffering()];
  it.each([
    ["active", "PURCHASING", true],
    ["scheduled", "PURCHASING", true],
    ["payment-pending", "TRACKING", false],
    ["pending", "TRACKING", false],
    ["expired", "EXPIRED", false],
    ["cancelled", "NOT_EXTENDABLE", false],
    ["failed", "NOT_EXTENDABLE", false],
  ])("GIVEN a %s reservation THEN status %s, buys=%s", (state, status, buys) => {
    const given = input({ reservation: aReservation({ state }), now, offerings });
    const decision = decide(given);
    expect(statusAfter(given, decision)).toBe(status);
    expect(purchaseOf(decision) !== undefined).toBe(buys);
  });

  it("GIVEN a reservation EC2 does not know THEN NOT_FOUND, one alert, a TTL and no purchase", () => {
    const first = decide(input({ reservation: undefined, now }));
    expect(first.changes.status).toBe("NOT_FOUND");
    expect(first.changes.expiresAt).toBe(Math.floor((now.getTime() + 90 * 24 * HOUR) / 1000));
    expect(notifications(first)).toEqual(["NOT_FOUND"]);
    const again = decide(
      input({
        record: aRecord({ status: "NOT_FOUND", notifications: first.changes.notifications ?? {} }),
        reservation: undefined,
        now: new Date(now.getTime() + HOUR),
      }),
    );
    expect(notifications(again)).toEqual([]);
  });

  it("GIVEN an on-demand capacity reservation THEN NOT_EXTENDABLE", () => {
    const decision = decide(input({ reservation: aReservation({ reservationType: "default" }), now, offerings }));
    expect(decision.changes.status).toBe("NOT_EXTENDABLE");
    expect(purchaseOf(decision)).toBeUndefined();
  });

  it.each([
    ["an extension in payment-pending", [anExtension({ status: "payment-pending" })]],
    ["a succeeded extension EC2 has not applied to the end yet", [anExtension({ status: "payment-succeeded" })]],
  ])("GIVEN %s THEN it waits (EXTENSION_PENDING) and buys nothing", (_name, extensions) => {
    const decision = decide(input({ now, offerings, extensions }));
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.expiringWithoutExtension).toBe(false);
  });

  it("GIVEN the manager already bought for this end THEN it never buys again for it", () => {
    const record = aRecord({
      lastExtension: {
        intentId: "i1",
        offeringId: "cbeo-aaaa",
        feeUsd: 1000,
        durationHours: 24,
        forEndDate: END_ISO,
        purchasedAt: at(21 * HOUR).toISOString(),
      },
    });
    const decision = decide(input({ record, now, offerings }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
  });

  it("GIVEN the last extension's payment failed THEN it alerts and buys a new offering", () => {
    const record = aRecord({
      lastExtension: { intentId: "i1", offeringId: "cbeo-old", feeUsd: 1000, durationHours: 24, forEndDate: END_ISO, purchasedAt: at(21 * HOUR).toISOString() },
    });
    const decision = decide(
      input({
        record,
        now,
        offerings: [anOffering({ offeringId: "cbeo-new" })],
        extensions: [anExtension({ offeringId: "cbeo-old", status: "payment-failed" })],
      }),
    );
    expect(decision.changes.lastExtension?.paymentFailed).toBe(true);
    expect(notifications(decision)).toContain("PAYMENT_FAILED");
    expect(decision.history.map((h) => h.kind)).toContain("PAYMENT_FAILED");
    const purchase = purchaseOf(decision);
    expect(purchase?.kind === "purchase" && purchase.intent.offeringId).toBe("cbeo-new");
  });

  it("GIVEN a re-purchase of the same offering id after a failed payment THEN the old failure is not taken for the new purchase", () => {
    const record = aRecord({
      lastExtension: {
        intentId: "i2",
        offeringId: "cbeo-aaaa",
        feeUsd: 1000,
        durationHours: 24,
        forEndDate: END_ISO,
        purchasedAt: at(15 * HOUR).toISOString(),
      },
    });
    const extensions = [
      anExtension({ status: "payment-failed", purchaseDate: at(20 * HOUR).toISOString() }),
      anExtension({ status: "payment-pending", purchaseDate: at(15 * HOUR).toISOString() }),
    ];
    const decision = decide(input({ record, now: at(14 * HOUR), offerings, extensions }));
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
    expect(decision.changes.lastExtension).toBeUndefined();
    expect(purchaseOf(decision)).toBeUndefined();
  });

  it("GIVEN a payment failed within minutes and the same offering was bought again THEN the failed entry is not taken for the new purchase, with or without EC2's purchase date", () => {
    const failedAt = at(20 * HOUR).toISOString();
    const rebought = at(20 * HOUR - 2 * MINUTE).toISOString();
    const extensions = [anExtension({ status: "payment-failed", purchaseDate: failedAt }), anExtension({ status: "payment-pending", purchaseDate: rebought })];
    const base = {
      intentId: "i2",
      offeringId: "cbeo-aaaa",
      feeUsd: 1000,
      durationHours: 24,
      forEndDate: END_ISO,
      intentStartedAt: at(20 * HOUR - MINUTE).toISOString(),
    };
    for (const lastExtension of [
      { ...base, purchasedAt: rebought, extensionPurchaseDate: rebought },
      { ...base, purchasedAt: base.intentStartedAt },
    ]) {
      const decision = decide(input({ record: aRecord({ lastExtension }), now: at(19 * HOUR), offerings, extensions }));
      expect(decision.changes.status).toBe("EXTENSION_PENDING");
      expect(decision.changes.lastExtension).toBeUndefined();
      expect(notifications(decision)).toEqual([]);
      expect(decision.history).toEqual([]);
    }
  });

  it("GIVEN an unknown outcome after a fast payment failure of the same offering THEN the purchase confirmed is the intent's own (the latest), not the failed one", () => {
    const failed = anExtension({ status: "payment-failed", purchaseDate: at(20 * HOUR).toISOString() });
    const ours = anExtension({ status: "payment-pending", purchaseDate: at(20 * HOUR - 2 * MINUTE).toISOString() });
    const previous = {
      intentId: "i1",
      offeringId: "cbeo-aaaa",
      feeUsd: 1000,
      durationHours: 24,
      forEndDate: END_ISO,
      purchasedAt: failed.purchaseDate as string,
      extensionPurchaseDate: failed.purchaseDate as string,
      paymentFailed: true,
    };
    const intent = {
      intentId: "i2",
      offeringId: "cbeo-aaaa",
      durationHours: 24,
      feeUsd: 1000,
      forEndDate: END_ISO,
      startedAt: at(20 * HOUR - 2 * MINUTE).toISOString(),
    };
    const decision = decide(
      input({ record: aRecord({ status: "PURCHASING", intent, lastExtension: previous }), now: at(19 * HOUR), extensions: [failed, ours] }),
    );
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
    expect(decision.changes.lastExtension).toMatchObject({ intentId: "i2", extensionPurchaseDate: ours.purchaseDate });
    expect(decision.changes.lastExtension?.paymentFailed).toBeUndefined();
  });

  it("GIVEN the last hour before the end THEN no purchase and the block is reported expiring", () => {
    const decision = decide(input({ now: at(59 * MINUTE), offerings }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.needsOfferings).toBeUndefined();
    expect(decision.changes.status).toBe("EXPIRING");
    expect(decision.expiringWithoutExtension).toBe(true);
  });

  it("GIVEN EC2 reports no end date and the typed-in one is empty THEN nothing is decided (no offerings, no purchase, no node group call)", () => {
    const record = aRecord({ endDate: "", nodeGroup: { clusterName: "prod", nodegroupName: "p5-a", desiredSize: 4 } });
    const { endDate: _end, ...noEnd } = aReservation();
    const decision = decide(input({ record, reservation: noEnd, now: at(20 * HOUR), offerings: [anOffering()] }));
    expect(decision.changes.status).toBeUndefined();
    expect(decision.changes.statusReason).toBe("EC2 reports no end date for cr-0123456789abcdef0; nothing is decided until it does");
    expect(decision.needsOfferings).toBeUndefined();
    expect(decision.actions).toEqual([]);
  });

  it("GIVEN another record owns the reservation THEN this one is DUPLICATE: it never buys, asks or scales", () => {
    const record = aRecord({ requireApproval: false, nodeGroup: { clusterName: "prod", nodegroupName: "p5-a", desiredSize: 4 } });
    const decision = decide(input({ record, now: at(20 * HOUR), offerings: [anOffering()], duplicateOf: "env-001" }));
    expect(decision.changes.status).toBe("DUPLICATE");
    expect(decision.changes.statusReason).toContain("record env-001 tracks cr-0123456789abcdef0");
    expect(decision.needsOfferings).toBeUndefined();
    expect(decision.actions).toEqual([]);
    expect(decision.history.map((h) => h.kind)).toEqual(["DUPLICATE"]);
    // EC2's dates are still mirrored.
    expect(decision.changes.endDate).toBeUndefined();
    expect(decide(input({ record: aRecord({ endDate: "2030-01-01T00:00:00.000Z" }), now: at(20 * HOUR), duplicateOf: "env-001" })).changes.endDate).toBe(
      END_ISO,
    );
  });

  it("GIVEN stored dates a user typed THEN EC2's dates replace them", () => {
    const record = aRecord({ endDate: "2030-01-01T00:00:00.000Z", startDate: "2020-01-01T00:00:00.000Z", instanceCount: 99 });
    const decision = decide(input({ record, now: at(40 * 24 * HOUR) }));
    expect(decision.changes.endDate).toBe(END_ISO);
    expect(decision.changes.startDate).toBe("2026-03-01T12:00:00.000Z");
    expect(decision.changes.instanceCount).toBe(2);
  });

  it("GIVEN a record decided a minute ago and nothing changed THEN the decision writes nothing", () => {
    const first = decide(input({ now: at(40 * 24 * HOUR) }));
    const record = { ...aRecord(), ...first.changes } as CapacityRecord;
    const decision = decide(input({ record, now: at(40 * 24 * HOUR - MINUTE) }));
    expect(Object.keys(first.changes)).toContain("lastReconciledAt");
    expect(decision.changes).toEqual({});
    expect(decision.actions).toEqual([]);
  });
});

describe("decide: an unresolved purchase intent", () => {
  const intent = {
    intentId: "cr|end|v3",
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END_ISO,
    startedAt: at(20 * HOUR).toISOString(),
  };
  const record = aRecord({ status: "PURCHASING", intent });
  it.each([
    ["EC2 history shows it", [anExtension({ offeringId: "cbeo-aaaa" })], at(20 * HOUR - MINUTE), "EXTENSION_PENDING", "PURCHASE_CONFIRMED"],
    [
      "history shows a purchase made after the intent",
      [anExtension({ offeringId: "cbeo-other", purchaseDate: at(20 * HOUR - MINUTE).toISOString() })],
      at(19 * HOUR),
      "EXTENSION_PENDING",
      "PURCHASE_CONFIRMED",
    ],
    ["history is empty within the grace period", [], at(20 * HOUR - 14 * MINUTE), undefined, undefined],
    ["history is empty after the grace period (it can lag)", [], at(20 * HOUR - 16 * MINUTE), "PURCHASE_UNCONFIRMED", "PURCHASE_UNCONFIRMED"],
    [
      "history holds only an older purchase of the same offering (after the grace period)",
      [anExtension({ offeringId: "cbeo-aaaa", status: "payment-failed", purchaseDate: at(30 * HOUR).toISOString() })],
      at(19 * HOUR),
      "PURCHASE_UNCONFIRMED",
      "PURCHASE_UNCONFIRMED",
    ],
    ["history shows it failed", [anExtension({ offeringId: "cbeo-aaaa", status: "payment-failed" })], at(19 * HOUR), "PAYMENT_FAILED", "PURCHASE_CONFIRMED"],
  ])("GIVEN %s THEN status %s and never a second purchase", (_name, extensions, now, status, historyKind) => {
    const decision = decide(input({ record, extensions, now, offerings: [anOffering()] }));
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.needsOfferings).toBeUndefined();
    expect(decision.changes.status).toBe(status);
    expect(decision.history[0]?.kind).toBe(historyKind);
    // The intent is only ever dropped for a purchase EC2 shows; never because EC2 shows nothing.
    if (status === "PURCHASE_UNCONFIRMED" || status === undefined) expect(decision.changes.intent).toBeUndefined();
  });

  it.each([
    ["within the grace period", "PURCHASING" as const, at(20 * HOUR - 5 * MINUTE)],
    ["after the grace period", "PURCHASING" as const, at(20 * HOUR - 40 * MINUTE)],
    ["while held for an operator", "PURCHASE_UNCONFIRMED" as const, at(18 * HOUR)],
  ])(
    "GIVEN the history still lags but EC2 reports the block's end moved past the intent's end (%s) THEN the purchase is confirmed, not bought again",
    (_name, status, now) => {
      const newEnd = new Date(END.getTime() + 24 * HOUR).toISOString();
      const given = input({
        record: aRecord({ status, intent }),
        reservation: aReservation({ endDate: newEnd }),
        extensions: [],
        now,
        offerings: [anOffering()],
      });
      const decision = decide(given);
      expect(purchaseOf(decision)).toBeUndefined();
      expect(decision.changes.intent).toBeNull();
      expect(decision.changes.status).toBe("TRACKING");
      expect(decision.changes.lastExtension).toMatchObject({
        intentId: "cr|end|v3",
        forEndDate: END_ISO,
        offeringId: "cbeo-aaaa",
        feeUsd: 1000,
        purchasedAt: intent.startedAt,
      });
      expect(decision.history).toEqual([
        expect.objectContaining({
          kind: "PURCHASE_CONFIRMED",
          detail: `EC2 reports the block's end moved from ${END_ISO} to ${newEnd}: the extension was bought and paid`,
        }),
      ]);
    },
  );

  it("GIVEN EC2 reports the same end (within a minute) THEN that is no proof of a purchase: still held", () => {
    const decision = decide(input({ record, reservation: aReservation({ endDate: new Date(END.getTime() + 30_000).toISOString() }), now: at(19 * HOUR) }));
    expect(decision.changes.status).toBe("PURCHASE_UNCONFIRMED");
    expect(decision.changes.intent).toBeUndefined();
  });
});

describe("decide: a purchase held for an operator (PURCHASE_UNCONFIRMED)", () => {
  const intent = {
    intentId: "cr|end|v3",
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END_ISO,
    startedAt: at(20 * HOUR).toISOString(),
    approvedBy: "arn:aws:iam::123456789012:user/fin",
  };
  const held = decide(input({ record: aRecord({ status: "PURCHASING", intent }), now: at(20 * HOUR - 16 * MINUTE) }));
  const heldRecord = { ...aRecord({ status: "PURCHASING", intent }), ...held.changes, history: held.history } as CapacityRecord;
  const alert = held.actions.find((a) => a.kind === "notify");

  it("GIVEN the grace period passed with nothing in EC2 THEN the status says why and what an approver must do", () => {
    expect(held.changes.statusReason).toBe(
      `purchase cr|end|v3 (offering cbeo-aaaa, $1000.00) is neither in EC2's extension history nor visible in the block's end (${END_ISO}) 16 min after it started; nothing is bought for this block until an approver checks EC2 and clears it (PATCH /env-123 with body {"clearUnconfirmedPurchase": true}); a replacement must be bought by ${at(12 * HOUR + 35 * MINUTE).toISOString()}; the block ends at ${END_ISO} (within 24 h) and is not extended`,
    );
    expect(held.history).toEqual([
      expect.objectContaining({ kind: "PURCHASE_UNCONFIRMED", intentId: "cr|end|v3", offeringId: "cbeo-aaaa", feeUsd: 1000, durationHours: 24 }),
    ]);
  });

  it("GIVEN the hold starts THEN one alert names the reservation, the intent, the deadline and what an operator must check", () => {
    // The block ends within 24 h: the expiring path's alert for that stage goes out with it.
    expect(notifications(held)).toEqual(["PURCHASE_UNCONFIRMED", "EXPIRING"]);
    expect(held.expiringWithoutExtension).toBe(true);
    expect(alert?.kind === "notify" && alert.once).toBe(true);
    const message = alert?.kind === "notify" ? alert.message : "";
    expect(alert?.kind === "notify" && alert.subject).toBe(`Capacity block ${RESERVATION_ID}: purchase unconfirmed, manager stopped`);
    expect(message).toContain(`Record: env-123 (${RESERVATION_ID}, 2 x p5.48xlarge in us-east-1a)`);
    expect(message).toContain(
      `Purchase intent: cr|end|v3: extend the block ending ${END_ISO} by 24 h with offering cbeo-aaaa for $1000.00, started ${intent.startedAt}, approved by arn:aws:iam::123456789012:user/fin`,
    );
    expect(message).toContain(`Deadline: a replacement extension must be bought by ${at(12 * HOUR + 35 * MINUTE).toISOString()}`);
    expect(message).toContain(`Check: aws ec2 describe-capacity-block-extension-history --capacity-reservation-ids ${RESERVATION_ID}`);
    expect(message).toContain(`aws ec2 describe-capacity-reservations --capacity-reservation-ids ${RESERVATION_ID} (an end date later than ${END_ISO})`);
    expect(message).toContain('PATCH /env-123 with body {"clearUnconfirmedPurchase": true}');
  });

  it.each([
    ["a minute later", MINUTE],
    ["7 hours later (past the reminder interval)", 7 * HOUR],
  ])("GIVEN the alert was delivered THEN %s there is no reminder, no history, no offering lookup and no purchase", (_name, later) => {
    const deliveredAt = at(20 * HOUR - 16 * MINUTE).toISOString();
    const marks = heldRecord.notifications ?? {};
    const delivered = {
      ...heldRecord,
      notifications: { PURCHASE_UNCONFIRMED: { ...marks.PURCHASE_UNCONFIRMED, deliveredAt }, EXPIRING: { ...marks.EXPIRING, deliveredAt } },
    } as CapacityRecord;
    const next = decide(input({ record: delivered, now: new Date(at(20 * HOUR - 16 * MINUTE).getTime() + later), offerings: [anOffering()] }));
    expect(next.actions).toEqual([]);
    expect(next.history).toEqual([]);
    expect(next.needsOfferings).toBeUndefined();
    expect(next.changes.status).toBeUndefined();
  });

  it("GIVEN the write marking the alert lost its reply (no delivery recorded) THEN the next run sends it again", () => {
    const next = decide(input({ record: heldRecord, now: at(20 * HOUR - 17 * MINUTE) }));
    expect(notifications(next)).toEqual(["PURCHASE_UNCONFIRMED", "EXPIRING"]);
    expect(next.history).toEqual([]);
  });

  it("GIVEN no topic is configured THEN nothing is sent and the status still shows the hold", () => {
    const quiet = decide(input({ record: aRecord({ status: "PURCHASING", intent }), now: at(20 * HOUR - 16 * MINUTE), notificationsEnabled: false }));
    expect(quiet.actions).toEqual([]);
    expect(quiet.changes.status).toBe("PURCHASE_UNCONFIRMED");
  });

  it("GIVEN the history finally shows the purchase THEN the hold resolves itself without anyone clearing it", () => {
    const next = decide(
      input({ record: heldRecord, extensions: [anExtension({ offeringId: "cbeo-aaaa", purchaseDate: at(20 * HOUR).toISOString() })], now: at(19 * HOUR) }),
    );
    expect(next.changes.status).toBe("EXTENSION_PENDING");
    expect(next.changes.intent).toBeNull();
    expect(next.history.map((h) => h.kind)).toEqual(["PURCHASE_CONFIRMED"]);
  });

  it("GIVEN a held record THEN it needs the extension history every run", () => {
    expect(needsExtensionHistory(heldRecord, aReservation(), at(40 * 24 * HOUR))).toBe(true);
  });
});

describe("decide: approval", () => {
  const proposalNow = at(40 * HOUR);
  const approvalRecord = (overrides: Partial<CapacityRecord> = {}) => aRecord({ requireApproval: true, ...overrides });

  it("GIVEN approval is required and none given THEN AWAITING_APPROVAL with the exact proposal and one notification", () => {
    const decision = decide(input({ record: approvalRecord(), now: proposalNow, offerings: [anOffering({ offeringId: "cbeo-p", feeUsd: 1234.5 })] }));
    expect(decision.changes.status).toBe("AWAITING_APPROVAL");
    expect(decision.changes.proposal).toMatchObject({ offeringId: "cbeo-p", feeUsd: 1234.5, durationHours: 24, forEndDate: END_ISO });
    expect(decision.changes.proposal?.approveBy).toBe(at(12 * HOUR + 35 * MINUTE).toISOString());
    const notify = decision.actions.find((a) => a.kind === "notify");
    expect(notify?.kind === "notify" && notify.message).toContain("$1234.50");
    expect(notify?.kind === "notify" && notify.message).toContain("cbeo-p");
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.history.map((h) => h.kind)).toEqual(["APPROVAL_REQUESTED"]);
  });

  it.each([
    ["a minute later", MINUTE, 0],
    ["5 h 59 min later", 6 * HOUR - MINUTE, 0],
    ["6 h later", 6 * HOUR, 1],
  ])("GIVEN the request was sent THEN %s it sends %i reminder", (_name, later, expected) => {
    const first = decide(input({ record: approvalRecord(), now: at(46 * HOUR), offerings: [anOffering()] }));
    const waiting = approvalRecord({ status: "AWAITING_APPROVAL", notifications: first.changes.notifications ?? {} });
    const next = decide(input({ record: waiting, now: new Date(at(46 * HOUR).getTime() + later), offerings: [anOffering()] }));
    expect(notifications(next).filter((n) => n === "APPROVAL_REQUEST")).toHaveLength(expected);
  });

  it("GIVEN a request was sent THEN a higher fee is requested again at once (PATCH approves the current fee), a fee going back and forth is not", () => {
    let record = approvalRecord();
    let now = at(46 * HOUR);
    const sentFees: number[] = [];
    for (const fee of [1000, 1200, 1000, 1200, 1300, 900]) {
      const decision = decide(input({ record, now, offerings: [anOffering({ feeUsd: fee })] }));
      if (notifications(decision).includes("APPROVAL_REQUEST")) sentFees.push(fee);
      expect(decision.history.length).toBe(notifications(decision).includes("APPROVAL_REQUEST") ? 1 : 0);
      record = { ...record, ...decision.changes } as CapacityRecord;
      now = new Date(now.getTime() + MINUTE);
    }
    expect(sentFees).toEqual([1000, 1200, 1300]);
    expect(record.proposal?.feeUsd).toBe(900);
  });

  it("GIVEN no topic is configured THEN it never auto-approves and the record says why it waits", () => {
    const decision = decide(input({ record: approvalRecord(), now: at(20 * HOUR), offerings: [anOffering()], notificationsEnabled: false }));
    expect(decision.changes.status).toBe("AWAITING_APPROVAL");
    expect(decision.changes.statusReason).toContain("no SNS topic is configured");
    expect(decision.actions.filter((a) => a.kind !== "scaleNodeGroup")).toEqual([]);
  });

  it("GIVEN the request went out an hour ago, was approved, and the fee then rose THEN it asks again at once (not after 6 h)", () => {
    const asked = decide(input({ record: approvalRecord(), now: at(46 * HOUR), offerings: [anOffering()] }));
    const approved = approvalRecord({
      status: "APPROVED",
      approved: true,
      notifications: asked.changes.notifications ?? {},
      approval: {
        by: "arn:aws:iam::123456789012:user/finance",
        at: at(45 * HOUR + 30 * MINUTE).toISOString(),
        maxFeeUsd: 1000,
        durationHours: 24,
        forEndDate: END_ISO,
        offeringId: "cbeo-aaaa",
      },
    });
    const decision = decide(input({ record: approved, now: at(45 * HOUR), offerings: [anOffering({ feeUsd: 1100 })] }));
    expect(decision.changes.status).toBe("AWAITING_APPROVAL");
    expect(decision.changes.approved).toBe(false);
    expect(decision.changes.statusReason).toContain("exceeds the approval by arn:aws:iam::123456789012:user/finance");
    expect(notifications(decision)).toEqual(["APPROVAL_REQUEST"]);
    expect(decision.history.map((h) => h.kind)).toEqual(["APPROVAL_REQUESTED"]);
  });

  const approval = {
    by: "arn:aws:iam::123456789012:user/finance",
    at: at(45 * HOUR).toISOString(),
    maxFeeUsd: 1000,
    durationHours: 24,
    forEndDate: END_ISO,
    offeringId: "cbeo-aaaa",
  };
  it.each([
    ["before the window it waits as APPROVED", approval, at(30 * HOUR), 1000, "APPROVED", false],
    ["in the window it buys with the approver recorded", approval, at(20 * HOUR), 1000, "PURCHASING", true],
    ["a cheaper fee is still covered", approval, at(20 * HOUR), 900, "PURCHASING", true],
    ["a higher fee asks again", approval, at(20 * HOUR), 1000.01, "AWAITING_APPROVAL", false],
    [
      "an approval for an earlier end does not cover this one",
      { ...approval, forEndDate: "2026-03-09T12:00:00.000Z" },
      at(20 * HOUR),
      1000,
      "AWAITING_APPROVAL",
      false,
    ],
    ["an approval for another duration does not cover", { ...approval, durationHours: 48 }, at(20 * HOUR), 1000, "AWAITING_APPROVAL", false],
    [
      "an advance approval (no end) covers the next proposal",
      { by: "arn:x", at: at(100 * HOUR).toISOString(), maxFeeUsd: 1500, durationHours: 24 },
      at(20 * HOUR),
      1400,
      "PURCHASING",
      true,
    ],
  ])("GIVEN an approval: %s", (_name, given, now, fee, status, buys) => {
    const decision = decide(input({ record: approvalRecord({ approval: given, approved: true }), now, offerings: [anOffering({ feeUsd: fee })] }));
    expect(decision.changes.status).toBe(status);
    const purchase = purchaseOf(decision);
    expect(purchase !== undefined).toBe(buys);
    if (purchase?.kind === "purchase") expect(purchase.intent.approvedBy).toBe(given.by);
    if (status === "AWAITING_APPROVAL") expect(notifications(decision)).toContain("APPROVAL_REQUEST");
  });
});

describe("decide: alerts are rate limited per block end", () => {
  it("GIVEN no offering one minute and one above the cap the next THEN one NO_OFFERING alert, not one per flip", () => {
    const record = aRecord({ maxUpfrontFeeUsd: 500, extendBeforeHours: 48 });
    const first = decide(input({ record, now: at(40 * HOUR), offerings: [] }));
    // The gap alert goes out once (the reconciler records its delivery); the NO_OFFERING alert is rate limited.
    expect(notifications(first)).toEqual(["GAP", "NO_OFFERING"]);
    const sent = first.changes.notifications ?? {};
    let marks: typeof sent = { ...sent, GAP: { ...sent.GAP!, deliveredAt: at(40 * HOUR).toISOString() } };
    for (let minute = 1; minute <= 30; minute++) {
      const offerings = minute % 2 === 1 ? [anOffering({ feeUsd: 750 })] : [];
      const next = decide(
        input({
          record: aRecord({ maxUpfrontFeeUsd: 500, extendBeforeHours: 48, status: "NO_OFFERING", notifications: marks }),
          now: new Date(at(40 * HOUR).getTime() + minute * MINUTE),
          offerings,
        }),
      );
      expect(next.changes.status ?? "NO_OFFERING").toBe("NO_OFFERING");
      expect(notifications(next)).toEqual([]);
      marks = next.changes.notifications ?? marks;
    }
  });
});

describe("decide: expiry", () => {
  it("GIVEN 20 h left and no offering THEN ExpiringWithoutExtension and an EXPIRING alert", () => {
    const decision = decide(input({ now: at(20 * HOUR), offerings: [] }));
    expect(decision.expiringWithoutExtension).toBe(true);
    expect(notifications(decision)).toEqual(expect.arrayContaining(["NO_OFFERING", "EXPIRING"]));
  });

  it("GIVEN 30 h left THEN the block is not reported as expiring", () => {
    const decision = decide(input({ record: aRecord({ extendBeforeHours: 13 }), now: at(30 * HOUR) }));
    expect(decision.expiringWithoutExtension).toBe(false);
  });

  it.each([
    ["for the current end", END_ISO, true],
    ["without an end date", undefined, true],
    ["for an end since extended (stale, out of order)", "2026-03-09T12:00:00.000Z", false],
  ])("GIVEN an expiration warning %s THEN expiring=%s", (_name, endDate, expected) => {
    // EC2 now reports the end as END; the stale warning was about an end a day earlier.
    const now = new Date(Date.parse("2026-03-09T12:00:00.000Z") - 40 * MINUTE);
    const record = aRecord({
      lastExtension: {
        intentId: "i0",
        offeringId: "cbeo-prev",
        feeUsd: 1,
        durationHours: 24,
        forEndDate: "2026-03-09T12:00:00.000Z",
        purchasedAt: "2026-03-08T00:00:00.000Z",
      },
    });
    const decision = decide(input({ record, now, expirationWarning: endDate ? { endDate } : {} }));
    expect(decision.changes.status === "EXPIRING").toBe(expected);
    expect(notifications(decision).includes("EXPIRING")).toBe(expected);
  });
});

describe("decide: expiration warning with a paid extension EC2 has not applied yet", () => {
  it("GIVEN payment-succeeded for an end beyond the warned one THEN no EXPIRING alert, the record waits for EC2 to move the end", () => {
    const decision = decide(
      input({ now: at(40 * MINUTE), expirationWarning: { endDate: END_ISO }, extensions: [anExtension({ status: "payment-succeeded" })] }),
    );
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
    expect(notifications(decision)).toEqual([]);
    expect(decision.expiringWithoutExtension).toBe(false);
  });

  it("GIVEN only a payment-pending extension THEN the warning still marks EXPIRING and alerts (payment must clear 35 min before the end)", () => {
    const decision = decide(input({ now: at(40 * MINUTE), expirationWarning: { endDate: END_ISO }, extensions: [anExtension({ status: "payment-pending" })] }));
    expect(decision.changes.status).toBe("EXPIRING");
    expect(notifications(decision)).toEqual(["EXPIRING"]);
  });
});

describe("decide: linked node group", () => {
  const nodeGroup = { clusterName: "prod", nodegroupName: "p5-block-a", desiredSize: 4 };
  const scale = (d: ReturnType<typeof decide>) => d.actions.find((a) => a.kind === "scaleNodeGroup");
  it.each([
    ["the block turns active", "active", at(5 * 24 * HOUR), undefined, 4],
    ["the block is active and was scaled (verified every run)", "active", at(5 * 24 * HOUR), 4, 4],
    ["40 minutes before the real end", "active", at(40 * MINUTE), 4, 0],
    // The group keeps the size it was created with until the block starts (EKS fills it at activation).
    ["the block is scheduled and nothing was set", "scheduled", at(5 * 24 * HOUR), undefined, undefined],
    ["the block is scheduled and already at 0", "scheduled", at(5 * 24 * HOUR), 0, undefined],
    ["the block is still active in EC2 after its real end", "active", new Date(END.getTime() + MINUTE), 4, 0],
    ["the block expired", "expired", new Date(END.getTime() + HOUR), 4, 0],
  ])("GIVEN %s THEN desired size %s", (_name, state, now, applied, expected) => {
    const record = aRecord({ nodeGroup, ...(applied !== undefined ? { nodeGroupAppliedSize: applied } : {}) });
    const action = scale(decide(input({ record, reservation: aReservation({ state }), now })));
    expect(action?.kind === "scaleNodeGroup" ? action.desiredSize : undefined).toBe(expected);
  });

  it("GIVEN an extension moved the end THEN the scale-down moves to 40 minutes before the new end and nodes stay up", () => {
    const newEnd = new Date(END.getTime() + 24 * HOUR);
    const record = aRecord({ nodeGroup, nodeGroupAppliedSize: 4, nodeGroupScaleDownAt: new Date(END.getTime() - 40 * MINUTE).toISOString() });
    const decision = decide(input({ record, reservation: aReservation({ endDate: newEnd.toISOString() }), now: at(30 * MINUTE) }));
    expect(decision.changes.nodeGroupScaleDownAt).toBe(new Date(newEnd.getTime() - 40 * MINUTE).toISOString());
    const action = scale(decision);
    expect(action?.kind === "scaleNodeGroup" && action.desiredSize).toBe(4);
  });
});

describe("applyPurchaseOutcome", () => {
  const intent = {
    intentId: "i-1",
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END_ISO,
    startedAt: at(20 * HOUR).toISOString(),
    approvedBy: "arn:approver",
  };
  const record = aRecord({
    status: "PURCHASING",
    intent,
    approval: { by: "arn:approver", at: at(30 * HOUR).toISOString(), maxFeeUsd: 1000, durationHours: 24 },
    approved: true,
  });
  it.each([
    ["purchased", { kind: "purchased" as const }, "EXTENSION_PENDING", "PURCHASED", null],
    ["rejected", { kind: "rejected" as const, code: "InvalidParameterValue", message: "offering expired" }, "TRACKING", "PURCHASE_REJECTED", null],
    ["unknown", { kind: "unknown" as const, message: "TimeoutError" }, "PURCHASING", "PURCHASE_OUTCOME_UNKNOWN", undefined],
  ])("GIVEN the call %s THEN status %s", (_name, outcome, status, historyKind, intentChange) => {
    const decision = applyPurchaseOutcome(record, intent, outcome, at(20 * HOUR - 1000));
    expect(decision.changes.status ?? record.status).toBe(status);
    expect(decision.changes.statusReason).toContain(outcome.kind === "unknown" ? "unknown" : outcome.kind === "rejected" ? "rejected" : "bought");
    expect(decision.history[0]?.kind).toBe(historyKind);
    expect(decision.changes.intent).toBe(intentChange);
  });

  it("GIVEN a purchase THEN the approval is consumed and the fee and approver are in the history", () => {
    const decision = applyPurchaseOutcome(record, intent, { kind: "purchased" }, at(20 * HOUR - 1000));
    expect(decision.changes.approval).toBeNull();
    expect(decision.changes.approved).toBe(false);
    expect(decision.changes.lastExtension).toMatchObject({ forEndDate: END_ISO, offeringId: "cbeo-aaaa", feeUsd: 1000 });
    expect(decision.history[0]).toMatchObject({ feeUsd: 1000, approvedBy: "arn:approver", intentId: "i-1" });
  });
});

describe("needsExtensionHistory", () => {
  it.each([
    ["far from the end", aRecord(), at(40 * 24 * HOUR), false],
    ["in the window", aRecord(), at(20 * HOUR), true],
    ["a purchase in flight", aRecord({ status: "PURCHASING" }), at(40 * 24 * HOUR), true],
    ["an extension pending", aRecord({ status: "EXTENSION_PENDING" }), at(40 * 24 * HOUR), true],
  ])("GIVEN %s THEN %s", (_name, record, now, expected) => {
    expect(needsExtensionHistory(record, aReservation(), now)).toBe(expected);
  });

  it("GIVEN an unknown reservation THEN no history is needed", () => {
    expect(needsExtensionHistory(aRecord(), undefined, at(HOUR))).toBe(false);
    expect(RESERVATION_ID).toMatch(/^cr-/);
  });
});

describe("decide: escalation while the manager cannot act", () => {
  const intent = {
    intentId: "cr|end|v3",
    offeringId: "cbeo-aaaa",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END_ISO,
    startedAt: at(60 * HOUR).toISOString(),
  };
  const expiringKeys = (d: ReturnType<typeof decide>) => (d.changes.notifications?.EXPIRING ? [d.changes.notifications.EXPIRING.key] : []);

  it.each([
    [50, [], false],
    [40, [`${END_ISO}|unable|48h`], false],
    [20, [`${END_ISO}|unable|24h`], true],
    [5, [`${END_ISO}|unable|6h`], true],
  ])(
    "GIVEN a held purchase and %i h left THEN the expiring alert of that stage goes out (%j) and ExpiringWithoutExtension is %s",
    (hoursLeft, keys, expiring) => {
      const decision = decide(input({ record: aRecord({ status: "PURCHASE_UNCONFIRMED", intent }), now: at(hoursLeft * HOUR) }));
      expect(statusAfter(input({ record: aRecord({ status: "PURCHASE_UNCONFIRMED", intent }) }), decision)).toBe("PURCHASE_UNCONFIRMED");
      expect(expiringKeys(decision)).toEqual(keys);
      expect(decision.expiringWithoutExtension).toBe(expiring);
      expect(purchaseOf(decision)).toBeUndefined();
    },
  );

  it("GIVEN the 24 h stage alert was delivered THEN it is not sent again within the stage", () => {
    const marks = {
      EXPIRING: { at: at(20 * HOUR).toISOString(), key: `${END_ISO}|unable|24h`, deliveredAt: at(20 * HOUR).toISOString() },
      PURCHASE_UNCONFIRMED: { at: at(59 * HOUR).toISOString(), key: intent.intentId, deliveredAt: at(59 * HOUR).toISOString() },
    };
    const decision = decide(input({ record: aRecord({ status: "PURCHASE_UNCONFIRMED", intent, notifications: marks }), now: at(10 * HOUR) }));
    expect(notifications(decision)).toEqual([]);
    expect(decision.expiringWithoutExtension).toBe(true);
  });

  it("GIVEN a reservation in a state EC2 does not extend and 20 h left THEN it counts as expiring and alerts, with the reason saying so", () => {
    const decision = decide(input({ reservation: aReservation({ state: "payment-pending" }), now: at(20 * HOUR) }));
    expect(decision.expiringWithoutExtension).toBe(true);
    expect(expiringKeys(decision)).toEqual([`${END_ISO}|unable|24h`]);
    expect(decision.changes.statusReason).toBe(
      `reservation is payment-pending; only active or scheduled blocks can be extended; the block ends at ${END_ISO} (within 24 h) and is not extended`,
    );
  });
});

describe("decide: a request SNS refused", () => {
  const now = at(40 * HOUR);
  const refused = (retryInMs: number, feeUsd = 1000) =>
    aRecord({
      requireApproval: true,
      status: "AWAITING_APPROVAL",
      notifications: {
        APPROVAL_REQUEST: {
          at: new Date(now.getTime() - 10 * MINUTE).toISOString(),
          key: `${END_ISO}|`,
          feeUsd,
          failedAttempts: 3,
          retryAt: new Date(now.getTime() + retryInMs).toISOString(),
        },
      },
    });
  const request = (d: ReturnType<typeof decide>) => d.actions.find((a) => a.kind === "notify" && a.notification === "APPROVAL_REQUEST");

  it("GIVEN its retry time has not come THEN nothing is sent and nothing recorded", () => {
    const decision = decide(input({ record: refused(MINUTE), now, offerings: [anOffering()] }));
    expect(request(decision)).toBeUndefined();
    expect(decision.history).toEqual([]);
  });

  it("GIVEN its retry time came THEN the same request goes out again as a retry, never recorded as a new request", () => {
    const decision = decide(input({ record: refused(0), now, offerings: [anOffering()] }));
    expect(request(decision)).toMatchObject({ retry: 3 });
    expect(decision.changes.notifications?.APPROVAL_REQUEST).toMatchObject({ failedAttempts: 3, key: `${END_ISO}|` });
    expect(decision.history).toEqual([]);
  });

  it("GIVEN the fee rose meanwhile THEN the higher fee is a new request at once (recorded), not a retry", () => {
    const decision = decide(input({ record: refused(10 * MINUTE, 800), now, offerings: [anOffering({ feeUsd: 1000 })] }));
    expect(request(decision)).toMatchObject({ kind: "notify", notification: "APPROVAL_REQUEST" });
    expect(request(decision)).not.toHaveProperty("retry");
    expect(decision.history.map((h) => h.kind)).toEqual(["APPROVAL_REQUESTED"]);
  });
});

describe("decide: tracking mode (extension purchasing off)", () => {
  const tracking = (overrides: Partial<DecideInput> = {}) => input({ extensionsEnabled: false, offerings: [anOffering()], ...overrides });
  const expiringKeys = (d: ReturnType<typeof decide>) => (d.changes.notifications?.EXPIRING ? [d.changes.notifications.EXPIRING.key] : []);

  it.each([
    ["auto-extend inside the window", aRecord(), at(20 * HOUR)],
    [
      "approval required, approved and inside the window",
      aRecord({
        requireApproval: true,
        approval: { by: "arn:aws:iam::123456789012:role/finance-approver", at: at(30 * HOUR).toISOString(), maxFeeUsd: 5000, durationHours: 24 },
      }),
      at(20 * HOUR),
    ],
    ["approval required, before the window", aRecord({ requireApproval: true }), at(40 * HOUR)],
  ])("GIVEN %s WHEN deciding THEN nothing is proposed, asked for or bought", (_name, record, now) => {
    const i = tracking({ record, now });
    const decision = decide(i);
    expect(purchaseOf(decision)).toBeUndefined();
    expect(decision.needsOfferings).toBeUndefined();
    expect(notifications(decision)).not.toContain("APPROVAL_REQUEST");
    expect(decision.changes.proposal ?? undefined).toBeUndefined();
    expect(statusAfter(i, decision)).toBe("TRACKING");
    expect(decision.changes.statusReason).toMatch(/^tracking mode \(capacity_manager\.extensions_enabled = false: extension purchasing is off\)/);
    // The same record with purchasing on would act: the switch is what stops it.
    const enabled = decide({ ...i, extensionsEnabled: true });
    expect(purchaseOf(enabled) !== undefined || notifications(enabled).includes("APPROVAL_REQUEST") || enabled.changes.status === "APPROVED").toBe(true);
  });

  it.each([
    [50, [], false],
    [40, [`${END_ISO}|unable|48h`], false],
    [20, [`${END_ISO}|unable|24h`], true],
    [5, [`${END_ISO}|unable|6h`], true],
  ])("GIVEN %i h left THEN the expiry alert of that stage goes out (%j) and ExpiringWithoutExtension is %s", (hoursLeft, keys, expiring) => {
    const decision = decide(tracking({ now: at(hoursLeft * HOUR) }));
    expect(expiringKeys(decision)).toEqual(keys);
    expect(decision.expiringWithoutExtension).toBe(expiring);
    expect(purchaseOf(decision)).toBeUndefined();
  });

  it("GIVEN an EC2 expiration warning THEN it alerts as in any mode", () => {
    const decision = decide(tracking({ now: at(2 * HOUR), expirationWarning: { endDate: END_ISO } }));
    expect(decision.changes.status).toBe("EXPIRING");
    expect(notifications(decision)).toContain("EXPIRING");
  });

  it("GIVEN a linked node group of an active block THEN it is still scaled", () => {
    const nodeGroup = { clusterName: "prod", nodegroupName: "p5-block-a", desiredSize: 4 };
    const decision = decide(tracking({ record: aRecord({ nodeGroup }), now: at(5 * 24 * HOUR) }));
    expect(decision.actions.find((a) => a.kind === "scaleNodeGroup")).toMatchObject({ desiredSize: 4 });
  });

  it("GIVEN any policy, approval, reservation state, time and offerings THEN tracking mode never buys, asks for approval or fetches offerings", () => {
    const approver = "arn:aws:iam::123456789012:role/finance-approver";
    fc.assert(
      fc.property(
        fc.record({
          requireApproval: fc.boolean(),
          approved: fc.boolean(),
          extendBeforeHours: fc.integer({ min: 13, max: 56 * 24 }),
          maxUpfrontFeeUsd: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
          state: fc.constantFrom("active", "scheduled", "payment-pending", "expired"),
          hoursBeforeEnd: fc.integer({ min: -48, max: 60 * 24 }),
          fees: fc.array(fc.integer({ min: 0, max: 50_000 }), { maxLength: 3 }),
          warned: fc.boolean(),
        }),
        (c) => {
          const record = aRecord({
            requireApproval: c.requireApproval,
            extendBeforeHours: c.extendBeforeHours,
            ...(c.maxUpfrontFeeUsd !== undefined ? { maxUpfrontFeeUsd: c.maxUpfrontFeeUsd } : {}),
            ...(c.approved ? { approval: { by: approver, at: at(70 * 24 * HOUR).toISOString(), maxFeeUsd: 100_000, durationHours: 24 } } : {}),
          });
          const decision = decide(
            tracking({
              record,
              reservation: aReservation({ state: c.state }),
              now: at(c.hoursBeforeEnd * HOUR),
              offerings: c.fees.map((feeUsd, i) => anOffering({ offeringId: `cbeo-${i}`, feeUsd })),
              ...(c.warned ? { expirationWarning: { endDate: END_ISO } } : {}),
            }),
          );
          expect(purchaseOf(decision)).toBeUndefined();
          expect(decision.changes.intent ?? undefined).toBeUndefined();
          expect(notifications(decision)).not.toContain("APPROVAL_REQUEST");
          expect(decision.needsOfferings).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it("GIVEN a purchase started before purchasing was turned off THEN it is still confirmed, never bought again", () => {
    const intent = {
      intentId: "cr|end|v3",
      offeringId: "cbeo-aaaa",
      durationHours: 24,
      feeUsd: 1000,
      forEndDate: END_ISO,
      startedAt: at(20 * HOUR).toISOString(),
    };
    const decision = decide(
      tracking({ record: aRecord({ status: "PURCHASING", intent }), extensions: [anExtension({ offeringId: "cbeo-aaaa" })], now: at(19 * HOUR) }),
    );
    expect(decision.changes.status).toBe("EXTENSION_PENDING");
    expect(purchaseOf(decision)).toBeUndefined();
  });
});
