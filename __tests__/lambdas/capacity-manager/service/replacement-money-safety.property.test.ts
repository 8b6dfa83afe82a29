/**
 * Money-safety property for replacements: simulated weeks with a market that sells new blocks and extensions that
 * are never within the policy, so every block's continuity depends on a replacement. The market follows the EC2 API
 * shapes of @aws-sdk/client-ec2 3.1169.0: DescribeCapacityBlockOfferings (zones, start dates, fees), a
 * PurchaseCapacityBlock that creates a reservation carrying its TagSpecifications and turning active at its start,
 * and DescribeCapacityReservations with a tag filter. Faults: the purchase lands but the caller times out, the call
 * times out before buying, throttling (of the purchase and of the tag lookup), failed payments, late approvals.
 * Whatever happens:
 *   - zero duplicate purchases (one live replacement per old block; one purchase per intent),
 *   - zero purchases without the approval the record requires (an approval of that very offering),
 *   - zero purchases above the cap, and no month's purchases above the monthly budget (when one is set),
 *   - the spend ledger holds exactly the replacements bought (kind "replacement"), once each,
 *   - the gap of every replacement bought is never longer than the best the offerings on sale allowed then,
 *   - every purchase carries the intent tag and the environment's Karpenter tags.
 * FC_RUNS raises the number of simulated scenarios.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import type {
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
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import { aSpec } from "../fixtures";

const FC_RUNS = Number(process.env["FC_RUNS"] ?? 8);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-05-04T00:00:00.000Z");
const SIM_DAYS = 6;
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"] as const;
const TAGS = { team: "ml", "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "prod" };
const INTENT_TAG = "blockfleet.io/intent-id";

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface BlockSpec {
  readonly requireApproval: boolean;
  readonly cap: number;
  readonly zones: readonly string[];
  readonly endInHours: number;
  /** Chance per step that a person approves the pending replacement (low: approvals come late or never). */
  readonly diligence: number;
  /** New blocks on sale for this block: start relative to its end, zone, fee. */
  readonly offers: readonly { readonly startOffsetHours: number; readonly zone: number; readonly fee: number }[];
}

type PurchaseFault = "none" | "timeout-after-buying" | "timeout-before-buying" | "throttled" | "payment-fails";
const PURCHASE_FAULTS: readonly PurchaseFault[] = ["none", "timeout-after-buying", "timeout-before-buying", "throttled", "payment-fails", "none"];

interface SimReservation {
  id: string;
  zone: string;
  start: number;
  end: number;
  state: string;
  tags: Record<string, string>;
  /** Old block this reservation was bought for (new blocks only). */
  replaces?: string;
}

interface Bought {
  intentId: string;
  offeringId: string;
  oldBlock: string;
  fee: number;
  start: number;
  at: number;
  failed: boolean;
  tags: Record<string, string>;
  /** Earliest start within the policy on sale when bought, and whether one started by the old end. */
  bestStart: number;
  noGapAvailable: boolean;
}

interface Scenario {
  readonly seed: number;
  readonly blocks: readonly BlockSpec[];
  readonly faultRate: number;
  readonly throttleLookups: number;
  /** USD the month may commit; undefined: no budget. */
  readonly monthlyBudgetUsd: number | undefined;
}

/** EC2 with a market of new blocks; extensions are never on sale, so continuity rests on replacements. */
class Market implements CapacityApi, NewBlockMarket {
  readonly reservations = new Map<string, SimReservation>();
  readonly bought: Bought[] = [];
  readonly offeringSearches: string[] = [];
  now = T0;
  fault: PurchaseFault = "none";
  throttleLookup = false;
  private next = 1;
  /** Offerings bought are sold out (the capacity is someone's now). */
  private readonly sold = new Set<string>();
  constructor(
    private readonly specs: ReadonlyMap<string, BlockSpec>,
    private readonly policyOf: (oldBlock: string) => { cap: number; zones: readonly string[] },
  ) {}

  private offerings(): (NewBlockOfferingView & { oldBlock: string })[] {
    const out: (NewBlockOfferingView & { oldBlock: string })[] = [];
    for (const [id, spec] of this.specs) {
      const end = this.reservations.get(id)!.end;
      spec.offers.forEach((offer, i) => {
        const start = end + offer.startOffsetHours * HOUR;
        if (start < this.now || this.sold.has(`cb-${id}-${i}`)) return;
        out.push({
          offeringId: `cb-${id}-${i}`,
          instanceType: "p5.48xlarge",
          instanceCount: 2,
          availabilityZone: ZONES[offer.zone] as string,
          startDate: new Date(start).toISOString(),
          endDate: new Date(start + 168 * HOUR).toISOString(),
          durationHours: 168,
          feeUsd: offer.fee,
          currency: "USD",
          oldBlock: id,
        });
      });
    }
    return out;
  }

  tick(now: number): void {
    this.now = now;
    for (const r of this.reservations.values()) {
      if (r.state === "payment-pending" && now >= r.start - 6 * HOUR) r.state = r.tags["sim-fails"] ? "payment-failed" : "scheduled";
      if (r.state === "scheduled" && now >= r.start) r.state = "active";
      if (r.state === "active" && now >= r.end) r.state = "expired";
    }
  }

  private view(r: SimReservation): ReservationView {
    return {
      capacityReservationId: r.id,
      state: r.state,
      reservationType: "capacity-block",
      startDate: new Date(r.start).toISOString(),
      endDate: new Date(r.end).toISOString(),
      instanceType: "p5.48xlarge",
      instanceCount: 2,
      availabilityZone: r.zone,
    };
  }

  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    const found = new Map<string, ReservationView>();
    const missing = new Set<string>();
    for (const id of ids) {
      const r = this.reservations.get(id);
      if (r) found.set(id, this.view(r));
      else missing.add(id);
    }
    return { found, missing };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    return [];
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return [];
  }
  async purchaseExtension(): Promise<PurchaseOutcome> {
    throw new Error("no extension is ever on sale in this market");
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }

  async describeNewBlockOfferings(query: NewBlockQuery, from: Date): Promise<NewBlockOfferingView[]> {
    this.offeringSearches.push(`${query.instanceType}|${query.instanceCount}|${query.durationHours}`);
    return this.offerings()
      .filter(
        (o) =>
          o.instanceType === query.instanceType &&
          o.instanceCount === query.instanceCount &&
          o.durationHours === query.durationHours &&
          Date.parse(o.startDate) >= from.getTime(),
      )
      .map(({ oldBlock: _oldBlock, ...o }) => o);
  }

  async purchaseNewBlock(intent: PurchaseIntent, tags: Readonly<Record<string, string>>): Promise<PurchaseOutcome> {
    const fault = this.fault;
    if (fault === "throttled") return { kind: "rejected", code: "RequestLimitExceeded", message: "Rate exceeded" };
    if (fault === "timeout-before-buying") return { kind: "unknown", message: "TimeoutError" };
    const offering = this.offerings().find((o) => o.offeringId === intent.offeringId);
    if (!offering) return { kind: "rejected", code: "InvalidCapacityBlockOfferingId", message: "offering no longer on sale" };
    const start = Date.parse(offering.startDate);
    // The buyer: the old block the intent replaces (its id is part of the intent id, which is also the tag value).
    const buyer = /^replace-(cr-[0-9a-f]+)-/.exec(intent.intentId)?.[1] ?? "unknown";
    const oldEnd = this.reservations.get(buyer)!.end;
    const policy = this.policyOf(buyer);
    const allowed = this.offerings().filter((o) => policy.zones.includes(o.availabilityZone) && (o.feeUsd ?? Infinity) <= policy.cap);
    this.sold.add(offering.offeringId);
    const id = `cr-1${(this.next++).toString(16).padStart(16, "0")}`;
    const allTags = { ...tags, [INTENT_TAG]: intent.intentId, ...(fault === "payment-fails" ? { "sim-fails": "1" } : {}) };
    this.reservations.set(id, {
      id,
      zone: offering.availabilityZone,
      start,
      end: start + 168 * HOUR,
      state: "payment-pending",
      tags: allTags,
      replaces: buyer,
    });
    this.bought.push({
      intentId: intent.intentId,
      offeringId: intent.offeringId,
      oldBlock: buyer,
      fee: offering.feeUsd as number,
      start,
      at: this.now,
      failed: fault === "payment-fails",
      tags: allTags,
      bestStart: Math.min(...allowed.map((o) => Date.parse(o.startDate))),
      noGapAvailable: allowed.some((o) => Date.parse(o.startDate) <= oldEnd),
    });
    if (fault === "timeout-after-buying") return { kind: "unknown", message: "TimeoutError" };
    return { kind: "purchased", reservation: this.view(this.reservations.get(id)!) };
  }

  async findReservationsByIntent(intentIds: readonly string[]): Promise<ReadonlyMap<string, readonly ReservationView[]>> {
    if (this.throttleLookup) throw Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" });
    const out = new Map<string, ReservationView[]>();
    for (const r of this.reservations.values()) {
      const intent = r.tags[INTENT_TAG];
      if (intent !== undefined && intentIds.includes(intent)) out.set(intent, [...(out.get(intent) ?? []), this.view(r)]);
    }
    return out;
  }
}

async function simulate(scenario: Scenario) {
  const rng = prng(scenario.seed);
  const store = new InMemoryRecordStore();
  let now = T0;
  const clock = () => new Date(now);
  const specs = new Map<string, BlockSpec>();
  scenario.blocks.forEach((spec, i) => {
    specs.set(`cr-0${i.toString(16).padStart(16, "0")}`, spec);
  });
  const market = new Market(specs, (id) => ({ cap: specs.get(id)!.cap, zones: specs.get(id)!.zones }));
  /** Approvals given, by old block: the offering approved and when. */
  const approvals: { block: string; offeringId: string; at: number }[] = [];
  for (const [id, spec] of specs) {
    const end = T0 + spec.endInHours * HOUR;
    market.reservations.set(id, { id, zone: "us-east-1a", start: T0 - DAY, end, state: "active", tags: {} });
    await store.create(
      newRecord(
        aSpec({
          PK: id,
          capacityReservationId: id,
          endDate: new Date(end).toISOString(),
          requireApproval: spec.requireApproval,
          maxUpfrontFeeUsd: spec.cap,
          allowReplacement: true,
          replacementAvailabilityZones: spec.zones,
          extendBeforeHours: 24,
        }),
        clock(),
        "CREATED",
      ),
    );
  }
  const ledger = new InMemorySpendLedger();
  const reconciler = new Reconciler({
    store,
    ec2: market,
    ledger,
    ...(scenario.monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd: scenario.monthlyBudgetUsd } : {}),
    notifier: { publish: async () => undefined },
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
    logger: createLogger(() => undefined),
    clock,
    concurrency: 4,
    newBlocks: { market, tags: TAGS },
  });
  const service = new RecordsService({ store, ec2: market, clock });

  while (now < T0 + SIM_DAYS * DAY) {
    now += (5 + Math.floor(rng() * 40)) * MINUTE;
    market.tick(now);
    // People approve the pending replacement proposal of old blocks, sometimes late, sometimes never.
    for (const [id, spec] of specs) {
      const record = await store.get(id);
      if (!spec.requireApproval || record?.status !== "AWAITING_APPROVAL" || !record.proposal?.replacement || rng() >= spec.diligence) continue;
      try {
        await service.approve(id, `arn:aws:iam::123456789012:user/approver-${id}`);
        approvals.push({ block: id, offeringId: record.proposal.offeringId, at: now });
      } catch {
        // a reconcile wrote first: the person looks again later
      }
    }
    // Operators clear a held purchase only when EC2 shows no reservation tagged with its intent.
    for (const id of specs.keys()) {
      const record = await store.get(id);
      if (record?.status !== "PURCHASE_UNCONFIRMED" || !record.intent) continue;
      const tagged = await market.findReservationsByIntent([record.intent.intentId]).catch(() => undefined);
      if (tagged === undefined || tagged.size > 0) continue;
      await service.clearUnconfirmedPurchase(id, "arn:aws:iam::123456789012:user/operator").catch(() => undefined);
    }
    market.fault = rng() < scenario.faultRate ? (PURCHASE_FAULTS[Math.floor(rng() * PURCHASE_FAULTS.length)] as PurchaseFault) : "none";
    market.throttleLookup = rng() < scenario.throttleLookups;
    await reconciler.reconcileAll();
  }
  // Every purchase settled as bought reaches the ledger once the runs are over (the last run writes what is left).
  await reconciler.reconcileAll();
  return { market, approvals, store, ledger: (await ledger.month("2026-05", { limit: 1000 })).entries };
}

const offerArb = fc.record({
  startOffsetHours: fc.integer({ min: -20, max: 60 }),
  zone: fc.integer({ min: 0, max: 2 }),
  fee: fc.integer({ min: 20_000, max: 80_000 }),
});
const blockArb = fc.record({
  requireApproval: fc.boolean(),
  cap: fc.integer({ min: 30_000, max: 70_000 }),
  zones: fc.subarray([...ZONES], { minLength: 1 }),
  endInHours: fc.integer({ min: 30, max: 100 }),
  diligence: fc.double({ min: 0, max: 0.5, noNaN: true }),
  offers: fc.array(offerArb, { minLength: 0, maxLength: 6 }),
});
const scenarioArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  blocks: fc.array(blockArb, { minLength: 1, maxLength: 5 }),
  faultRate: fc.double({ min: 0, max: 0.6, noNaN: true }),
  throttleLookups: fc.double({ min: 0, max: 0.5, noNaN: true }),
  monthlyBudgetUsd: fc.option(fc.integer({ min: 20_000, max: 200_000 }), { nil: undefined }),
});

describe("money safety of replacements (simulated market of new blocks)", () => {
  it("never buys twice, without approval, above the cap, untagged, or with a longer gap than the market allowed", async () => {
    let purchases = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { market, approvals, ledger } = await simulate(scenario);
        if (scenario.monthlyBudgetUsd !== undefined) {
          const spent = market.bought.reduce((total, b) => total + b.fee, 0);
          expect(spent, "purchases above the monthly budget").toBeLessThanOrEqual(scenario.monthlyBudgetUsd);
        }
        // The ledger: only real purchases, once each, as replacements (those settled as bought; a held one may not be yet).
        expect(new Set(ledger.map((e) => e.intentId)).size).toBe(ledger.length);
        for (const entry of ledger) {
          expect(entry.kind).toBe("replacement");
          expect(
            market.bought.some((b) => b.intentId === entry.intentId && b.fee === entry.feeUsd),
            `${entry.intentId} in the ledger but never bought`,
          ).toBe(true);
        }
        const specs = scenario.blocks;
        for (const [oldBlock, list] of groupBy(market.bought, (b) => b.oldBlock)) {
          // One live replacement per old block: another only after the previous one's payment failed.
          expect(list.filter((b) => !b.failed).length, `${oldBlock}: duplicate purchases`).toBeLessThanOrEqual(1);
          const spec = specs[parseInt(oldBlock.slice(3), 16)]!;
          for (const b of list) {
            purchases += 1;
            expect(b.fee, `${b.intentId} above the cap`).toBeLessThanOrEqual(spec.cap);
            if (spec.requireApproval) {
              expect(
                approvals.some((a) => a.block === oldBlock && a.offeringId === b.offeringId && a.at <= b.at),
                `${b.intentId} bought without approval`,
              ).toBe(true);
            }
            expect(b.tags).toMatchObject({ ...TAGS, [INTENT_TAG]: b.intentId });
            // The gap: no gap when the market offered one without; otherwise the earliest start on sale.
            if (b.noGapAvailable)
              expect(b.start, `${b.intentId} left a gap the market did not force`).toBeLessThanOrEqual(market.reservations.get(oldBlock)!.end);
            else expect(b.start, `${b.intentId} gap longer than the best offering`).toBe(b.bestStart);
          }
        }
        for (const [intentId, list] of groupBy(market.bought, (b) => b.intentId)) expect(list.length, `intent ${intentId} bought twice`).toBe(1);
      }),
      { numRuns: FC_RUNS, seed: 20261204 },
    );
    // The scenarios did buy: the properties were exercised, not vacuous.
    expect(purchases).toBeGreaterThan(0);
  }, 120_000);
});

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
