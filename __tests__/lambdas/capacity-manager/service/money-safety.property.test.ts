/**
 * Money-safety property: simulated weeks of many capacity blocks with fake time and injected faults
 * (throttling, purchase timeouts before/after EC2 bought, conditional-write conflicts, lost write replies,
 * concurrent reconciles, duplicate and out-of-order events, an extension history that shows a purchase only
 * minutes later, two records tracking one reservation). Whatever happens:
 *   - no block end is ever extended twice (zero double purchases),
 *   - nothing is bought without the approval it requires, nor above the cap, nor above the monthly budget (what EC2
 *     really sold per UTC month, timeouts after the purchase landed included, never exceeds it), and the manager's
 *     spend ledger holds each purchase it settled as bought once, and nothing EC2 did not sell,
 *   - every record item stays under RECORD_ITEM_BUDGET_BYTES, and every record failure shows in a metric
 *     (RecordFailures, or the run throws: the Lambda's Errors),
 *   - no block expires while the manager had a fault-free chance to buy an allowed offering. The one narrow
 *     exception: while a purchase whose outcome stayed unknown is held for an operator (PURCHASE_UNCONFIRMED),
 *     the manager must not buy, so those steps are no chance; every such hold must have been alerted
 *     (reservation, intent, deadline, what to check), and a block that expires while held is listed separately.
 * Simulated operators follow the alert: they check EC2 and, when it shows no purchase, clear the hold (PATCH).
 * FC_RUNS raises the number of simulated scenarios (default keeps the suite fast).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { itemSizeBytes } from "../../../../lambdas/capacity-manager/adapters/item-size";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { RECORD_ITEM_BUDGET_BYTES } from "../../../../lambdas/capacity-manager/contract/table";
import { newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { toCents, utcMonthOf } from "../../../../lambdas/capacity-manager/domain/spend";
import type {
  CapacityRecord,
  ExtensionView,
  HistoryEntry,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  RecordChanges,
  ReservationView,
} from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import { VersionConflictError } from "../../../../lambdas/capacity-manager/service/errors";
import type { CapacityApi, RecordStore, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import { prng } from "../../../support/prng";
import { aSpec } from "../fixtures";

const FC_RUNS = Number(process.env["FC_RUNS"] ?? 5);
const DEFAULT_SEED = 20261205;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-05-04T00:00:00.000Z");
const SIM_DAYS = 14;
/** EC2's extension history may show a purchase this late (eventual consistency); below the manager's 15-min grace. */
const HISTORY_LAG_MAX_MS = 10 * MINUTE;

interface BlockSpec {
  readonly requireApproval: boolean;
  readonly cap: number | undefined;
  readonly extendBeforeHours: number;
  readonly extendByHours: number;
  readonly startOffsetHours: number;
  readonly durationDays: number;
  readonly baseFee: number;
  /** Fee multiplier per simulated day (cycled). */
  readonly feeFactors: readonly number[];
  /** Days (cycled) on which EC2 offers nothing. */
  readonly noOfferingDays: readonly boolean[];
  /** Chance per step that a person approves a pending proposal. */
  readonly diligence: number;
  readonly approveInAdvance: boolean;
  /** A second record tracks the same reservation (a racing POST, a re-import under another PK). */
  readonly trackedTwice: boolean;
  /** Chance per step that an operator acts on an unconfirmed-purchase alert (checks EC2, clears the hold). */
  readonly operatorDiligence: number;
}

interface StepFaults {
  throttleReads: boolean;
  throttleOfferings: boolean;
  purchase: "none" | "timeout-after-buying" | "timeout-before-buying" | "server-error-after-buying" | "rejected";
  writeConflicts: boolean;
  lostWriteReplies: boolean;
}
const PURCHASE_FAULTS: readonly StepFaults["purchase"][] = [
  "timeout-after-buying",
  "server-error-after-buying",
  "timeout-after-buying",
  "timeout-before-buying",
  "rejected",
  "none",
];
const NO_FAULTS: StepFaults = { throttleReads: false, throttleOfferings: false, purchase: "none", writeConflicts: false, lostWriteReplies: false };
const anyFault = (f: StepFaults) => f.throttleReads || f.throttleOfferings || f.purchase !== "none" || f.writeConflicts || f.lostWriteReplies;

interface SimExtension {
  offeringId: string;
  hours: number;
  fee: number;
  status: "payment-pending" | "payment-failed" | "payment-succeeded";
  purchasedAt: number;
  /** When DescribeCapacityBlockExtensionHistory starts to show it. */
  visibleAt: number;
  settleAt: number;
  fails: boolean;
  forEnd: number;
}

interface SimBlock {
  readonly id: string;
  readonly pk: string;
  readonly spec: BlockSpec;
  readonly start: number;
  end: number;
  state: "scheduled" | "active" | "expired";
  extensions: SimExtension[];
}

interface Purchase {
  blockId: string;
  forEnd: number;
  fee: number;
  hours: number;
  at: number;
  ext: SimExtension;
}

interface ApprovalLog {
  blockId: string;
  at: number;
  maxFee: number;
  hours: number;
  forEnd: number | undefined;
  /** The offering the approval names, when it names one: the manager buys only that offering with it. */
  offeringId: string | undefined;
}

class ThrottledError extends Error {
  override name = "RequestLimitExceeded";
}

/** EC2 as the manager's port sees it: the ground truth of the simulation. */
class SimulatedEc2 implements CapacityApi {
  readonly blocks = new Map<string, SimBlock>();
  readonly ledger: Purchase[] = [];
  faults: StepFaults = NO_FAULTS;
  now = T0;
  constructor(
    private readonly rng: () => number,
    private readonly paymentFailureRate: number,
  ) {}

  private day(): number {
    return Math.floor((this.now - T0) / DAY);
  }

  /** What EC2 sells right now for a block (cheapest first is not guaranteed). */
  currentOfferings(block: SimBlock, hours: number): OfferingView[] {
    if (block.state === "expired" || this.now < block.end - 56 * DAY || this.now >= block.end - HOUR) return [];
    const day = this.day();
    if (block.spec.noOfferingDays[day % block.spec.noOfferingDays.length]) return [];
    const fee = Math.round(block.spec.baseFee * (block.spec.feeFactors[day % block.spec.feeFactors.length] as number) * 100) / 100;
    return [fee * 1.25, fee].map((f, i) => ({
      offeringId: `${block.id}|${block.end}|${hours}|${f}|${i}`,
      durationHours: hours,
      feeUsd: f,
      currency: "USD",
      startDate: new Date(block.end).toISOString(),
      endDate: new Date(block.end + hours * HOUR).toISOString(),
    }));
  }

  pending(block: SimBlock): boolean {
    return block.extensions.some((e) => e.status === "payment-pending");
  }

  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    await Promise.resolve();
    if (this.faults.throttleReads) throw new ThrottledError("Rate exceeded");
    const found = new Map<string, ReservationView>();
    const missing = new Set<string>();
    for (const id of ids) {
      const b = this.blocks.get(id);
      if (!b) missing.add(id);
      else
        found.set(id, {
          capacityReservationId: id,
          state: b.state,
          reservationType: "capacity-block",
          startDate: new Date(b.start).toISOString(),
          endDate: new Date(b.end).toISOString(),
        });
    }
    return { found, missing };
  }

  async describeExtensionHistory(ids: readonly string[]): Promise<ExtensionView[]> {
    await Promise.resolve();
    if (this.faults.throttleReads) throw new ThrottledError("Rate exceeded");
    return ids.flatMap((id) =>
      (this.blocks.get(id)?.extensions ?? [])
        .filter((e) => e.visibleAt <= this.now)
        .map((e) => ({
          capacityReservationId: id,
          offeringId: e.offeringId,
          status: e.status,
          durationHours: e.hours,
          purchaseDate: new Date(e.purchasedAt).toISOString(),
          startDate: new Date(e.forEnd).toISOString(),
          endDate: new Date(e.forEnd + e.hours * HOUR).toISOString(),
          feeUsd: e.fee,
        })),
    );
  }

  async describeExtensionOfferings(id: string, hours: number): Promise<OfferingView[]> {
    await Promise.resolve();
    if (this.faults.throttleOfferings) throw new ThrottledError("Rate exceeded");
    const block = this.blocks.get(id);
    return block ? this.currentOfferings(block, hours) : [];
  }

  async purchaseExtension(id: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    await Promise.resolve();
    const fault = this.faults.purchase;
    if (fault === "rejected") return { kind: "rejected", code: "RequestLimitExceeded", message: "throttled" };
    if (fault === "timeout-before-buying") return { kind: "unknown", message: "TimeoutError" };
    const block = this.blocks.get(id);
    const offering = block ? this.currentOfferings(block, intent.durationHours).find((o) => o.offeringId === intent.offeringId) : undefined;
    // EC2 itself is permissive here on purpose: the manager's guards are what is under test.
    if (!block || !offering) return { kind: "rejected", code: "InvalidParameterValue", message: "offering is not available" };
    const ext: SimExtension = {
      offeringId: offering.offeringId,
      hours: intent.durationHours,
      fee: offering.feeUsd as number,
      status: "payment-pending",
      purchasedAt: this.now,
      visibleAt: this.now + Math.floor(this.rng() * HISTORY_LAG_MAX_MS),
      settleAt: this.now + Math.floor(this.rng() * 12 * HOUR),
      fails: this.rng() < this.paymentFailureRate,
      forEnd: block.end,
    };
    block.extensions.push(ext);
    this.ledger.push({ blockId: id, forEnd: block.end, fee: ext.fee, hours: ext.hours, at: this.now, ext });
    if (fault === "timeout-after-buying") return { kind: "unknown", message: "TimeoutError" };
    if (fault === "server-error-after-buying") return { kind: "unknown", message: "InternalError: 500" };
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

  /** Advances EC2: payments settle (moving the end), blocks start and expire. Returns blocks that expired now. */
  tick(now: number): SimBlock[] {
    this.now = now;
    const expired: SimBlock[] = [];
    for (const b of this.blocks.values()) {
      for (const e of b.extensions) {
        if (e.status !== "payment-pending" || e.settleAt > now) continue;
        if (e.fails || now >= e.forEnd - 35 * MINUTE) {
          e.status = "payment-failed";
        } else {
          e.status = "payment-succeeded";
          if (e.forEnd === b.end) b.end += e.hours * HOUR;
        }
      }
      if (b.state === "scheduled" && now >= b.start) b.state = "active";
      if (b.state !== "expired" && now >= b.end) {
        b.state = "expired";
        expired.push(b);
      }
    }
    return expired;
  }
}

/** The real store semantics plus injected write faults. */
class FaultyStore implements RecordStore {
  faults: StepFaults = NO_FAULTS;
  constructor(
    readonly inner: InMemoryRecordStore,
    private readonly rng: () => number,
  ) {}
  scan(o?: { cursor?: string; limit?: number }) {
    return this.inner.scan(o);
  }
  get(pk: string) {
    return this.inner.get(pk);
  }
  findByReservationId(id: string) {
    return this.inner.findByReservationId(id);
  }
  create(r: CapacityRecord, h?: readonly HistoryEntry[]) {
    return this.inner.create(r, h);
  }
  history(pk: string, o?: { cursor?: string; limit?: number }) {
    return this.inner.history(pk, o);
  }
  async update(pk: string, v: number, c: RecordChanges, h: readonly HistoryEntry[]): Promise<CapacityRecord> {
    if (this.faults.writeConflicts && this.rng() < 0.5) throw new VersionConflictError(pk, v);
    const out = await this.inner.update(pk, v, c, h);
    if (this.faults.lostWriteReplies && this.rng() < 0.5) throw new Error("socket timeout after the write was applied");
    return out;
  }
  delete(pk: string, v: number) {
    return this.inner.delete(pk, v);
  }
}

const blockSpecArb: fc.Arbitrary<BlockSpec> = fc.record({
  requireApproval: fc.boolean(),
  cap: fc.option(fc.integer({ min: 500, max: 3000 }), { nil: undefined }),
  extendBeforeHours: fc.integer({ min: 13, max: 72 }),
  extendByHours: fc.constantFrom(24, 48),
  startOffsetHours: fc.integer({ min: -48, max: 72 }),
  durationDays: fc.integer({ min: 1, max: 5 }),
  baseFee: fc.integer({ min: 400, max: 2500 }),
  feeFactors: fc.array(fc.constantFrom(0.8, 1, 1.1, 1.5), { minLength: 1, maxLength: 5 }),
  noOfferingDays: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
  diligence: fc.constantFrom(0, 0.05, 0.3, 1),
  approveInAdvance: fc.boolean(),
  trackedTwice: fc.boolean(),
  operatorDiligence: fc.constantFrom(0, 0.1, 1),
});

const scenarioArb = fc.record({
  seed: fc.integer(),
  blocks: fc.array(blockSpecArb, { minLength: 3, maxLength: 10 }),
  faultRate: fc.constantFrom(0, 0.2, 0.4),
  concurrencyRate: fc.constantFrom(0, 0.2),
  eventRate: fc.constantFrom(0, 0.2),
  paymentFailureRate: fc.constantFrom(0, 0.2),
  /** USD per UTC month: tight (a few purchases), middling, or never reached. */
  monthlyBudgetUsd: fc.constantFrom<number>(2_500, 6_000, 15_000, 1_000_000),
  /** When the simulation starts: inside May, or so that its weeks cross into June at UTC midnight. */
  t0: fc.constantFrom<number>(T0, Date.parse("2026-05-24T00:00:00.000Z")),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

interface Violations {
  doublePurchases: string[];
  unapproved: string[];
  aboveCap: string[];
  expiredWithChance: string[];
  /** Held purchases that no alert named (reservation, intent, deadline and what to check). */
  holdsNotAlerted: string[];
  /** Record items over RECORD_ITEM_BUDGET_BYTES after some step. */
  oversizedItems: string[];
  /** Runs whose failing records the RecordFailures metric did not count (or that failed without throwing). */
  unseenFailures: string[];
  /** UTC months in which EC2 sold the manager more than the monthly budget. */
  overBudget: string[];
  /** Manager ledger entries EC2 has no purchase for (same block and end). */
  ledgerWithoutPurchase: string[];
}

interface Published {
  readonly kind: string | undefined;
  readonly pk: string | undefined;
  readonly message: string;
}

interface HoldStats {
  /** Purchases held for an operator (PURCHASE_UNCONFIRMED entered). */
  holds: number;
  /** Holds an operator cleared after checking EC2. */
  cleared: number;
  /** Block ends that expired while held: excluded from the expiry invariant, alerted instead. */
  expiredAwaitingOperator: string[];
}

async function simulate(
  scenario: Scenario,
): Promise<Violations & HoldStats & { purchases: number; steps: number; recordFailures: number; refusedByBudget: number; ledgered: number }> {
  const rng = prng(scenario.seed);
  const t0 = scenario.t0 ?? T0;
  const ec2 = new SimulatedEc2(rng, scenario.paymentFailureRate);
  ec2.now = t0;
  const store = new FaultyStore(new InMemoryRecordStore(), rng);
  let now = t0;
  const clock = () => new Date(now);
  // Log and metric lines of the current step's runs: every record failure must show in a metric.
  let stepLines: Record<string, unknown>[] = [];
  const logger = createLogger((line) => void stepLines.push(JSON.parse(line) as Record<string, unknown>));
  const oversizedItems: string[] = [];
  const unseenFailures: string[] = [];
  let recordFailures = 0;
  const published: Published[] = [];
  const notifier = {
    publish: async (_subject: string, message: string, attributes: Readonly<Record<string, string>>) =>
      void published.push({ kind: attributes["kind"], pk: attributes["PK"], message }),
  };
  const spendLedger = new InMemorySpendLedger();
  const reconciler = new Reconciler({
    store,
    ec2,
    notifier,
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
    logger,
    clock,
    concurrency: 4,
    ledger: spendLedger,
    ...(scenario.monthlyBudgetUsd !== undefined ? { monthlyBudgetUsd: scenario.monthlyBudgetUsd } : {}),
  });
  const service = new RecordsService({ store: store.inner, ec2, clock });
  const approvals: ApprovalLog[] = [];
  /** When an operator last cleared a held purchase, per block: clearing withdraws earlier approvals. */
  const clearedAt = new Map<string, number>();
  const stats: HoldStats = { holds: 0, cleared: 0, expiredAwaitingOperator: [] };
  /** Fault-free steps at which an allowed offering existed and the manager was free to buy, per block end. */
  const chances = new Map<string, number>();

  for (const [i, spec] of scenario.blocks.entries()) {
    const id = `cr-0${i.toString(16).padStart(16, "0")}`;
    const start = t0 + spec.startOffsetHours * HOUR;
    const end = Math.max(start, t0) + spec.durationDays * DAY;
    ec2.blocks.set(id, { id, pk: `block-${i}`, spec, start, end, state: start <= t0 ? "active" : "scheduled", extensions: [] });
    const recordSpec = aSpec({
      PK: `block-${i}`,
      capacityReservationId: id,
      // Typed-in dates that are wrong on purpose: EC2 is the truth.
      startDate: "2001-01-01T00:00:00.000Z",
      endDate: "2001-01-02T00:00:00.000Z",
      extendBeforeHours: spec.extendBeforeHours,
      extendByHours: spec.extendByHours,
      requireApproval: spec.requireApproval,
      ...(spec.cap !== undefined ? { maxUpfrontFeeUsd: spec.cap } : {}),
    });
    await store.inner.create(newRecord(recordSpec, clock(), "CREATED"));
    if (spec.trackedTwice) await store.inner.create(newRecord({ ...recordSpec, PK: `block-${i}-again` }, clock(), "CREATED"));
  }

  const lastPurchaseAt = (blockId: string) => Math.max(-Infinity, ...ec2.ledger.filter((p) => p.blockId === blockId).map((p) => p.at));
  const approvalCoversOne = (a: ApprovalLog, b: SimBlock, offering: OfferingView, at: number): boolean =>
    a.blockId === b.id &&
    a.at <= at &&
    a.at > Math.max(lastPurchaseAt(b.id), clearedAt.get(b.id) ?? -Infinity) &&
    a.maxFee >= (offering.feeUsd as number) &&
    a.hours === b.spec.extendByHours &&
    (a.forEnd === undefined || a.forEnd === b.end) &&
    // An approval bound to an offering covers that offering only (domain/decision/extension.ts, docs/runbook.md):
    // when EC2 replaces it by a cheaper one, the approver is asked again, so that step is no chance.
    (a.offeringId === undefined || a.offeringId === offering.offeringId);
  /**
   * For chances only the approval in force counts: a later approval replaces an earlier one on the record (approving a
   * proposal narrows an approval given ahead), so an approval superseded since is no chance (FC_SEED=777).
   */
  const currentApprovalCovers = (b: SimBlock, offering: OfferingView, at: number) => {
    const current = approvals.filter((a) => a.blockId === b.id && a.at <= at).at(-1);
    return current !== undefined && approvalCoversOne(current, b, offering, at);
  };

  let steps = 0;
  let faultsLastStep = false;
  const expiredWithChance: string[] = [];
  while (now < t0 + SIM_DAYS * DAY) {
    steps += 1;
    // The schedule runs every minute; quiet stretches are skipped, but the minutes right after a fault
    // (when the extension history may not show a purchase yet) are simulated one by one.
    now += (faultsLastStep ? 1 : 5 + Math.floor(rng() * 36)) * MINUTE;
    for (const b of ec2.tick(now)) {
      const key = `${b.id}@${b.end}`;
      if ((chances.get(key) ?? 0) > 0) expiredWithChance.push(`${key}: ${chances.get(key)} missed fault-free chances`);
      if ((await store.inner.get(b.pk))?.status === "PURCHASE_UNCONFIRMED") stats.expiredAwaitingOperator.push(key);
    }

    // Operators: on an unconfirmed-purchase alert, check EC2 as the alert says and clear the hold if nothing was bought.
    for (const b of ec2.blocks.values()) {
      const record = await store.inner.get(b.pk);
      const intent = record?.intent;
      if (record?.status !== "PURCHASE_UNCONFIRMED" || !intent || rng() >= b.spec.operatorDiligence) continue;
      if (!published.some((p) => p.kind === "PURCHASE_UNCONFIRMED" && p.pk === b.pk && p.message.includes(intent.intentId))) continue;
      const shown = b.extensions.some((e) => e.visibleAt <= now && e.purchasedAt >= Date.parse(intent.startedAt) - 5 * MINUTE);
      if (shown || b.end > Date.parse(intent.forEndDate)) continue;
      try {
        await service.clearUnconfirmedPurchase(b.pk, `arn:aws:iam::123456789012:user/operator-${b.pk}`);
        clearedAt.set(b.id, now);
        stats.cleared += 1;
      } catch {
        // a reconcile wrote first: the operator looks again later
      }
    }

    // People: approve pending proposals, sometimes approve ahead within the cap.
    for (const b of ec2.blocks.values()) {
      if (!b.spec.requireApproval || b.state === "expired") continue;
      const record = await store.inner.get(b.pk);
      const wantsTo =
        (record?.status === "AWAITING_APPROVAL" && rng() < b.spec.diligence) ||
        (b.spec.approveInAdvance && b.spec.cap !== undefined && !record?.approval && rng() < 0.02);
      if (!record || !wantsTo || record.status === "PURCHASING" || record.status === "PURCHASE_UNCONFIRMED") continue;
      try {
        const approved = await service.approve(b.pk, `arn:aws:iam::123456789012:user/approver-${b.pk}`);
        const a = approved.approval;
        if (a)
          approvals.push({
            blockId: b.id,
            at: now,
            maxFee: a.maxFeeUsd,
            hours: a.durationHours,
            forEnd: a.forEndDate ? Date.parse(a.forEndDate) : undefined,
            offeringId: a.offeringId,
          });
      } catch {
        // a concurrent write or nothing to approve: the person tries again later
      }
    }

    const faults: StepFaults =
      rng() < scenario.faultRate
        ? {
            throttleReads: rng() < 0.3,
            throttleOfferings: rng() < 0.4,
            // Weighted towards the ambiguous outcomes: a purchase that went through but whose answer was lost.
            purchase: PURCHASE_FAULTS[Math.floor(rng() * PURCHASE_FAULTS.length)] as StepFaults["purchase"],
            writeConflicts: rng() < 0.4,
            lostWriteReplies: rng() < 0.4,
          }
        : NO_FAULTS;
    ec2.faults = faults;
    store.faults = faults;
    faultsLastStep = anyFault(faults);

    const committedNow = async (): Promise<number> => {
      const month = utcMonthOf(new Date(now));
      let sum = ec2.ledger.filter((p) => utcMonthOf(new Date(p.at)) === month).reduce((total, p) => total + p.fee, 0);
      for (const b of ec2.blocks.values()) {
        for (const pk of [b.pk, `${b.pk}-again`]) {
          const intent = (await store.inner.get(pk))?.intent;
          if (intent && utcMonthOf(intent.startedAt) === month) sum += intent.feeUsd;
        }
      }
      return sum;
    };
    // Ground truth before the run: could the manager buy an allowed offering right now?
    const chancesNow: { id: string; cheapest: number; committedBefore: number }[] = [];
    if (!anyFault(faults)) {
      for (const b of ec2.blocks.values()) {
        if (b.state === "expired" || ec2.pending(b) || now < b.end - b.spec.extendBeforeHours * HOUR) continue;
        const offers = ec2.currentOfferings(b, b.spec.extendByHours);
        const cheapest = Math.min(...offers.map((o) => o.feeUsd as number));
        if (offers.length === 0 || (b.spec.cap !== undefined && cheapest > b.spec.cap)) continue;
        // The manager proposes the cheapest offering; an approval must cover that one.
        const proposed = offers.find((o) => o.feeUsd === cheapest) as OfferingView;
        if (b.spec.requireApproval && !currentApprovalCovers(b, proposed, now)) continue;
        const status = (await store.inner.get(b.pk))?.status;
        // The budget forbids it: what EC2 sold this month, plus intents still open, leaves no room for the fee.
        const committedBefore = await committedNow();
        if (scenario.monthlyBudgetUsd !== undefined && committedBefore + cheapest > scenario.monthlyBudgetUsd) continue;
        // The narrow exclusion: a purchase in flight, or one held for an operator, forbids buying.
        if (status === "PURCHASING" || status === "PURCHASE_UNCONFIRMED") continue;
        chancesNow.push({ id: b.id, cheapest, committedBefore });
      }
    }

    const runs: Promise<unknown>[] = [reconciler.reconcileAll()];
    if (rng() < scenario.concurrencyRate) runs.push(reconciler.reconcileAll());
    if (rng() < scenario.eventRate) {
      const ids = [...ec2.blocks.keys()];
      const id = ids[Math.floor(rng() * ids.length)] as string;
      const b = ec2.blocks.get(id) as SimBlock;
      const staleEnd = b.end - b.spec.extendByHours * HOUR;
      // duplicate and out-of-order: the same event twice, and a warning about an end already extended
      runs.push(
        reconciler.reconcileReservation(id),
        reconciler.reconcileReservation(id),
        reconciler.reconcileReservation(id, { endDate: new Date(staleEnd).toISOString() }),
      );
    }
    stepLines = [];
    const settled = await Promise.allSettled(runs);
    // Each failing record is logged and counted in RecordFailures; a run that cannot read at all throws (the
    // Lambda's Errors metric). Nothing fails silently.
    const failedRecords = stepLines.filter((l) => l["message"] === "record reconcile failed").length;
    recordFailures += failedRecords;
    const counted = stepLines.reduce((sum, l) => sum + Number(l["RecordFailures"] ?? 0), 0);
    const finished = stepLines.filter((l) => l["message"] === "reconcile finished").length;
    const thrown = settled.filter((r) => r.status === "rejected").length;
    if (failedRecords !== counted || finished + thrown !== runs.length) {
      unseenFailures.push(
        `${new Date(now).toISOString()}: ${failedRecords} records failed, ${counted} counted; ${runs.length} runs, ${finished} finished, ${thrown} threw`,
      );
    }
    for (const b of ec2.blocks.values()) {
      for (const pk of [b.pk, `${b.pk}-again`]) {
        const record = await store.inner.get(pk);
        const size = record ? itemSizeBytes(record as unknown as Record<string, unknown>) : 0;
        if (size > RECORD_ITEM_BUDGET_BYTES) oversizedItems.push(`${pk}: ${size} bytes at ${new Date(now).toISOString()}`);
      }
    }
    // A chance is missed when the manager could buy and this step bought nothing for the block.
    for (const { id, cheapest, committedBefore } of chancesNow) {
      if (ec2.ledger.some((p) => p.blockId === id && p.at === now)) continue;
      // Blocks that have a chance at the same step compete for one month's budget: room for each fee alone is not
      // room for all of them (the budget rule counts every purchase of the month, so the manager rightly refuses the
      // second of two $320 fees when $5760 of $6000 is committed). Money the manager spent on other blocks in this
      // very step therefore counts against this block's chance; room it left unused does not excuse a miss.
      if (scenario.monthlyBudgetUsd !== undefined) {
        const month = utcMonthOf(new Date(now));
        const spentOnOthers = ec2.ledger
          .filter((p) => p.at === now && p.blockId !== id && utcMonthOf(new Date(p.at)) === month)
          .reduce((total, p) => total + p.fee, 0);
        if (toCents(committedBefore + spentOnOthers + cheapest) > toCents(scenario.monthlyBudgetUsd)) continue;
      }
      const b = ec2.blocks.get(id) as SimBlock;
      const key = `${b.id}@${b.end}`;
      chances.set(key, (chances.get(key) ?? 0) + 1);
    }
  }

  const violations: Violations = {
    doublePurchases: [],
    unapproved: [],
    aboveCap: [],
    expiredWithChance,
    holdsNotAlerted: [],
    oversizedItems,
    unseenFailures,
    overBudget: [],
    ledgerWithoutPurchase: [],
  };
  if (scenario.monthlyBudgetUsd !== undefined) {
    // Every purchase EC2 made counts in the month it was made, lost replies and timeouts after buying included. A
    // purchase whose payment failed was never charged: it counts only if the manager ledgered it before the failure
    // showed (then the manager keeps counting it, erring low); one it settled as failed frees its room, as EC2 does.
    // A purchase is identified by block and purchase time (the ledger's purchasedAt is EC2's purchase date): a retry
    // after a failed payment buys the same end for the same fee again.
    const ledgeredIds = new Set(spendLedger.all().map((entry) => `${entry.capacityReservationId}@${Date.parse(entry.purchasedAt)}`));
    const byMonth = new Map<string, number>();
    for (const p of ec2.ledger) {
      const charged = p.ext.status !== "payment-failed" || ledgeredIds.has(`${p.blockId}@${p.at}`);
      if (!charged) continue;
      const month = utcMonthOf(new Date(p.at));
      byMonth.set(month, (byMonth.get(month) ?? 0) + Math.round(p.fee * 100));
    }
    for (const [month, cents] of byMonth) {
      if (cents > Math.round(scenario.monthlyBudgetUsd * 100)) violations.overBudget.push(`${month}: ${cents / 100} > ${scenario.monthlyBudgetUsd}`);
    }
  }
  const ledgered = spendLedger.all();
  for (const entry of ledgered) {
    const sold = ec2.ledger.some((p) => p.blockId === entry.capacityReservationId && p.forEnd === Date.parse(entry.startDate) && p.fee === entry.feeUsd);
    if (!sold) violations.ledgerWithoutPurchase.push(`${entry.capacityReservationId} ${entry.intentId}: ${entry.feeUsd}`);
  }
  let refusedByBudget = 0;
  for (const b of ec2.blocks.values()) refusedByBudget += store.inner.allHistory(b.pk).filter((h) => h.kind === "OVER_BUDGET").length;
  for (const b of ec2.blocks.values()) {
    const history = store.inner.allHistory(b.pk);
    for (const held of history.filter((h) => h.kind === "PURCHASE_UNCONFIRMED")) {
      stats.holds += 1;
      const alerts = published.filter((p) => p.kind === "PURCHASE_UNCONFIRMED" && p.pk === b.pk && p.message.includes(`Purchase intent: ${held.intentId}:`));
      const complete = alerts.every(
        (p) =>
          p.message.includes(b.id) &&
          /Deadline: .*\d{4}-\d{2}-\d{2}T/.test(p.message) &&
          p.message.includes("Check: aws ec2 describe-capacity-block-extension-history"),
      );
      // At least once: a write fault can repeat the alert (reminders are ruled out in the domain tests), never lose it.
      if (alerts.length === 0 || !complete)
        violations.holdsNotAlerted.push(`${b.pk} ${held.intentId}: ${alerts.length} alerts${complete ? "" : " (incomplete)"}`);
    }
  }
  for (const [i, p] of ec2.ledger.entries()) {
    const b = ec2.blocks.get(p.blockId) as SimBlock;
    const earlier = ec2.ledger.slice(0, i).filter((q) => q.blockId === p.blockId && q.forEnd === p.forEnd);
    const stillValid = earlier.filter((q) => !(q.ext.status === "payment-failed" && q.ext.settleAt <= p.at));
    if (stillValid.length > 0)
      violations.doublePurchases.push(`${p.blockId} end ${new Date(p.forEnd).toISOString()} bought again at ${new Date(p.at).toISOString()}`);
    if (b.spec.cap !== undefined && p.fee > b.spec.cap) violations.aboveCap.push(`${p.blockId}: ${p.fee} > ${b.spec.cap}`);
    if (b.spec.requireApproval) {
      const previous = Math.max(
        -Infinity,
        ...ec2.ledger
          .slice(0, i)
          .filter((q) => q.blockId === p.blockId)
          .map((q) => q.at),
      );
      const ok = approvals.some(
        (a) =>
          a.blockId === p.blockId &&
          a.at <= p.at &&
          a.at > previous &&
          a.maxFee >= p.fee &&
          a.hours === p.hours &&
          (a.forEnd === undefined || a.forEnd === p.forEnd),
      );
      if (!ok) violations.unapproved.push(`${p.blockId}: ${p.fee} at ${new Date(p.at).toISOString()}`);
    }
  }
  return { ...violations, ...stats, purchases: ec2.ledger.length, steps, recordFailures, refusedByBudget, ledgered: ledgered.length };
}

/** Purchase timeouts that hide whether EC2 bought, with diligent and absent operators and approvers. */
const holdBlock = (overrides: Partial<BlockSpec>): BlockSpec => ({
  requireApproval: false,
  cap: undefined,
  extendBeforeHours: 24,
  extendByHours: 24,
  startOffsetHours: -24,
  durationDays: 2,
  baseFee: 1000,
  feeFactors: [1],
  noOfferingDays: [false],
  diligence: 1,
  approveInAdvance: false,
  trackedTwice: false,
  operatorDiligence: 0,
  ...overrides,
});
const holdScenario = (seed: number): Scenario => ({
  seed,
  blocks: [
    holdBlock({ operatorDiligence: 0 }),
    holdBlock({ operatorDiligence: 0, requireApproval: true, cap: 2000 }),
    holdBlock({ operatorDiligence: 1 }),
    holdBlock({ operatorDiligence: 1, requireApproval: true, cap: 2000, durationDays: 3 }),
    holdBlock({ operatorDiligence: 0.1, startOffsetHours: 12, durationDays: 4, trackedTwice: true }),
    holdBlock({ operatorDiligence: 1, requireApproval: true, diligence: 0.3, durationDays: 5 }),
  ],
  faultRate: 0.4,
  concurrencyRate: 0.2,
  eventRate: 0.2,
  paymentFailureRate: 0,
  monthlyBudgetUsd: 1_000_000,
  t0: T0,
});
// A seed whose run holds purchases, has some cleared and lets a held block expire (seeds 2-11 all do).
const HOLD_SCENARIO = holdScenario(2);

/**
 * FC_SEED=-782860600's counterexample: four daily-extended $320 blocks under a $6,000 budget. On 2026-05-11 two
 * blocks have their chance in the same step with $5,440 committed (one held intent included): room for either fee,
 * not for both. The manager buys one and refuses the other (OVER_BUDGET); the refused block expires, and that is
 * no missed chance.
 */
const sharedBudgetBlock = (overrides: Partial<BlockSpec>): BlockSpec =>
  holdBlock({ extendBeforeHours: 13, startOffsetHours: 0, durationDays: 1, baseFee: 400, feeFactors: [0.8], diligence: 0, ...overrides });
const SHARED_BUDGET_SCENARIO: Scenario = {
  seed: 0,
  blocks: [sharedBudgetBlock({}), sharedBudgetBlock({ extendBeforeHours: 42 }), sharedBudgetBlock({}), sharedBudgetBlock({ durationDays: 4 })],
  faultRate: 0.4,
  concurrencyRate: 0,
  eventRate: 0,
  paymentFailureRate: 0,
  monthlyBudgetUsd: 6_000,
  t0: T0,
};

/**
 * FC_SEED=-1709531884's counterexample: an approval names the $400 offering; a day later EC2 sells the same 24 h for
 * $320 under another offering. The manager asks again (the approval covers the offering it names only); the steps
 * until the approver answers are no chance, and the block that expires meanwhile is no missed chance.
 */
const REPRICED_AFTER_APPROVAL_SCENARIO: Scenario = {
  seed: 0,
  blocks: [
    sharedBudgetBlock({}),
    sharedBudgetBlock({}),
    sharedBudgetBlock({ requireApproval: true, cap: 500, startOffsetHours: 2, feeFactors: [1, 1.5, 0.8], diligence: 0.3 }),
  ],
  faultRate: 0,
  concurrencyRate: 0,
  eventRate: 0,
  paymentFailureRate: 0,
  monthlyBudgetUsd: 2_500,
  t0: T0,
};

describe("money safety over simulated weeks (fast-check)", () => {
  it(`GIVEN random blocks, policies, approvers and faults THEN no double purchase, nothing unapproved or above the cap, no avoidable expiry (${FC_RUNS} runs)`, async () => {
    let totalPurchases = 0;
    let totalLedgered = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const result = await simulate(scenario);
        totalPurchases += result.purchases;
        totalLedgered += result.ledgered;
        expect(result.overBudget).toEqual([]);
        expect(result.ledgerWithoutPurchase).toEqual([]);
        expect(result.doublePurchases).toEqual([]);
        expect(result.unapproved).toEqual([]);
        expect(result.aboveCap).toEqual([]);
        expect(result.expiredWithChance).toEqual([]);
        expect(result.holdsNotAlerted).toEqual([]);
        expect(result.oversizedItems).toEqual([]);
        expect(result.unseenFailures).toEqual([]);
      }),
      // A fixed seed keeps CI reproducible (FC_SEED explores others; FC_RUNS runs more); a failure is reported at once,
      // with its seed and path, instead of after minutes of shrinking (replay with FC_SEED to shrink).
      { numRuns: FC_RUNS, seed: process.env["FC_SEED"] ? Number(process.env["FC_SEED"]) : DEFAULT_SEED, endOnFailure: true },
    );
    // The simulation must actually exercise purchases and the ledger, or the property proves nothing.
    expect(totalPurchases).toBeGreaterThan(0);
    expect(totalLedgered).toBeGreaterThan(0);
  }, 120_000);

  it("GIVEN a budget that a few purchases exhaust, across a month boundary, with timeouts after buying THEN EC2 never sells more per month and the budget refused some", async () => {
    const result = await simulate({ ...holdScenario(3), monthlyBudgetUsd: 3_000, t0: Date.parse("2026-05-24T00:00:00.000Z") });
    expect(result.overBudget).toEqual([]);
    expect(result.ledgerWithoutPurchase).toEqual([]);
    expect(result.doublePurchases).toEqual([]);
    expect(result.unapproved).toEqual([]);
    expect(result.oversizedItems).toEqual([]);
    // The budget was the binding limit, and purchases still went through.
    expect(result.refusedByBudget).toBeGreaterThan(0);
    expect(result.purchases).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it("GIVEN two blocks whose chances fall in one step with room in the budget for only one fee THEN the manager buys one, refuses the other, and neither counts as a missed chance", async () => {
    const result = await simulate(SHARED_BUDGET_SCENARIO);
    expect(result.overBudget).toEqual([]);
    expect(result.ledgerWithoutPurchase).toEqual([]);
    expect(result.doublePurchases).toEqual([]);
    expect(result.expiredWithChance).toEqual([]);
    expect(result.unseenFailures).toEqual([]);
    // The budget was binding: it refused purchases, and EC2 sold exactly as much as fit.
    expect(result.refusedByBudget).toBeGreaterThan(0);
    expect(result.purchases).toBe(17);
  }, 60_000);

  it("GIVEN an approval of an offering that EC2 then sells cheaper under another THEN the manager asks again and the wait is no missed chance", async () => {
    const result = await simulate(REPRICED_AFTER_APPROVAL_SCENARIO);
    expect(result.doublePurchases).toEqual([]);
    expect(result.unapproved).toEqual([]);
    expect(result.aboveCap).toEqual([]);
    expect(result.overBudget).toEqual([]);
    expect(result.expiredWithChance).toEqual([]);
    expect(result.purchases).toBe(7);
  }, 60_000);

  it("GIVEN purchase calls that time out before EC2 bought THEN each is held and alerted, operators clear some, and blocks expire only while held", async () => {
    const result = await simulate(HOLD_SCENARIO);
    expect(result.doublePurchases).toEqual([]);
    expect(result.unapproved).toEqual([]);
    expect(result.aboveCap).toEqual([]);
    expect(result.expiredWithChance).toEqual([]);
    expect(result.holdsNotAlerted).toEqual([]);
    expect(result.oversizedItems).toEqual([]);
    expect(result.unseenFailures).toEqual([]);
    // The fixed scenario exercises every path the exclusion is about, or it proves nothing.
    expect(result.holds).toBeGreaterThan(result.cleared);
    expect(result.cleared).toBeGreaterThan(0);
    expect(result.expiredAwaitingOperator.length).toBeGreaterThan(0);
    // Faults made records fail, so the metric check above had something to check.
    expect(result.recordFailures).toBeGreaterThan(0);
  }, 60_000);
});
