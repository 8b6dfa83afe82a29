/**
 * The reconciler's replacement path: one new-block search per (instance type, count, duration) and run, the new
 * block tracked as its own record before the old one links to it, ambiguous purchases settled by the intent tag.
 */
import { describe, expect, it } from "vitest";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import type {
  CapacityRecord,
  ExtensionView,
  NewBlockOfferingView,
  NewBlockQuery,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  ReservationView,
} from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, NewBlockMarket, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { aRecord, aReservation, at, END, HOUR } from "../fixtures";

const NOW = at(20 * HOUR);
const TAGS = { "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "prod", team: "ml" };

/** EC2 with no extension on sale and a market of new blocks; counts every call. */
class Market implements CapacityApi, NewBlockMarket {
  readonly searches: NewBlockQuery[] = [];
  readonly purchases: { intent: PurchaseIntent; tags: Readonly<Record<string, string>> }[] = [];
  readonly tagged = new Map<string, ReservationView[]>();
  lookups = 0;
  lookupFails = false;
  answer: "purchased" | "timeout-after-buying" | "unauthorized" = "purchased";
  private next = 0;
  constructor(private readonly reservations: Map<string, ReservationView>) {}
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    const found = new Map<string, ReservationView>();
    for (const id of ids) if (this.reservations.has(id)) found.set(id, this.reservations.get(id)!);
    return { found, missing: new Set(ids.filter((id) => !found.has(id))) };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    return [];
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return [];
  }
  async purchaseExtension(): Promise<PurchaseOutcome> {
    throw new Error("no extension on sale");
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
  async describeNewBlockOfferings(query: NewBlockQuery): Promise<NewBlockOfferingView[]> {
    this.searches.push(query);
    return [
      {
        offeringId: `cb-${query.instanceType}-${query.instanceCount}`,
        instanceType: query.instanceType,
        instanceCount: query.instanceCount,
        availabilityZone: "us-east-1a",
        startDate: END.toISOString(),
        endDate: new Date(END.getTime() + query.durationHours * HOUR).toISOString(),
        durationHours: query.durationHours,
        feeUsd: 40_000,
        currency: "USD",
      },
    ];
  }
  async purchaseNewBlock(intent: PurchaseIntent, tags: Readonly<Record<string, string>>): Promise<PurchaseOutcome> {
    this.purchases.push({ intent, tags });
    if (this.answer === "unauthorized")
      return { kind: "rejected", code: "UnauthorizedOperation", message: "You are not authorized to perform this operation." };
    const id = `cr-1${(this.next++).toString(16).padStart(16, "0")}`;
    const view = aReservation({
      capacityReservationId: id,
      state: "payment-pending",
      startDate: intent.replacement!.startDate,
      endDate: intent.replacement!.endDate,
    });
    this.reservations.set(id, view);
    this.tagged.set(intent.intentId, [view]);
    return this.answer === "purchased" ? { kind: "purchased", reservation: view } : { kind: "unknown", message: "TimeoutError" };
  }
  async findReservationsByIntent(ids: readonly string[]): Promise<ReadonlyMap<string, readonly ReservationView[]>> {
    this.lookups += 1;
    if (this.lookupFails) throw Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" });
    return new Map(ids.filter((id) => this.tagged.has(id)).map((id) => [id, this.tagged.get(id)!]));
  }
}

function setup(records: CapacityRecord[], lines: Record<string, unknown>[] = []) {
  const reservations = new Map(
    records.map((r) => [
      r.capacityReservationId,
      aReservation({ capacityReservationId: r.capacityReservationId, instanceType: r.instanceType, instanceCount: r.instanceCount }),
    ]),
  );
  const market = new Market(reservations);
  const store = new InMemoryRecordStore();
  let now = NOW;
  const reconciler = new Reconciler({
    store,
    ec2: market,
    notifier: undefined,
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
    logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    clock: () => now,
    concurrency: 8,
    newBlocks: { market, tags: TAGS },
  });
  return { market, store, reconciler, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const id = (i: number) => `cr-0${i.toString(16).padStart(16, "0")}`;
const replaceable = (i: number, overrides: Partial<CapacityRecord> = {}) =>
  aRecord({ PK: `block-${i}`, capacityReservationId: id(i), allowReplacement: true, maxUpfrontFeeUsd: 50_000, ...overrides });

describe("reconciler: replacements", () => {
  it("GIVEN 12 blocks needing a replacement over 3 (type, count) pairs THEN 3 searches in the run, 12 tagged purchases, 12 new records", async () => {
    const records = Array.from({ length: 12 }, (_, i) =>
      replaceable(i, { instanceType: ["p5.48xlarge", "p5e.48xlarge", "p5.48xlarge"][i % 3]!, instanceCount: i % 3 === 2 ? 4 : 2 }),
    );
    const { market, store, reconciler } = setup(records);
    for (const r of records) await store.create(r);
    const summary = await reconciler.reconcileAll();
    expect(summary).toMatchObject({ records: 12, failures: 0, purchases: 12 });
    expect(market.searches.map((q) => `${q.instanceType}|${q.instanceCount}|${q.durationHours}`).sort()).toEqual([
      "p5.48xlarge|2|168",
      "p5.48xlarge|4|168",
      "p5e.48xlarge|2|168",
    ]);
    for (const p of market.purchases) expect(p.tags).toEqual(TAGS);
    const all = (await store.scan({ limit: 100 })).records;
    expect(all).toHaveLength(24);
    const old = all.find((r) => r.PK === "block-0")!;
    const next = all.find((r) => r.PK === old.replacedBy?.capacityReservationId)!;
    expect(next.replacementOf).toMatchObject({ PK: "block-0", capacityReservationId: id(0) });
    expect((await store.history(next.PK)).entries.map((e) => e.kind)).toEqual(["REPLACES"]);
    expect((await store.history("block-0")).entries.map((e) => e.kind)).toEqual(expect.arrayContaining(["PURCHASE_STARTED", "PURCHASED", "REPLACED_BY"]));
    // The next run buys nothing more: the old records are replaced, the new ones far from their end.
    const again = await reconciler.reconcileAll();
    expect(again.purchases).toBe(0);
    expect(market.purchases).toHaveLength(12);
  });

  it("GIVEN the purchase call times out after EC2 bought THEN the next run settles it by the intent tag and never buys again", async () => {
    const { market, store, reconciler, advance } = setup([replaceable(0)]);
    await store.create(replaceable(0));
    market.answer = "timeout-after-buying";
    await reconciler.reconcileAll();
    expect(market.purchases).toHaveLength(1);
    expect((await store.get("block-0"))?.status).toBe("PURCHASING");
    advance(60_000);
    await reconciler.reconcileAll();
    expect(market.lookups).toBeGreaterThan(0);
    expect(market.purchases).toHaveLength(1);
    const old = await store.get("block-0");
    expect(old?.replacedBy?.intentId).toBe(market.purchases[0]?.intent.intentId);
    expect((await store.get(old!.replacedBy!.PK))?.replacementOf?.PK).toBe("block-0");
  });

  it("GIVEN the purchase answer was lost and the tag lookup keeps failing THEN every run counts a record failure and ExpiringWithoutExtension, then the intent is held (PurchasesUnconfirmed)", async () => {
    const lines: Record<string, unknown>[] = [];
    const { market, store, reconciler, advance } = setup([replaceable(0)], lines);
    await store.create(replaceable(0));
    market.answer = "timeout-after-buying";
    await reconciler.reconcileAll();
    market.lookupFails = true;
    const runMetrics = async () => {
      const before = lines.length;
      await reconciler.reconcileAll();
      return (
        lines
          .slice(before)
          .filter((l) => "_aws" in l)
          .at(-1) ?? {}
      );
    };
    advance(5 * 60_000);
    expect(await runMetrics()).toMatchObject({ RecordFailures: 1, ExpiringWithoutExtension: 1, PurchasesUnconfirmed: 0 });
    expect((await store.get("block-0"))?.status).toBe("PURCHASING");
    advance(15 * 60_000);
    expect(await runMetrics()).toMatchObject({ RecordFailures: 1, PurchasesUnconfirmed: 1 });
    expect((await store.get("block-0"))?.status).toBe("PURCHASE_UNCONFIRMED");
    expect(market.purchases).toHaveLength(1);
  });

  it("GIVEN EC2 rejects every purchase (UnauthorizedOperation) THEN PurchasesRejected is counted every run and, from the second, ExpiringWithoutExtension too", async () => {
    const lines: Record<string, unknown>[] = [];
    const { market, store, reconciler, advance } = setup([replaceable(0)], lines);
    await store.create(replaceable(0));
    market.answer = "unauthorized";
    const runMetrics = async () => {
      const before = lines.length;
      await reconciler.reconcileAll();
      return (
        lines
          .slice(before)
          .filter((l) => "_aws" in l)
          .at(-1) ?? {}
      );
    };
    expect(await runMetrics()).toMatchObject({ PurchasesRejected: 1, ExpiringWithoutExtension: 0 });
    advance(10 * 60_000);
    expect(await runMetrics()).toMatchObject({ PurchasesRejected: 1, ExpiringWithoutExtension: 1 });
    expect((await store.get("block-0"))?.rejectedPurchases).toMatchObject({ count: 2, lastCode: "UnauthorizedOperation" });
    expect(market.purchases).toHaveLength(2);
  });

  it("GIVEN the environment buys no new blocks THEN nothing is searched or bought and the record shows the gap", async () => {
    const records = [replaceable(0)];
    const reservations = new Map(records.map((r) => [r.capacityReservationId, aReservation({ capacityReservationId: r.capacityReservationId })]));
    const market = new Market(reservations);
    const store = new InMemoryRecordStore();
    await store.create(records[0]!);
    const reconciler = new Reconciler({
      store,
      ec2: market,
      notifier: undefined,
      scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
      logger: createLogger(() => undefined),
      clock: () => NOW,
      concurrency: 1,
    });
    await reconciler.reconcileAll();
    expect(market.searches).toHaveLength(0);
    expect(market.purchases).toHaveLength(0);
    expect((await store.get("block-0"))?.gap?.reason).toContain("allow_new_purchases = false");
  });
});
