import { describe, expect, it } from "vitest";
import { DomainError } from "../../../../lambdas/capacity-manager/domain/errors";
import { applyChanges, approveRecord, newRecord, reservationOwners, updateRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { aRecord, at, END_ISO, HOUR } from "../fixtures";

const now = at(30 * HOUR);
const proposal = { offeringId: "cbeo-p", durationHours: 24, feeUsd: 1234, forEndDate: END_ISO, newEndDate: "2026-03-11T12:00:00.000Z", approveBy: at(13 * HOUR).toISOString(), proposedAt: at(40 * HOUR).toISOString() };

describe("approveRecord", () => {
  it("GIVEN a pending proposal THEN it approves exactly that fee, duration and end, recording who and when", () => {
    const mutation = approveRecord(aRecord({ status: "AWAITING_APPROVAL", proposal, maxUpfrontFeeUsd: 5000 }), "arn:aws:iam::123456789012:user/fin", now);
    expect(mutation.changes.approval).toEqual({ by: "arn:aws:iam::123456789012:user/fin", at: now.toISOString(), maxFeeUsd: 1234, durationHours: 24, forEndDate: END_ISO, offeringId: "cbeo-p" });
    expect(mutation.changes.approved).toBe(true);
    expect(mutation.history[0]).toMatchObject({ kind: "APPROVED", approvedBy: "arn:aws:iam::123456789012:user/fin", feeUsd: 1234 });
  });

  it("GIVEN no proposal and a cap THEN it approves the next proposal up to the cap", () => {
    const mutation = approveRecord(aRecord({ maxUpfrontFeeUsd: 2000, extendByHours: 48 }), "arn:x", now);
    expect(mutation.changes.approval).toEqual({ by: "arn:x", at: now.toISOString(), maxFeeUsd: 2000, durationHours: 48 });
  });

  it("fails when there is no proposal and no cap to bound the approval", () => {
    expect(() => approveRecord(aRecord(), "arn:x", now)).toThrowError(
      new DomainError("invalid", "NOTHING_TO_APPROVE", "record env-123 has no pending proposal and no maxUpfrontFeeUsd to bound an advance approval; set maxUpfrontFeeUsd or wait for the proposal", "maxUpfrontFeeUsd"),
    );
  });

  it("fails when the record is a duplicate of another record tracking the same reservation", () => {
    expect(() => approveRecord(aRecord({ status: "DUPLICATE", statusReason: "record env-001 tracks cr-0123456789abcdef0 and makes its decisions" }), "arn:x", now)).toThrowError(
      "record env-123 never buys: record env-001 tracks cr-0123456789abcdef0 and makes its decisions; approve that record",
    );
  });

  it("fails when a purchase is in progress", () => {
    expect(() => approveRecord(aRecord({ status: "PURCHASING", proposal }), "arn:x", now)).toThrowError(/already buying/);
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
  it("GIVEN a new record THEN it starts TRACKING, unapproved, version 0 with one history entry; changes bump the version and append history", () => {
    const { status, version, approved, history, ...spec } = aRecord();
    expect([status, version, approved, history.length]).toEqual(["TRACKING", 3, false, 0]);
    const record = newRecord({ ...spec, PK: "env-9" }, now, "CREATED");
    expect(record).toMatchObject({ status: "TRACKING", approved: false, version: 0, createdAt: now.toISOString() });
    expect(record.history.map((h) => h.kind)).toEqual(["CREATED"]);
    const next = applyChanges(record, { status: "APPROVED", maxUpfrontFeeUsd: null }, [{ at: now.toISOString(), kind: "APPROVED" }]);
    expect(next.version).toBe(1);
    expect(next.history.map((h) => h.kind)).toEqual(["CREATED", "APPROVED"]);
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
