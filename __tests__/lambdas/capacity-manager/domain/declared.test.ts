import { describe, expect, it } from "vitest";
import { type DeclaredBlock, type DeclaredSync, declaredPk, syncDeclared } from "../../../../lambdas/capacity-manager/domain/declared";
import { applyChanges } from "../../../../lambdas/capacity-manager/domain/records";
import type { CapacityRecord } from "../../../../lambdas/capacity-manager/domain/types";
import { aRecord, at, HOUR, RESERVATION_ID } from "../fixtures";

const NOW = at(5 * 24 * HOUR);
const LINK = { clusterName: "blockfleet-prod", nodegroupName: "p5-training-20261122093000000000000001", desiredSize: 4 };

function aBlock(overrides: Partial<DeclaredBlock> = {}): DeclaredBlock {
  return {
    name: "p5-training",
    reservationId: RESERVATION_ID,
    instanceType: "p5.48xlarge",
    availabilityZone: "us-east-1a",
    instanceCount: 4,
    nodeGroup: LINK,
    policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
    ...overrides,
  };
}

const declaredRecord = (overrides: Partial<CapacityRecord> = {}): CapacityRecord =>
  aRecord({ PK: declaredPk(aBlock()), declared: { blockName: "p5-training" }, requireApproval: true, instanceCount: 4, nodeGroup: LINK, ...overrides });

const updates = (writes: DeclaredSync[]) => writes.filter((w): w is Extract<DeclaredSync, { kind: "update" }> => w.kind === "update");

/** The record after the writes for it (as the store would read it). */
function after(record: CapacityRecord, writes: DeclaredSync[]): CapacityRecord {
  const write = updates(writes).find((w) => w.PK === record.PK);
  return write ? applyChanges(record, write.changes) : record;
}

/** The history entries the writes append for a record. */
const historyOf = (PK: string, writes: DeclaredSync[]) =>
  writes.flatMap((w) => (w.kind === "create" ? (w.record.PK === PK ? w.history : []) : w.PK === PK ? w.history : []));

describe("syncDeclared: blocks declared once", () => {
  it("GIVEN a declared block nobody tracks THEN a record is created with the file's policy and node group link", () => {
    const [write] = syncDeclared({ records: [], declared: [aBlock()], now: NOW });
    expect(write?.kind).toBe("create");
    const record = write?.kind === "create" ? write.record : undefined;
    expect(record).toMatchObject({
      PK: "p5-training.cr-0123456789abcdef0",
      capacityReservationId: RESERVATION_ID,
      status: "TRACKING",
      approved: false,
      requireApproval: true,
      extendBeforeHours: 24,
      extendByHours: 24,
      nodeGroup: LINK,
      declared: { blockName: "p5-training" },
      version: 0,
    });
    expect(historyOf("p5-training.cr-0123456789abcdef0", [write!]).map((h) => h.kind)).toEqual(["DECLARED"]);
  });

  it("GIVEN the record already follows the file THEN nothing is written (a quiet minute costs no writes)", () => {
    expect(syncDeclared({ records: [declaredRecord()], declared: [aBlock()], now: NOW })).toEqual([]);
  });

  it("GIVEN the file's policy differs from the stored one THEN the file wins, loosening included, and history says so", () => {
    const record = declaredRecord({ maxUpfrontFeeUsd: 500 });
    const writes = syncDeclared({
      records: [record],
      declared: [aBlock({ policy: { extendBeforeHours: 36, extendByHours: 48, requireApproval: false } })],
      now: NOW,
    });
    const next = after(record, writes);
    expect(next).toMatchObject({ extendBeforeHours: 36, extendByHours: 48, requireApproval: false });
    expect(next.maxUpfrontFeeUsd).toBeUndefined();
    expect(historyOf(record.PK, writes).map((h) => h.kind)).toEqual(["DECLARED"]);
    expect(historyOf(record.PK, writes)[0]?.detail).toMatch(/requireApproval true -> false/);
  });

  it("GIVEN an approval for 24 h and the file now extends by 48 h THEN the approval is withdrawn; approvals stay the manager's otherwise", () => {
    const approval = { by: "arn:aws:iam::111122223333:user/finance", at: NOW.toISOString(), maxFeeUsd: 900, durationHours: 24 };
    const kept = after(
      declaredRecord({ approval, approved: true }),
      syncDeclared({ records: [declaredRecord({ approval, approved: true })], declared: [aBlock()], now: NOW }),
    );
    expect(kept.approval).toEqual(approval);
    const record = declaredRecord({ approval, approved: true });
    const next = after(
      record,
      syncDeclared({ records: [record], declared: [aBlock({ policy: { extendBeforeHours: 24, extendByHours: 48, requireApproval: true } })], now: NOW }),
    );
    expect(next.approval).toBeUndefined();
    expect(next.approved).toBe(false);
  });

  it("GIVEN the node group was replaced (new name) THEN the link follows the file", () => {
    const record = declaredRecord();
    const renamed = { ...LINK, nodegroupName: "p5-training-20261201000000000000000002" };
    expect(after(record, syncDeclared({ records: [record], declared: [aBlock({ nodeGroup: renamed })], now: NOW })).nodeGroup).toEqual(renamed);
  });

  it("GIVEN a block moved to Karpenter THEN its record loses the node group link", () => {
    const record = declaredRecord();
    const { nodeGroup: _dropped, ...karpenterBlock } = aBlock();
    expect(after(record, syncDeclared({ records: [record], declared: [karpenterBlock], now: NOW })).nodeGroup).toBeUndefined();
  });

  it("GIVEN a record linked by hand through the API for the same reservation THEN it is adopted, not duplicated", () => {
    const byHand = aRecord({
      PK: "team-a-p5",
      requireApproval: true,
      approval: { by: "arn:aws:iam::111122223333:user/finance", at: NOW.toISOString(), maxFeeUsd: 900, durationHours: 24 },
    });
    const writes = syncDeclared({ records: [byHand], declared: [aBlock()], now: NOW });
    expect(writes.map((w) => w.kind)).toEqual(["update"]);
    const next = after(byHand, writes);
    expect(next).toMatchObject({ PK: "team-a-p5", declared: { blockName: "p5-training" }, nodeGroup: LINK });
    expect(next.approval?.by).toBe("arn:aws:iam::111122223333:user/finance");
  });

  it("GIVEN a block renamed in the file (same reservation) THEN its record follows the new name, keeping history and approvals", () => {
    const approval = { by: "arn:aws:iam::111122223333:user/finance", at: NOW.toISOString(), maxFeeUsd: 900, durationHours: 24 };
    const record = declaredRecord({ approval, approved: true });
    const writes = syncDeclared({ records: [record], declared: [aBlock({ name: "p5-train" })], now: NOW });
    expect(writes.map((w) => w.kind)).toEqual(["update"]);
    const next = after(record, writes);
    expect(next).toMatchObject({ PK: record.PK, declared: { blockName: "p5-train" }, status: "TRACKING", approval });
    expect(historyOf(record.PK, writes)[0]?.detail).toMatch(/renamed to "p5-train"/);
  });

  it("GIVEN a declared record removed from the file THEN it is UNTRACKED with its history kept and a TTL", () => {
    const record = declaredRecord();
    const writes = syncDeclared({ records: [record], declared: [], now: NOW });
    const next = after(record, writes);
    expect(next.status).toBe("UNTRACKED");
    expect(next.declared).toBeUndefined();
    // Appended to the journal: the entries before it stay.
    expect(historyOf(record.PK, writes).map((h) => h.kind)).toEqual(["UNDECLARED"]);
    expect(next.expiresAt).toBeGreaterThan(NOW.getTime() / 1000);
  });

  it("GIVEN the file names a new reservation under the same block name THEN the old record is released and a new one created", () => {
    const old = declaredRecord();
    const writes = syncDeclared({ records: [old], declared: [aBlock({ reservationId: "cr-0fedcba9876543210" })], now: NOW });
    expect(writes.map((w) => w.kind).sort()).toEqual(["create", "update"]);
    expect(after(old, writes).status).toBe("UNTRACKED");
    const created = writes.find((w) => w.kind === "create");
    expect(created?.kind === "create" && created.record.PK).toBe("p5-training.cr-0fedcba9876543210");
  });

  it("GIVEN an UNTRACKED record declared again THEN it is tracked again, with its history", () => {
    const released = declaredRecord({ status: "UNTRACKED", declared: undefined, expiresAt: 1 });
    const writes = syncDeclared({ records: [released], declared: [aBlock()], now: NOW });
    const next = after(released, writes);
    expect(next).toMatchObject({ status: "TRACKING", declared: { blockName: "p5-training" } });
    expect(next.expiresAt).toBeUndefined();
    expect(historyOf(released.PK, writes).map((h) => h.kind)).toEqual(["DECLARED"]);
  });

  it("GIVEN records nobody declared THEN they are left alone (the API keeps working for them)", () => {
    const byHand = aRecord({ PK: "imported-block", capacityReservationId: "cr-0aaaaaaaaaaaaaaa1" });
    expect(syncDeclared({ records: [byHand], declared: [aBlock()], now: NOW }).filter((w) => w.kind === "update")).toEqual([]);
  });

  it("GIVEN a purchase in flight THEN the record is neither changed nor released until it settles", () => {
    const intent = { intentId: "i-1", offeringId: "cbeo-a", durationHours: 24, feeUsd: 900, forEndDate: NOW.toISOString(), startedAt: NOW.toISOString() };
    const buying = declaredRecord({ status: "PURCHASING", intent });
    expect(
      syncDeclared({ records: [buying], declared: [aBlock({ policy: { extendBeforeHours: 48, extendByHours: 48, requireApproval: true } })], now: NOW }),
    ).toEqual([]);
    expect(syncDeclared({ records: [buying], declared: [], now: NOW })).toEqual([]);
  });

  it("GIVEN an event run that sees one reservation THEN only that block is synced and nothing is released", () => {
    const other = declaredRecord({ PK: "other.cr-0aaaaaaaaaaaaaaa1", capacityReservationId: "cr-0aaaaaaaaaaaaaaa1", declared: { blockName: "other" } });
    const writes = syncDeclared({ records: [other], declared: [aBlock()], now: NOW, onlyReservationId: RESERVATION_ID });
    expect(writes.map((w) => w.kind)).toEqual(["create"]);
  });
});
