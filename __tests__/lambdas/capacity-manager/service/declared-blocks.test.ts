import { describe, expect, it } from "vitest";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { type DeclaredBlock, declaredPk } from "../../../../lambdas/capacity-manager/domain/declared";
import type { ExtensionView, OfferingView, PurchaseOutcome, ReservationView } from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, DeclaredBlocksSource, NodeGroupScaler, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import { aRecord, aReservation, at, HOUR, RESERVATION_ID } from "../fixtures";

const BLOCK: DeclaredBlock = {
  name: "p5-training",
  reservationId: RESERVATION_ID,
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  instanceCount: 2,
  nodeGroup: { clusterName: "blockfleet-prod", nodegroupName: "p5-training-1", desiredSize: 2 },
  policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
};

class ActiveEc2 implements CapacityApi {
  described: string[][] = [];
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    this.described.push([...ids]);
    return { found: new Map(ids.map((id) => [id, aReservation({ capacityReservationId: id })])), missing: new Set() };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    return [];
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return [];
  }
  async purchaseExtension(): Promise<PurchaseOutcome> {
    throw new Error("no purchase expected");
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
}

function reconcilerWith(store: InMemoryRecordStore, declared: DeclaredBlocksSource) {
  const lines: Record<string, unknown>[] = [];
  const scaled: string[] = [];
  const scaler: NodeGroupScaler = {
    ensureDesiredSize: async (_cluster, nodegroup, size) => {
      scaled.push(`${nodegroup}=${size}`);
      return { changed: true, previous: 0 };
    },
  };
  const ec2 = new ActiveEc2();
  const reconciler = new Reconciler({
    store,
    ec2,
    notifier: undefined,
    scaler,
    logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    clock: () => at(3 * 24 * HOUR),
    concurrency: 2,
    declared,
  });
  return { reconciler, lines, scaled, ec2 };
}

describe("Reconciler: declared blocks", () => {
  it("GIVEN a declared block nobody POSTed THEN the scheduled run tracks it and scales its node group", async () => {
    const store = new InMemoryRecordStore();
    const { reconciler, scaled } = reconcilerWith(store, { read: async () => [BLOCK] });
    const summary = await reconciler.reconcileAll();
    expect(summary.records).toBe(1);
    expect((await store.get(declaredPk(BLOCK)))?.nodeGroupAppliedSize).toBe(2);
    expect(scaled).toEqual(["p5-training-1=2"]);
  });

  it("GIVEN the declared set cannot be read THEN records stay as stored, the run goes on, and the metric says so", async () => {
    const store = new InMemoryRecordStore();
    await store.create(aRecord({ PK: declaredPk(BLOCK), declared: { blockName: BLOCK.name } }));
    const { reconciler, lines } = reconcilerWith(store, {
      read: async () => {
        throw new Error("AccessDenied");
      },
    });
    const summary = await reconciler.reconcileAll();
    expect(summary.failures).toBe(0);
    expect((await store.get(declaredPk(BLOCK)))?.status).not.toBe("UNTRACKED");
    expect(lines.some((line) => (line as { DeclaredBlocksUnavailable?: number }).DeclaredBlocksUnavailable === 1)).toBe(true);
  });

  it("GIVEN no parameter is deployed THEN nothing is created or released", async () => {
    const store = new InMemoryRecordStore();
    await store.create(aRecord({ PK: declaredPk(BLOCK), declared: { blockName: BLOCK.name } }));
    const { reconciler } = reconcilerWith(store, { read: async () => undefined });
    await reconciler.reconcileAll();
    expect((await store.get(declaredPk(BLOCK)))?.declared).toEqual({ blockName: BLOCK.name });
  });

  it("GIVEN a block removed from the file THEN its record is UNTRACKED: not described, decided or scaled again", async () => {
    const store = new InMemoryRecordStore();
    await store.create(aRecord({ PK: declaredPk(BLOCK), declared: { blockName: BLOCK.name }, nodeGroup: BLOCK.nodeGroup }));
    const { reconciler, scaled, ec2 } = reconcilerWith(store, { read: async () => [] });
    await reconciler.reconcileAll();
    await reconciler.reconcileAll();
    const record = await store.get(declaredPk(BLOCK));
    expect(record?.status).toBe("UNTRACKED");
    expect((await store.history(declaredPk(BLOCK))).entries.map((h) => h.kind)).toEqual(["UNDECLARED"]);
    expect(scaled).toEqual([]);
    expect(ec2.described.flat()).toEqual([]);
  });

  it("GIVEN an UNTRACKED record and a new record for the same reservation THEN the new one is not a DUPLICATE of it", async () => {
    const store = new InMemoryRecordStore();
    await store.create(aRecord({ PK: "old", status: "UNTRACKED", createdAt: "2025-01-01T00:00:00.000Z" }));
    await store.create(aRecord({ PK: "team-a-p5" }));
    const { reconciler } = reconcilerWith(store, { read: async () => undefined });
    await reconciler.reconcileAll();
    expect((await store.get("team-a-p5"))?.status).not.toBe("DUPLICATE");
  });

  it("GIVEN an EC2 event for a declared block with no record yet THEN the event run creates and reconciles it at once", async () => {
    const store = new InMemoryRecordStore();
    const { reconciler, scaled } = reconcilerWith(store, { read: async () => [BLOCK] });
    const summary = await reconciler.reconcileReservation(RESERVATION_ID);
    expect(summary.records).toBe(1);
    expect(scaled).toEqual(["p5-training-1=2"]);
  });
});

describe("RecordsService: what the environment file owns", () => {
  const service = async () => {
    const store = new InMemoryRecordStore();
    await store.create(
      aRecord({ PK: declaredPk(BLOCK), declared: { blockName: BLOCK.name }, requireApproval: true, maxUpfrontFeeUsd: 3000, nodeGroup: BLOCK.nodeGroup }),
    );
    await store.create(aRecord({ PK: "bought-by-hand", capacityReservationId: "cr-0aaaaaaaaaaaaaaa1", requireApproval: true }));
    return { store, records: new RecordsService({ store, ec2: new ActiveEc2(), clock: () => at(3 * 24 * HOUR) }) };
  };

  it("fails when PUT changes the policy or node group of a declared block, naming the file", async () => {
    const { records } = await service();
    await expect(records.update(declaredPk(BLOCK), { extendBeforeHours: 36 })).rejects.toMatchObject({
      kind: "conflict",
      code: "DECLARED_IN_FILE",
      field: "extendBeforeHours",
    });
    await expect(records.update(declaredPk(BLOCK), { nodeGroup: null })).rejects.toThrow(/capacity_blocks\[\]\.extend/);
  });

  it("fails when DELETE targets a declared block (the next run would create it again)", async () => {
    const { records } = await service();
    await expect(records.remove(declaredPk(BLOCK))).rejects.toThrow(/remove the block from capacity_blocks/);
  });

  it("fails when an approval tries to change a declared block's policy; an approval within the file's policy is fine", async () => {
    const { records } = await service();
    await expect(records.approve(declaredPk(BLOCK), "arn:aws:iam::111122223333:user/finance", { maxUpfrontFeeUsd: 5000 })).rejects.toMatchObject({
      code: "DECLARED_IN_FILE",
    });
    const approved = await records.approve(declaredPk(BLOCK), "arn:aws:iam::111122223333:user/finance", { maxUpfrontFeeUsd: 3000 });
    expect(approved.approval?.by).toBe("arn:aws:iam::111122223333:user/finance");
  });

  it("GIVEN a block nobody declared THEN the API changes and deletes it as before", async () => {
    const { records, store } = await service();
    expect((await records.update("bought-by-hand", { extendBeforeHours: 20 })).extendBeforeHours).toBe(20);
    await records.remove("bought-by-hand");
    expect(await store.get("bought-by-hand")).toBeUndefined();
  });
});
