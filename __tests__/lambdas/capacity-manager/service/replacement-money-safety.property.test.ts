/**
 * Money-safety property for extensions and replacements together: simulated days with a market that sells new
 * blocks AND extensions, both coming and going over time, so every block's continuity is decided between an
 * extension (on sale at the purchase window, only later, or never; sometimes above the cap) and a replacement. The
 * market follows the EC2 API shapes of @aws-sdk/client-ec2 3.1169.0: DescribeCapacityBlockOfferings (zones, start
 * dates, fees), a PurchaseCapacityBlock that creates a reservation carrying its TagSpecifications and turning active
 * at its start, DescribeCapacityReservations with a tag filter, DescribeCapacityBlockExtensionOfferings (offerings
 * starting at the block's end), PurchaseCapacityBlockExtension and DescribeCapacityBlockExtensionHistory (a purchase
 * shows as payment-pending, then payment-succeeded, moving the end, or payment-failed). Faults, for both kinds of
 * purchase: the purchase lands but the caller times out, the call times out before buying, throttling (of the
 * purchase and of the tag lookup), failed payments, late approvals. One scenario family starts two days before a
 * UTC month ends, so purchases fall on both sides of the boundary. Whatever happens:
 *   - zero duplicate purchases: per block end at most one live purchase (never both extended and replaced, never
 *     two replacements, never two extensions; another only after the earlier one's payment failed), one per intent,
 *   - zero purchases without the approval the record requires, and an approval buys only the offering it names (an
 *     approved replacement proposal never pays for an extension and vice versa),
 *   - zero purchases above the cap, and per UTC month the fees of what EC2 really sold stay within the budget,
 *   - the spend ledger holds each purchase EC2 made once, with its kind and fee, and nothing else (a purchase whose
 *     payment failed may be missing: the manager ledgers it only when it settled it before the failure),
 *   - the gap of every replacement bought is never longer than the best the offerings on sale allowed then,
 *   - every new block carries its intent tag and the environment's Karpenter tags.
 * FC_RUNS raises the number of simulated scenarios.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { utcMonthOf } from "../../../../lambdas/capacity-manager/domain/spend";
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
import { prng } from "../../../support/prng";
import { aSpec } from "../fixtures";

const FC_RUNS = Number(process.env["FC_RUNS"] ?? 10);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-05-04T00:00:00.000Z");
/** Two days before June: the purchase windows of the blocks fall on both sides of the UTC month boundary. */
const T0_MONTH_END = Date.parse("2026-05-30T00:00:00.000Z");
const SIM_DAYS = 6;
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"] as const;
const TAGS = { team: "ml", "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "prod" };
const INTENT_TAG = "blockfleet.io/intent-id";
/** The records' extendByHours (aSpec's default) and extendBeforeHours. */
const EXTEND_BY_HOURS = 24;
const EXTEND_BEFORE_HOURS = 24;
/** Extension offerings change every this many ms (they come and go; their fee changes). */
const EXT_SLOT_MS = 6 * HOUR;

interface ExtensionSale {
  /**
   * Extensions of the current end go on sale this many hours before it: above EXTEND_BEFORE_HOURS on sale at the
   * purchase window, below it only later.
   */
  readonly openHoursBeforeEnd: number;
  /** Fee per 6-h slot (cycled): some above the cap. */
  readonly fees: readonly number[];
  /** 6-h slots (cycled) in which EC2 sells no extension: offerings come and go. */
  readonly closed: readonly boolean[];
}

interface BlockSpec {
  readonly requireApproval: boolean;
  readonly cap: number;
  readonly zones: readonly string[];
  readonly endInHours: number;
  /** Chance per step that a person approves the pending proposal (low: approvals come late or never). */
  readonly diligence: number;
  /** New blocks on sale for this block: start relative to its end, zone, fee. */
  readonly offers: readonly { readonly startOffsetHours: number; readonly zone: number; readonly fee: number }[];
  /** Extensions of this block; undefined: never on sale. */
  readonly extension: ExtensionSale | undefined;
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
  /** When its payment failed (new blocks only). */
  failedAt?: number;
}

interface SimExtension {
  offeringId: string;
  fee: number;
  forEnd: number;
  purchasedAt: number;
  settleAt: number;
  fails: boolean;
  status: "payment-pending" | "payment-failed" | "payment-succeeded";
  failedAt?: number;
}

interface Bought {
  kind: "extension" | "replacement";
  intentId: string;
  offeringId: string;
  oldBlock: string;
  /** The end of the old block this purchase continues (its end when bought). */
  forEnd: number;
  fee: number;
  at: number;
  /** Replacements: the new reservation, its start and tags, and the best start the market allowed when bought. */
  reservationId?: string;
  start?: number;
  tags?: Record<string, string>;
  bestStart?: number;
  noGapAvailable?: boolean;
  ext?: SimExtension;
}

interface Approval {
  block: string;
  kind: "extension" | "replacement";
  offeringId: string;
  forEnd: number;
  at: number;
}

interface Scenario {
  readonly seed: number;
  readonly t0: number;
  readonly blocks: readonly BlockSpec[];
  readonly faultRate: number;
  readonly throttleLookups: number;
  /** USD per UTC month the manager may commit; undefined: no budget. */
  readonly monthlyBudgetUsd: number | undefined;
}

/** EC2 with a market of new blocks and of extensions, both coming and going. */
class Market implements CapacityApi, NewBlockMarket {
  readonly reservations = new Map<string, SimReservation>();
  readonly extensions = new Map<string, SimExtension[]>();
  readonly bought: Bought[] = [];
  now = T0;
  fault: PurchaseFault = "none";
  throttleLookup = false;
  /** Steps at which EC2 sold an extension of an end a live replacement was already bought for (the interplay under test). */
  extensionOfferedAfterReplacement = 0;
  private next = 1;
  /** Offerings bought are sold out (the capacity is someone's now). */
  private readonly sold = new Set<string>();
  constructor(
    private readonly t0: number,
    private readonly rng: () => number,
    private readonly specs: ReadonlyMap<string, BlockSpec>,
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

  /** The extension EC2 sells now for a block's current end (one offering; its id names end and fee). */
  extensionOffering(id: string): OfferingView | undefined {
    const block = this.reservations.get(id);
    const sale = this.specs.get(id)?.extension;
    if (!block || !sale || block.state !== "active" || this.now < block.end - sale.openHoursBeforeEnd * HOUR || this.now >= block.end - HOUR) return undefined;
    const slot = Math.floor((this.now - this.t0) / EXT_SLOT_MS);
    if (sale.closed[slot % sale.closed.length]) return undefined;
    const fee = sale.fees[slot % sale.fees.length] as number;
    return {
      offeringId: `ext-${id}-${block.end}-${fee}`,
      durationHours: EXTEND_BY_HOURS,
      feeUsd: fee,
      currency: "USD",
      startDate: new Date(block.end).toISOString(),
      endDate: new Date(block.end + EXTEND_BY_HOURS * HOUR).toISOString(),
    };
  }

  tick(now: number): void {
    this.now = now;
    for (const [id, r] of this.reservations) {
      if (!this.specs.has(id) || !this.extensionOffering(id)) continue;
      if (this.bought.some((b) => b.kind === "replacement" && b.oldBlock === id && b.forEnd === r.end && this.failedAt(b) === undefined))
        this.extensionOfferedAfterReplacement += 1;
    }
    for (const [id, list] of this.extensions) {
      const block = this.reservations.get(id)!;
      for (const e of list) {
        if (e.status !== "payment-pending" || now < e.settleAt) continue;
        if (e.fails || now >= e.forEnd - 35 * MINUTE) {
          e.status = "payment-failed";
          e.failedAt = now;
        } else {
          e.status = "payment-succeeded";
          if (e.forEnd === block.end) block.end += EXTEND_BY_HOURS * HOUR;
        }
      }
    }
    for (const r of this.reservations.values()) {
      if (r.state === "payment-pending" && now >= r.start - 6 * HOUR) {
        r.state = r.tags["sim-fails"] ? "payment-failed" : "scheduled";
        if (r.state === "payment-failed") r.failedAt = now;
      }
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
  async describeExtensionHistory(ids: readonly string[]): Promise<ExtensionView[]> {
    return ids.flatMap((id) =>
      (this.extensions.get(id) ?? []).map((e) => ({
        capacityReservationId: id,
        offeringId: e.offeringId,
        status: e.status,
        durationHours: EXTEND_BY_HOURS,
        purchaseDate: new Date(e.purchasedAt).toISOString(),
        startDate: new Date(e.forEnd).toISOString(),
        endDate: new Date(e.forEnd + EXTEND_BY_HOURS * HOUR).toISOString(),
        feeUsd: e.fee,
      })),
    );
  }
  async describeExtensionOfferings(id: string, hours: number): Promise<OfferingView[]> {
    const offering = this.extensionOffering(id);
    return offering && offering.durationHours === hours ? [offering] : [];
  }
  async purchaseExtension(id: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    const fault = this.fault;
    if (fault === "throttled") return { kind: "rejected", code: "RequestLimitExceeded", message: "Rate exceeded" };
    if (fault === "timeout-before-buying") return { kind: "unknown", message: "TimeoutError" };
    const offering = this.extensionOffering(id);
    if (!offering || offering.offeringId !== intent.offeringId)
      return { kind: "rejected", code: "InvalidParameterValue", message: "offering is not available" };
    const block = this.reservations.get(id)!;
    const ext: SimExtension = {
      offeringId: offering.offeringId,
      fee: offering.feeUsd as number,
      forEnd: block.end,
      purchasedAt: this.now,
      settleAt: this.now + Math.floor(this.rng() * 12 * HOUR),
      fails: fault === "payment-fails",
      status: "payment-pending",
    };
    this.extensions.set(id, [...(this.extensions.get(id) ?? []), ext]);
    this.bought.push({
      kind: "extension",
      intentId: intent.intentId,
      offeringId: ext.offeringId,
      oldBlock: id,
      forEnd: ext.forEnd,
      fee: ext.fee,
      at: this.now,
      ext,
    });
    if (fault === "timeout-after-buying") return { kind: "unknown", message: "TimeoutError" };
    return {
      kind: "purchased",
      extension: {
        capacityReservationId: id,
        offeringId: ext.offeringId,
        status: "payment-pending",
        feeUsd: ext.fee,
        purchaseDate: new Date(this.now).toISOString(),
      },
    };
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }

  async describeNewBlockOfferings(query: NewBlockQuery, from: Date): Promise<NewBlockOfferingView[]> {
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
    const spec = this.specs.get(buyer)!;
    const allowed = this.offerings().filter((o) => spec.zones.includes(o.availabilityZone) && (o.feeUsd ?? Infinity) <= spec.cap);
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
      kind: "replacement",
      intentId: intent.intentId,
      offeringId: intent.offeringId,
      oldBlock: buyer,
      forEnd: oldEnd,
      fee: offering.feeUsd as number,
      at: this.now,
      reservationId: id,
      start,
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

  /** When EC2 failed the payment of a purchase (undefined: it did not, or not yet). */
  failedAt(b: Bought): number | undefined {
    return b.kind === "extension" ? b.ext?.failedAt : this.reservations.get(b.reservationId as string)?.failedAt;
  }
}

async function simulate(scenario: Scenario) {
  const rng = prng(scenario.seed);
  const store = new InMemoryRecordStore();
  let now = scenario.t0;
  const clock = () => new Date(now);
  const specs = new Map<string, BlockSpec>();
  for (const [i, spec] of scenario.blocks.entries()) specs.set(`cr-0${i.toString(16).padStart(16, "0")}`, spec);
  const market = new Market(scenario.t0, rng, specs);
  market.now = now;
  const approvals: Approval[] = [];
  for (const [id, spec] of specs) {
    const end = scenario.t0 + spec.endInHours * HOUR;
    market.reservations.set(id, { id, zone: "us-east-1a", start: scenario.t0 - DAY, end, state: "active", tags: {} });
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
          extendBeforeHours: EXTEND_BEFORE_HOURS,
          extendByHours: EXTEND_BY_HOURS,
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

  while (now < scenario.t0 + SIM_DAYS * DAY) {
    now += (5 + Math.floor(rng() * 40)) * MINUTE;
    market.tick(now);
    // People approve the pending proposal (an extension or a replacement), sometimes late, sometimes never.
    for (const [id, spec] of specs) {
      const record = await store.get(id);
      const proposal = record?.proposal;
      if (!spec.requireApproval || record?.status !== "AWAITING_APPROVAL" || !proposal || rng() >= spec.diligence) continue;
      try {
        const approved = await service.approve(id, `arn:aws:iam::123456789012:user/approver-${id}`);
        expect(approved.approval?.offeringId, "an approval names the proposal's offering").toBe(proposal.offeringId);
        approvals.push({
          block: id,
          kind: proposal.replacement ? "replacement" : "extension",
          offeringId: proposal.offeringId,
          forEnd: Date.parse(proposal.forEndDate),
          at: now,
        });
      } catch (error) {
        // a reconcile wrote first: the person looks again later
        if (error instanceof Error && error.name === "AssertionError") throw error;
      }
    }
    // Operators clear a held purchase only when EC2 shows nothing bought for its intent.
    for (const id of specs.keys()) {
      const record = await store.get(id);
      const intent = record?.intent;
      if (record?.status !== "PURCHASE_UNCONFIRMED" || !intent) continue;
      if (intent.replacement) {
        const tagged = await market.findReservationsByIntent([intent.intentId]).catch(() => undefined);
        if (tagged === undefined || tagged.size > 0) continue;
      } else if ((market.extensions.get(id) ?? []).some((e) => e.purchasedAt >= Date.parse(intent.startedAt))) {
        continue;
      }
      await service.clearUnconfirmedPurchase(id, "arn:aws:iam::123456789012:user/operator").catch(() => undefined);
    }
    market.fault = rng() < scenario.faultRate ? (PURCHASE_FAULTS[Math.floor(rng() * PURCHASE_FAULTS.length)] as PurchaseFault) : "none";
    market.throttleLookup = rng() < scenario.throttleLookups;
    await reconciler.reconcileAll();
  }
  // Fault-free runs at the end settle what is left, so every purchase EC2 made reaches the ledger.
  market.fault = "none";
  market.throttleLookup = false;
  for (let i = 0; i < 3; i++) {
    now += MINUTE;
    market.tick(now);
    await reconciler.reconcileAll();
  }
  return { market, approvals, ledger: ledger.all() };
}

const offerArb = fc.record({
  startOffsetHours: fc.integer({ min: -20, max: 60 }),
  zone: fc.integer({ min: 0, max: 2 }),
  fee: fc.integer({ min: 20_000, max: 80_000 }),
});
const extensionArb = fc.option(
  fc.record({
    // 30-60: on sale at the window (24 h before the end); 2-20: only later.
    openHoursBeforeEnd: fc.oneof(fc.integer({ min: 30, max: 60 }), fc.integer({ min: 2, max: 20 })),
    fees: fc.array(fc.integer({ min: 10_000, max: 80_000 }), { minLength: 1, maxLength: 4 }),
    closed: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
  }),
  { nil: undefined, freq: 4 },
);
const blockArb = fc.record({
  requireApproval: fc.boolean(),
  cap: fc.integer({ min: 30_000, max: 70_000 }),
  zones: fc.subarray([...ZONES], { minLength: 1 }),
  endInHours: fc.integer({ min: 30, max: 100 }),
  diligence: fc.double({ min: 0, max: 0.5, noNaN: true }),
  offers: fc.array(offerArb, { minLength: 0, maxLength: 6 }),
  extension: extensionArb,
});
const scenarioArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  t0: fc.constantFrom(T0, T0_MONTH_END),
  blocks: fc.array(blockArb, { minLength: 1, maxLength: 5 }),
  faultRate: fc.double({ min: 0, max: 0.6, noNaN: true }),
  throttleLookups: fc.double({ min: 0, max: 0.5, noNaN: true }),
  monthlyBudgetUsd: fc.option(fc.integer({ min: 20_000, max: 200_000 }), { nil: undefined }),
});

/** Every invariant of the header, for one simulated run. */
function checkRun(scenario: Scenario, market: Market, approvals: readonly Approval[], ledger: ReturnType<InMemorySpendLedger["all"]>): void {
  const bought = market.bought;
  // Budget, per UTC month: what EC2 sold in month M (failed payments included: a purchase commits when made).
  if (scenario.monthlyBudgetUsd !== undefined) {
    for (const [month, list] of groupBy(bought, (b) => utcMonthOf(new Date(b.at)))) {
      const cents = list.reduce((total, b) => total + Math.round(b.fee * 100), 0);
      expect(cents / 100, `${month}: purchases above the monthly budget`).toBeLessThanOrEqual(scenario.monthlyBudgetUsd);
    }
  }
  // The ledger: what EC2 sold, once each, with its kind and fee; only a purchase whose payment failed may be missing.
  expect(new Set(ledger.map((e) => e.intentId)).size, "an intent ledgered twice").toBe(ledger.length);
  for (const entry of ledger) {
    expect(
      bought.some(
        (b) =>
          b.intentId === entry.intentId &&
          b.kind === entry.kind &&
          b.fee === entry.feeUsd &&
          b.oldBlock === entry.recordPk &&
          entry.capacityReservationId === (b.reservationId ?? b.oldBlock),
      ),
      `${entry.intentId} in the ledger but never bought`,
    ).toBe(true);
  }
  for (const b of bought) {
    if (market.failedAt(b) === undefined)
      expect(
        ledger.some((e) => e.intentId === b.intentId),
        `${b.kind} ${b.intentId} bought but not in the ledger`,
      ).toBe(true);
  }
  for (const [intentId, list] of groupBy(bought, (b) => b.intentId)) expect(list.length, `intent ${intentId} bought twice`).toBe(1);
  for (const [i, b] of bought.entries()) {
    const spec = scenario.blocks[parseInt(b.oldBlock.slice(3), 16)] as BlockSpec;
    const what = `${b.kind} ${b.intentId} (${b.offeringId}) at ${new Date(b.at).toISOString()}`;
    // One live purchase per block end: another (of either kind) only after EC2 failed the earlier one's payment.
    const earlier = bought.slice(0, i).filter((q) => q.oldBlock === b.oldBlock && q.forEnd === b.forEnd);
    const live = earlier.filter((q) => (market.failedAt(q) ?? Infinity) > b.at);
    expect(
      live.map((q) => `${q.kind} ${q.intentId}`),
      `${what}: duplicate purchase for the end ${new Date(b.forEnd).toISOString()}`,
    ).toEqual([]);
    expect(b.fee, `${what} above the cap`).toBeLessThanOrEqual(spec.cap);
    if (spec.requireApproval) {
      // An approval of this very offering, of this kind, for this end, given after the block's previous purchase.
      const previous = Math.max(
        -Infinity,
        ...bought
          .slice(0, i)
          .filter((q) => q.oldBlock === b.oldBlock)
          .map((q) => q.at),
      );
      const ok = approvals.some(
        (a) => a.block === b.oldBlock && a.kind === b.kind && a.offeringId === b.offeringId && a.forEnd === b.forEnd && a.at <= b.at && a.at > previous,
      );
      expect(ok, `${what} bought without an approval of that offering`).toBe(true);
    }
    if (b.kind === "replacement") {
      expect(b.tags).toMatchObject({ ...TAGS, [INTENT_TAG]: b.intentId });
      // The gap: no gap when the market offered one without; otherwise the earliest start on sale.
      if (b.noGapAvailable) expect(b.start, `${what} left a gap the market did not force`).toBeLessThanOrEqual(b.forEnd);
      else expect(b.start, `${what}: gap longer than the best offering`).toBe(b.bestStart);
    }
  }
}

describe("money safety of extensions and replacements (simulated market of both)", () => {
  it(`GIVEN extensions and new blocks that come and go, approvals and faults THEN never a duplicate, unapproved, capped-out or over-budget purchase, nor a longer gap than the market allowed (${FC_RUNS} runs)`, async () => {
    const seen = {
      extension: 0,
      replacement: 0,
      extensionOfferedAfterReplacement: 0,
      replacementApprovals: 0,
      monthEndMay: 0,
      monthEndJune: 0,
      failedPayments: 0,
    };
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { market, approvals, ledger } = await simulate(scenario);
        checkRun(scenario, market, approvals, ledger);
        seen.extensionOfferedAfterReplacement += market.extensionOfferedAfterReplacement;
        seen.replacementApprovals += approvals.filter((a) => a.kind === "replacement").length;
        for (const b of market.bought) {
          seen[b.kind] += 1;
          if (market.failedAt(b) !== undefined) seen.failedPayments += 1;
          if (scenario.t0 === T0_MONTH_END) {
            if (utcMonthOf(new Date(b.at)) === "2026-05") seen.monthEndMay += 1;
            else seen.monthEndJune += 1;
          }
        }
      }),
      { numRuns: FC_RUNS, seed: process.env["FC_SEED"] ? Number(process.env["FC_SEED"]) : 20261205 },
    );
    // The scenarios bought both kinds, on both sides of a month boundary: the properties were exercised, not vacuous.
    expect(seen.extension).toBeGreaterThan(0);
    expect(seen.replacement).toBeGreaterThan(0);
    expect(seen.extensionOfferedAfterReplacement).toBeGreaterThan(0);
    expect(seen.replacementApprovals).toBeGreaterThan(0);
    expect(seen.monthEndMay).toBeGreaterThan(0);
    expect(seen.monthEndJune).toBeGreaterThan(0);
  }, 120_000);

  it("GIVEN a tight budget, a month boundary, extensions on sale only late and failed extension payments THEN EC2 sells within the budget in each month and never extends and replaces one end", async () => {
    const block = (overrides: Partial<BlockSpec>): BlockSpec => ({
      requireApproval: false,
      cap: 60_000,
      zones: ["us-east-1a", "us-east-1b"],
      endInHours: 40,
      diligence: 0.3,
      offers: [
        { startOffsetHours: 0, zone: 0, fee: 40_000 },
        { startOffsetHours: 6, zone: 1, fee: 30_000 },
      ],
      extension: { openHoursBeforeEnd: 10, fees: [20_000, 70_000], closed: [false, true] },
      ...overrides,
    });
    const scenario: Scenario = {
      seed: 7,
      t0: T0_MONTH_END,
      blocks: [
        block({}),
        block({ endInHours: 50, requireApproval: true, diligence: 0.5 }),
        block({ endInHours: 60, extension: { openHoursBeforeEnd: 40, fees: [25_000], closed: [false] } }),
        block({ endInHours: 70, extension: undefined }),
        block({ endInHours: 80, requireApproval: true, extension: { openHoursBeforeEnd: 30, fees: [15_000, 90_000], closed: [false, false, true] } }),
      ],
      faultRate: 0.4,
      throttleLookups: 0.2,
      monthlyBudgetUsd: 70_000,
    };
    const { market, approvals, ledger } = await simulate(scenario);
    checkRun(scenario, market, approvals, ledger);
    const months = new Set(market.bought.map((b) => utcMonthOf(new Date(b.at))));
    expect([...months].sort()).toEqual(["2026-05", "2026-06"]);
    // Both kinds bought, both kinds approved, and EC2 still sold extensions of ends already replaced.
    expect(new Set(market.bought.map((b) => b.kind)).size).toBe(2);
    expect(new Set(approvals.map((a) => a.kind)).size).toBe(2);
    expect(market.extensionOfferedAfterReplacement).toBeGreaterThan(0);
  }, 60_000);

  it("GIVEN an extension approved whose offering changes at the purchase window THEN that approval does not buy the new offering, a fresh one does", async () => {
    // The window (end - 24 h = t0 + 42 h) falls on a 6-h slot boundary: the approved 30 000 USD offering is replaced
    // by a cheaper one, which the approval (of the other offering) must not pay for.
    const scenario: Scenario = {
      seed: 11,
      t0: T0,
      blocks: [
        {
          requireApproval: true,
          cap: 60_000,
          zones: ["us-east-1a"],
          endInHours: 66,
          diligence: 1,
          offers: [{ startOffsetHours: 0, zone: 0, fee: 50_000 }],
          extension: { openHoursBeforeEnd: 60, fees: [30_000, 20_000, 25_000], closed: [false] },
        },
      ],
      faultRate: 0,
      throttleLookups: 0,
      monthlyBudgetUsd: undefined,
    };
    const { market, approvals, ledger } = await simulate(scenario);
    checkRun(scenario, market, approvals, ledger);
    const first = market.bought[0] as Bought;
    expect(first.kind).toBe("extension");
    expect(new Set(approvals.filter((a) => a.kind === "extension" && a.forEnd === first.forEnd).map((a) => a.offeringId)).size).toBeGreaterThan(1);
  }, 60_000);
});

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}
