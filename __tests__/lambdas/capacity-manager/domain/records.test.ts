import { describe, expect, it } from "vitest";
import { DomainError } from "../../../../lambdas/capacity-manager/domain/errors";
import {
  applyChanges,
  approveRecord,
  assertCreatableByWriter,
  clearUnconfirmedPurchase,
  creationEntry,
  newRecord,
  reservationOwners,
  updateRecord,
} from "../../../../lambdas/capacity-manager/domain/records";
import type { CapacityRecord } from "../../../../lambdas/capacity-manager/domain/types";
import { aRecord, aSpec, at, END_ISO, HOUR } from "../fixtures";

const now = at(30 * HOUR);
const proposal = {
  offeringId: "cbeo-p",
  durationHours: 24,
  feeUsd: 1234,
  forEndDate: END_ISO,
  newEndDate: "2026-03-11T12:00:00.000Z",
  approveBy: at(13 * HOUR).toISOString(),
  proposedAt: at(40 * HOUR).toISOString(),
};

describe("approveRecord", () => {
  it("GIVEN a pending proposal THEN it approves exactly that fee, duration and end, recording who and when", () => {
    const mutation = approveRecord(aRecord({ status: "AWAITING_APPROVAL", proposal, maxUpfrontFeeUsd: 5000 }), "arn:aws:iam::123456789012:user/fin", now);
    expect(mutation.changes.approval).toEqual({
      by: "arn:aws:iam::123456789012:user/fin",
      at: now.toISOString(),
      maxFeeUsd: 1234,
      durationHours: 24,
      forEndDate: END_ISO,
      offeringId: "cbeo-p",
    });
    expect(mutation.changes.approved).toBe(true);
    expect(mutation.history[0]).toMatchObject({ kind: "APPROVED", approvedBy: "arn:aws:iam::123456789012:user/fin", feeUsd: 1234 });
  });

  it("GIVEN no proposal and a cap THEN it approves the next proposal up to the cap", () => {
    const mutation = approveRecord(aRecord({ maxUpfrontFeeUsd: 2000, extendByHours: 48 }), "arn:x", now);
    expect(mutation.changes.approval).toEqual({ by: "arn:x", at: now.toISOString(), maxFeeUsd: 2000, durationHours: 48 });
  });

  it("fails when there is no proposal and no cap to bound the approval", () => {
    expect(() => approveRecord(aRecord(), "arn:x", now)).toThrowError(
      new DomainError(
        "invalid",
        "NOTHING_TO_APPROVE",
        "record env-123 has no pending proposal and no maxUpfrontFeeUsd to bound an advance approval; set maxUpfrontFeeUsd or wait for the proposal",
        "maxUpfrontFeeUsd",
      ),
    );
  });

  it("fails when the record is a duplicate of another record tracking the same reservation", () => {
    expect(() =>
      approveRecord(aRecord({ status: "DUPLICATE", statusReason: "record env-001 tracks cr-0123456789abcdef0 and makes its decisions" }), "arn:x", now),
    ).toThrowError("record env-123 never buys: record env-001 tracks cr-0123456789abcdef0 and makes its decisions; approve that record");
  });

  it("fails when a purchase is in progress", () => {
    expect(() => approveRecord(aRecord({ status: "PURCHASING", proposal }), "arn:x", now)).toThrowError(/already buying/);
  });
});

describe("updateRecord: loosening the money policy is an approver's action", () => {
  const guarded = aRecord({ requireApproval: true, maxUpfrontFeeUsd: 1000, extendByHours: 24, extendBeforeHours: 24 });
  it.each([
    [
      "turns approval off",
      { requireApproval: false },
      "requireApproval",
      'requireApproval: turning approval off lets purchases happen without an approver; loosening the money policy is an approver\'s action: use PATCH /env-123 with body {"requireApproval":false}',
    ],
    [
      "raises the cap",
      { maxUpfrontFeeUsd: 1000.01 },
      "maxUpfrontFeeUsd",
      'maxUpfrontFeeUsd: raising the cap from $1000.00 to $1000.01 allows higher fees; loosening the money policy is an approver\'s action: use PATCH /env-123 with body {"maxUpfrontFeeUsd":1000.01}',
    ],
    [
      "removes the cap",
      { maxUpfrontFeeUsd: null },
      "maxUpfrontFeeUsd",
      'maxUpfrontFeeUsd: raising the cap from $1000.00 to no cap allows higher fees; loosening the money policy is an approver\'s action: use PATCH /env-123 with body {"maxUpfrontFeeUsd":null}',
    ],
    [
      "extends by longer (a higher fee)",
      { extendByHours: 48 },
      "extendByHours",
      'extendByHours: extending by 48 h instead of 24 h buys more and costs more; loosening the money policy is an approver\'s action: use PATCH /env-123 with body {"extendByHours":48}',
    ],
    [
      "buys earlier (extension after extension)",
      { extendBeforeHours: 1344 },
      "extendBeforeHours",
      'extendBeforeHours: buying 1344 h instead of 24 h before the end spends earlier and can chain extensions; loosening the money policy is an approver\'s action: use PATCH /env-123 with body {"extendBeforeHours":1344}',
    ],
  ])("fails when PUT %s", (_name, patch, field, message) => {
    expect(() => updateRecord(guarded, { instanceCount: 4, ...patch }, now, "arn:writer")).toThrowError(
      new DomainError("forbidden", "APPROVER_REQUIRED", message, field),
    );
  });

  it("fails naming the first loosened field and listing every one with the PATCH body that would make them all", () => {
    let error: unknown;
    try {
      updateRecord(guarded, { requireApproval: false, maxUpfrontFeeUsd: 5000 }, now);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      kind: "forbidden",
      field: "requireApproval",
      message: expect.stringContaining("maxUpfrontFeeUsd: raising the cap from $1000.00 to $5000.00"),
    });
    expect((error as Error).message).toContain('PATCH /env-123 with body {"requireApproval":false,"maxUpfrontFeeUsd":5000}');
  });

  it.each([
    ["turns approval on", aRecord({ requireApproval: false }), { requireApproval: true }],
    ["lowers the cap", guarded, { maxUpfrontFeeUsd: 999 }],
    ["sets a cap where there was none", aRecord({ requireApproval: true }), { maxUpfrontFeeUsd: 100_000 }],
    ["keeps every value", guarded, { requireApproval: true, maxUpfrontFeeUsd: 1000, extendByHours: 24, extendBeforeHours: 24 }],
    ["extends by less, buys later", aRecord({ extendByHours: 48, extendBeforeHours: 48 }), { extendByHours: 24, extendBeforeHours: 13 }],
  ])("GIVEN PUT %s THEN it is applied (tightening is anyone's to make)", (_name, record, patch) => {
    expect(updateRecord(record, patch, now).changes).toMatchObject(patch);
  });

  const pending = (overrides: Partial<CapacityRecord> = {}) =>
    aRecord({
      requireApproval: true,
      maxUpfrontFeeUsd: 5000,
      status: "APPROVED",
      approved: true,
      proposal,
      approval: { by: "arn:fin", at: at(35 * HOUR).toISOString(), maxFeeUsd: 1234, durationHours: 24, forEndDate: END_ISO, offeringId: "cbeo-p" },
      ...overrides,
    });

  it("GIVEN an approved proposal above a lowered cap THEN the proposal and its approval are withdrawn", () => {
    const mutation = updateRecord(pending(), { maxUpfrontFeeUsd: 1000 }, now, "arn:writer");
    expect(mutation.changes).toMatchObject({ maxUpfrontFeeUsd: 1000, proposal: null, approval: null, approved: false, status: "TRACKING" });
    expect(mutation.changes.statusReason).toContain("the approval by arn:fin (24 h up to $1234.00)");
    expect(mutation.history[0]?.detail).toBe(
      "updated maxUpfrontFeeUsd; withdrew the proposal (24 h for $1234.00) and the approval by arn:fin (24 h up to $1234.00)",
    );
  });

  it("GIVEN an advance approval for 48 h and PUT shortens extensions to 24 h THEN the approval no longer covers anything and is withdrawn", () => {
    const record = aRecord({
      requireApproval: true,
      extendByHours: 48,
      maxUpfrontFeeUsd: 3000,
      status: "APPROVED",
      approved: true,
      approval: { by: "arn:fin", at: at(35 * HOUR).toISOString(), maxFeeUsd: 3000, durationHours: 48 },
    });
    expect(updateRecord(record, { extendByHours: 24 }, now).changes).toMatchObject({ approval: null, approved: false, status: "TRACKING" });
  });

  it("GIVEN an approved proposal still within a lowered cap THEN the approval stands", () => {
    const mutation = updateRecord(pending(), { maxUpfrontFeeUsd: 2000 }, now);
    expect(mutation.changes).toEqual({ maxUpfrontFeeUsd: 2000, updatedAt: now.toISOString() });
  });
});

describe("assertCreatableByWriter", () => {
  it("fails when a record would be created without approval (delete and re-create must not undo what PUT refuses)", () => {
    expect(() => assertCreatableByWriter(aSpec({ requireApproval: false }))).toThrowError(
      new DomainError(
        "forbidden",
        "APPROVER_REQUIRED",
        'requireApproval: a record is created with approval required; turning it off is an approver\'s action: create the record, then PATCH /env-123 with body {"requireApproval":false}',
        "requireApproval",
      ),
    );
    expect(() => assertCreatableByWriter(aSpec({ requireApproval: true }))).not.toThrow();
  });
});

describe("approveRecord with policy changes (PATCH body)", () => {
  const approver = "arn:aws:iam::123456789012:role/finance-approver";
  it("GIVEN an approver turns approval off THEN the change is applied and the history names the approver and the time", () => {
    const mutation = approveRecord(
      aRecord({ requireApproval: true, maxUpfrontFeeUsd: 1000, status: "AWAITING_APPROVAL", proposal: { ...proposal, feeUsd: 900 } }),
      approver,
      now,
      { requireApproval: false, maxUpfrontFeeUsd: 2000 },
    );
    expect(mutation.changes).toMatchObject({ requireApproval: false, maxUpfrontFeeUsd: 2000, approved: true, status: "APPROVED" });
    expect(mutation.history[0]).toEqual({
      at: now.toISOString(),
      kind: "POLICY_CHANGED",
      approvedBy: approver,
      detail: "requireApproval true -> false, maxUpfrontFeeUsd 1000 -> 2000",
    });
  });

  it("GIVEN no proposal and an approver raises the cap THEN the advance approval is bounded by the new cap", () => {
    const mutation = approveRecord(aRecord({ requireApproval: true, maxUpfrontFeeUsd: 1000, status: "NO_OFFERING" }), approver, now, {
      maxUpfrontFeeUsd: 1500,
    });
    expect(mutation.changes.approval).toEqual({ by: approver, at: now.toISOString(), maxFeeUsd: 1500, durationHours: 24 });
    expect(mutation.history.map((h) => [h.kind, h.approvedBy])).toEqual([
      ["POLICY_CHANGED", approver],
      ["APPROVED", approver],
    ]);
  });

  it("GIVEN a pending 24 h proposal and an approver switches to 48 h THEN the old proposal is not approved: the approval is for 48 h up to the cap", () => {
    const mutation = approveRecord(aRecord({ requireApproval: true, maxUpfrontFeeUsd: 5000, status: "AWAITING_APPROVAL", proposal }), approver, now, {
      extendByHours: 48,
    });
    expect(mutation.changes).toMatchObject({ extendByHours: 48, proposal: null, approval: { maxFeeUsd: 5000, durationHours: 48 }, status: "APPROVED" });
    expect(mutation.changes.approval).not.toHaveProperty("forEndDate");
  });

  it("GIVEN approval switched off with no proposal THEN nothing needs approving and the policy change is recorded", () => {
    const mutation = approveRecord(aRecord({ requireApproval: true, status: "AWAITING_APPROVAL" }), approver, now, { requireApproval: false });
    expect(mutation.changes).toMatchObject({ requireApproval: false, status: "TRACKING" });
    expect(mutation.changes.approval).toBeUndefined();
    expect(mutation.history.map((h) => h.kind)).toEqual(["POLICY_CHANGED"]);
  });

  it("fails when the record holds an unconfirmed purchase: it must be cleared first", () => {
    const intent = { intentId: "i-9", offeringId: "cbeo-p", durationHours: 24, feeUsd: 1234, forEndDate: END_ISO, startedAt: at(31 * HOUR).toISOString() };
    expect(() =>
      approveRecord(aRecord({ status: "PURCHASE_UNCONFIRMED", intent, maxUpfrontFeeUsd: 5000 }), approver, now, { maxUpfrontFeeUsd: 9000 }),
    ).toThrowError(
      new DomainError(
        "conflict",
        "PURCHASE_UNCONFIRMED",
        'record env-123 holds an unconfirmed purchase (i-9): check EC2 as the alert says; if it was not bought, clear it with PATCH /env-123 and body {"clearUnconfirmedPurchase": true}, then approve',
        "clearUnconfirmedPurchase",
      ),
    );
  });
});

describe("clearUnconfirmedPurchase", () => {
  const intent = {
    intentId: "i-9",
    offeringId: "cbeo-p",
    durationHours: 24,
    feeUsd: 1234,
    forEndDate: END_ISO,
    startedAt: at(31 * HOUR).toISOString(),
    approvedBy: "arn:fin",
  };
  const held = aRecord({
    requireApproval: true,
    status: "PURCHASE_UNCONFIRMED",
    intent,
    proposal,
    approved: true,
    approval: { by: "arn:fin", at: at(35 * HOUR).toISOString(), maxFeeUsd: 1234, durationHours: 24, forEndDate: END_ISO },
    notifications: {
      APPROVAL_REQUEST: { at: at(36 * HOUR).toISOString(), key: `${END_ISO}|`, feeUsd: 1234 },
      PURCHASE_UNCONFIRMED: { at: at(31 * HOUR).toISOString(), key: "i-9", deliveredAt: at(31 * HOUR).toISOString() },
    },
  });

  it("GIVEN a held purchase THEN the intent and the approval it used are dropped, the approval request can go out at once, and the approver is recorded", () => {
    const mutation = clearUnconfirmedPurchase(held, "arn:aws:iam::123456789012:user/ops-approver", now);
    expect(mutation.changes).toMatchObject({ intent: null, approval: null, approved: false, proposal: null, status: "TRACKING" });
    expect(mutation.changes.notifications).toEqual({ PURCHASE_UNCONFIRMED: held.notifications?.PURCHASE_UNCONFIRMED });
    expect(mutation.history).toEqual([
      expect.objectContaining({
        at: now.toISOString(),
        kind: "UNCONFIRMED_PURCHASE_CLEARED",
        approvedBy: "arn:aws:iam::123456789012:user/ops-approver",
        intentId: "i-9",
        feeUsd: 1234,
      }),
    ]);
  });

  it.each([
    ["a purchase is still within its grace period", aRecord({ status: "PURCHASING", intent })],
    ["nothing is held", aRecord({ status: "TRACKING" })],
  ])("fails when %s", (_name, record) => {
    expect(() => clearUnconfirmedPurchase(record, "arn:x", now)).toThrowError(
      new DomainError(
        "conflict",
        "NO_UNCONFIRMED_PURCHASE",
        `record env-123 holds no unconfirmed purchase (status ${record.status}); only a PURCHASE_UNCONFIRMED record can be cleared`,
        "clearUnconfirmedPurchase",
      ),
    );
  });
});

describe("updateRecord", () => {
  it("GIVEN owner fields THEN they are set with updatedAt and an UPDATED history entry", () => {
    const mutation = updateRecord(aRecord(), { instanceCount: 16, maxUpfrontFeeUsd: null }, now, "arn:aws:iam::123456789012:user/ops");
    expect(mutation.changes).toEqual({ instanceCount: 16, maxUpfrontFeeUsd: null, updatedAt: now.toISOString() });
    expect(mutation.history[0]).toMatchObject({ kind: "UPDATED", detail: "updated instanceCount, maxUpfrontFeeUsd", by: "arn:aws:iam::123456789012:user/ops" });
  });

  it("fails when a purchase is in progress", () => {
    expect(() => updateRecord(aRecord({ status: "PURCHASING" }), { instanceCount: 1 }, now)).toThrowError(/buying an extension/);
  });
});

describe("newRecord and applyChanges", () => {
  it("GIVEN a new record THEN it starts TRACKING, unapproved, version 0, with no history in the item; changes bump the version", () => {
    const { status, version, approved, ...spec } = aRecord();
    expect([status, version, approved]).toEqual(["TRACKING", 3, false]);
    const record = newRecord({ ...spec, PK: "env-9" }, now, "CREATED");
    expect(record).toMatchObject({ status: "TRACKING", approved: false, version: 0, createdAt: now.toISOString() });
    expect("history" in record).toBe(false);
    expect(creationEntry(now, "CREATED", "arn:aws:iam::123456789012:user/ops")).toEqual({
      at: now.toISOString(),
      kind: "CREATED",
      detail: "created through the API",
      by: "arn:aws:iam::123456789012:user/ops",
    });
    const next = applyChanges(record, { status: "APPROVED", maxUpfrontFeeUsd: null });
    expect(next.version).toBe(1);
    expect("maxUpfrontFeeUsd" in next).toBe(false);
  });
});

describe("reservationOwners", () => {
  const tracking = (PK: string, capacityReservationId: string, createdAt: string) => ({ PK, capacityReservationId, createdAt });
  it("GIVEN records sharing a reservation THEN the oldest (then the smallest PK) owns it and the others are its duplicates", () => {
    const duplicates = reservationOwners([
      tracking("b-new", "cr-0aaaaaaaaaaaaaaa1", "2026-02-03T00:00:00.000Z"),
      tracking("z-old", "cr-0aaaaaaaaaaaaaaa1", "2026-02-01T00:00:00.000Z"),
      tracking("a-old", "cr-0aaaaaaaaaaaaaaa1", "2026-02-01T00:00:00.000Z"),
      tracking("alone", "cr-0bbbbbbbbbbbbbbb2", "2026-02-01T00:00:00.000Z"),
    ]);
    expect(Object.fromEntries(duplicates)).toEqual({ "b-new": "a-old", "z-old": "a-old" });
  });

  it("GIVEN the same records in another order (another page order, an event run) THEN the same owner", () => {
    const records = [tracking("x", "cr-0aaaaaaaaaaaaaaa1", "2026-02-02T00:00:00.000Z"), tracking("y", "cr-0aaaaaaaaaaaaaaa1", "2026-02-01T00:00:00.000Z")];
    expect(Object.fromEntries(reservationOwners(records))).toEqual({ x: "y" });
    expect(Object.fromEntries(reservationOwners([...records].reverse()))).toEqual({ x: "y" });
  });
});
