import { describe, expect, it } from "vitest";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { METRICS } from "../../../../lambdas/capacity-manager/contract/metrics";
import type { SpendEntry } from "../../../../lambdas/capacity-manager/domain/spend";
import type {
  CapacityRecord,
  ExtensionView,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  ReservationView,
} from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { anExtension, anOffering, aRecord, aReservation, at, END_ISO, HOUR, MINUTE } from "../fixtures";

/** EC2 selling a $1000 extension for every block; a purchase shows in the history at once unless `answer` is rejected. */
class Market implements CapacityApi {
  readonly purchases: { id: string; intent: PurchaseIntent }[] = [];
  readonly history: ExtensionView[] = [];
  answer: PurchaseOutcome = { kind: "purchased" };
  constructor(
    private readonly clock: () => Date,
    private readonly offerings: OfferingView[] = [anOffering()],
  ) {}
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    return { found: new Map(ids.map((id) => [id, aReservation({ capacityReservationId: id }) as ReservationView])), missing: new Set() };
  }
  async describeExtensionHistory(ids: readonly string[]): Promise<ExtensionView[]> {
    return this.history.filter((e) => ids.includes(e.capacityReservationId));
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return this.offerings;
  }
  async purchaseExtension(id: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    this.purchases.push({ id, intent });
    if (this.answer.kind !== "rejected")
      this.history.push(
        anExtension({ capacityReservationId: id, offeringId: intent.offeringId, feeUsd: intent.feeUsd, purchaseDate: this.clock().toISOString() }),
      );
    return this.answer;
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
}

const blocks = (n: number): CapacityRecord[] =>
  Array.from({ length: n }, (_, i) => aRecord({ PK: `block-${i}`, capacityReservationId: `cr-0${String(i).padStart(16, "0")}` }));

async function setup(records: CapacityRecord[], options: { budget: number; ledger?: InMemorySpendLedger; market?: (clock: () => Date) => Market; now?: Date }) {
  let now = options.now ?? at(20 * HOUR);
  const clock = () => now;
  const store = new InMemoryRecordStore();
  for (const record of records) await store.create(record);
  const ledger = options.ledger ?? new InMemorySpendLedger();
  const market = options.market ? options.market(clock) : new Market(clock);
  const lines: Record<string, unknown>[] = [];
  const reconciler = new Reconciler({
    store,
    ec2: market,
    notifier: { publish: async () => undefined },
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
    logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    clock,
    concurrency: 4,
    ledger,
    monthlyBudgetUsd: options.budget,
  });
  const metric = (name: string) => lines.reduce((sum, l) => sum + Number(l[name] ?? 0), 0);
  return { store, ledger, market, reconciler, lines, metric, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe("Reconciler: the monthly budget across records and runs", () => {
  it("GIVEN five blocks wanting $1000 each and $2500 left WHEN one run decides them concurrently THEN exactly two are bought and three are refused", async () => {
    const { market, store, reconciler, ledger, metric } = await setup(blocks(5), { budget: 2500 });
    await reconciler.reconcileAll();
    expect(market.purchases).toHaveLength(2);
    const statuses = await Promise.all(blocks(5).map(async (b) => (await store.get(b.PK))?.status));
    expect(statuses.filter((s) => s === "OVER_BUDGET")).toHaveLength(3);
    expect(ledger.all().map((e) => e.feeUsd)).toEqual([1000, 1000]);
    expect(metric(METRICS.PurchasesOverBudget)).toBe(3);
  });

  it("GIVEN a purchase that timed out after EC2 bought WHEN the next run settles it from EC2's history THEN it is ledgered once and still nothing else fits", async () => {
    const { market, store, reconciler, advance, ledger } = await setup(blocks(2), { budget: 1500, market: (clock) => new Market(clock) });
    market.answer = { kind: "unknown", message: "socket timeout" };
    // The unknown purchase reserved its fee in the run; the other block is refused in the same run.
    await reconciler.reconcileAll();
    expect(market.purchases).toHaveLength(1);
    advance(MINUTE);
    market.answer = { kind: "purchased" };
    await reconciler.reconcileAll();
    expect(market.purchases).toHaveLength(1);
    const refused = await Promise.all(blocks(2).map(async (b) => (await store.get(b.PK))?.status));
    expect(refused).toContain("OVER_BUDGET");
    expect(ledger.all()).toHaveLength(1);
  });

  it("GIVEN an unknown outcome settled as not bought (the intent is rejected) WHEN the next run decides THEN its fee is released", async () => {
    const [record] = blocks(1);
    const intent: PurchaseIntent = {
      intentId: "stale",
      offeringId: "cbeo-zzzz",
      durationHours: 24,
      feeUsd: 2000,
      forEndDate: END_ISO,
      startedAt: at(21 * HOUR).toISOString(),
    };
    const other = aRecord({ PK: "other", capacityReservationId: "cr-0ffff000000000000", intent, status: "PURCHASING" });
    const { market, reconciler, store, advance } = await setup([record!, other], { budget: 2500 });
    // `other`'s intent ($2000) is open (outcome unknown): block-0's $1000 does not fit.
    await reconciler.reconcileAll();
    expect(market.purchases.filter((p) => p.id === record!.capacityReservationId)).toHaveLength(0);
    expect((await store.get(record!.PK))?.status).toBe("OVER_BUDGET");
    expect((await store.get("other"))?.status).toBe("PURCHASE_UNCONFIRMED");
    // Settled as not bought (an approver cleared the hold): the intent is gone, and so is its fee.
    const held = (await store.get("other"))!;
    await store.update("other", held.version, { intent: null, status: "TRACKING" }, []);
    advance(MINUTE);
    await reconciler.reconcileAll();
    expect(market.purchases.filter((p) => p.id === record!.capacityReservationId)).toHaveLength(1);
  });
});

describe("Reconciler: the spend ledger", () => {
  it("GIVEN a purchase WHEN it settles as bought THEN one ledger item is written and the record no longer carries it", async () => {
    const { store, reconciler, ledger } = await setup(blocks(1), { budget: 10_000 });
    await reconciler.reconcileAll();
    await reconciler.reconcileAll();
    expect(ledger.all()).toHaveLength(1);
    expect((await store.get("block-0"))?.unledgered).toBeUndefined();
  });

  it("GIVEN the ledger refuses writes WHEN a purchase settles THEN it is counted, kept on the record (still spent), and written by a later run", async () => {
    const real = new InMemorySpendLedger();
    let broken = true;
    const flaky = Object.assign(Object.create(real) as InMemorySpendLedger, {
      append: async (entry: SpendEntry) => {
        if (broken) throw Object.assign(new Error("AccessDenied"), { name: "AccessDeniedException" });
        return real.append(entry);
      },
    });
    const { store, reconciler, metric, advance, market } = await setup(blocks(2), { budget: 1000, ledger: flaky });
    await reconciler.reconcileAll();
    expect(metric(METRICS.LedgerWriteFailures)).toBe(1);
    expect((await store.get("block-0"))?.unledgered ?? (await store.get("block-1"))?.unledgered).toHaveLength(1);
    // Still counted against the budget while unwritten: the other block is refused.
    advance(MINUTE);
    await reconciler.reconcileAll();
    expect(market.purchases).toHaveLength(1);
    broken = false;
    advance(MINUTE);
    await reconciler.reconcileAll();
    expect(real.all()).toHaveLength(1);
    expect((await store.get("block-0"))?.unledgered).toBeUndefined();
    expect((await store.get("block-1"))?.unledgered).toBeUndefined();
  });
});
