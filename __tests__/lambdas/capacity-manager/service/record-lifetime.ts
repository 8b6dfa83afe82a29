/**
 * Drives one record through years of daily life with fake time: every day EC2 sells a 24 h extension, the
 * manager asks for approval, reminds, an approver approves (PATCH), the manager buys, payment settles and the
 * end moves; the owner PUTs a change every day; SNS refuses a publish now and then. Used to hold the record
 * item to its size budget on any store.
 */
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { creationEntry, newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import type {
  CapacityRecord,
  ExtensionView,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  ReservationView,
} from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, Notifier, RecordStore, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { RecordsService } from "../../../../lambdas/capacity-manager/service/records-service";
import { aSpec } from "../fixtures";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const LIFETIME_START = Date.parse("2026-01-05T00:00:00.000Z");
const RESERVATION = "cr-0fedcba9876543210";
/** A long PK and node group link: the record's own fields as large as people make them. */
export const LIFETIME_PK = `ml-training-cluster-${"x".repeat(40)}-p5-block-eu-west-1`;

/** EC2 for one block: a 24 h offering every day (its fee drifts), purchases settle an hour later. */
class OneBlockEc2 implements CapacityApi {
  end: number;
  readonly extensions: (ExtensionView & { settleAt: number })[] = [];
  purchases = 0;
  constructor(private readonly clock: () => number) {
    this.end = LIFETIME_START + 3 * DAY;
  }
  settle(): void {
    for (const e of this.extensions) {
      if (e.status === "payment-pending" && e.settleAt <= this.clock()) {
        (e as { status: string }).status = "payment-succeeded";
        this.end += (e.durationHours ?? 24) * HOUR;
      }
    }
    // EC2 keeps every extension; only the recent ones matter to the manager (and keep the simulation fast).
    while (this.extensions.length > 10) this.extensions.shift();
  }
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    const view: ReservationView = {
      capacityReservationId: RESERVATION,
      state: "active",
      reservationType: "capacity-block",
      startDate: new Date(LIFETIME_START).toISOString(),
      endDate: new Date(this.end).toISOString(),
      instanceType: "p5.48xlarge",
      availabilityZone: "eu-west-1a",
      instanceCount: 8,
      tenancy: "default",
      platform: "Linux/UNIX",
    };
    return { found: new Map(ids.map((id) => [id, view])), missing: new Set() };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    return this.extensions.map(({ settleAt: _s, ...e }) => e);
  }
  async describeExtensionOfferings(_id: string, hours: number): Promise<OfferingView[]> {
    const day = Math.floor((this.clock() - LIFETIME_START) / DAY);
    const fee = 24_000 + (day % 7) * 1_000.55;
    return [
      {
        offeringId: `cbeo-${day.toString(16).padStart(17, "0")}`,
        durationHours: hours,
        feeUsd: fee,
        currency: "USD",
        startDate: new Date(this.end).toISOString(),
        endDate: new Date(this.end + hours * HOUR).toISOString(),
      },
    ];
  }
  async purchaseExtension(_id: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    this.purchases += 1;
    const now = this.clock();
    const extension: ExtensionView & { settleAt: number } = {
      capacityReservationId: RESERVATION,
      offeringId: intent.offeringId,
      status: "payment-pending",
      durationHours: intent.durationHours,
      purchaseDate: new Date(now).toISOString(),
      startDate: new Date(this.end).toISOString(),
      endDate: new Date(this.end + intent.durationHours * HOUR).toISOString(),
      feeUsd: intent.feeUsd,
      settleAt: now + HOUR,
    };
    this.extensions.push(extension);
    const { settleAt: _s, ...view } = extension;
    return { kind: "purchased", extension: view };
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
}

export interface LifetimeResult {
  readonly days: number;
  readonly purchases: number;
  readonly approvals: number;
  readonly puts: number;
  readonly publishes: number;
  readonly refusedPublishes: number;
  /** Largest record item seen after any step, as `measure` reports it. */
  readonly largestItem: number;
  readonly largestAt: string;
}

/**
 * Runs the record for `days` days in 3-hour steps. `measure` returns the record item's size in bytes after
 * each step (from the store's own item).
 */
export async function liveForDays(store: RecordStore, days: number, measure: (pk: string) => Promise<number>): Promise<LifetimeResult> {
  let now = LIFETIME_START;
  const clock = () => new Date(now);
  const ec2 = new OneBlockEc2(() => now);
  let publishes = 0;
  let refusedPublishes = 0;
  const notifier: Notifier = {
    publish: async () => {
      publishes += 1;
      // Every 40th publish is refused: the retry bookkeeping must stay bounded too.
      if (publishes % 40 === 0) {
        refusedPublishes += 1;
        throw Object.assign(new Error("KMS key is disabled"), { name: "KMSDisabledException" });
      }
    },
  };
  const reconciler = new Reconciler({
    store,
    ec2,
    notifier,
    scaler: { ensureDesiredSize: async () => ({ changed: true, previous: 0 }) },
    logger: createLogger(() => undefined),
    clock,
    concurrency: 1,
    ledger: new InMemorySpendLedger(),
  });
  const service = new RecordsService({ store, ec2, clock });
  const spec = aSpec({
    PK: LIFETIME_PK,
    capacityReservationId: RESERVATION,
    requireApproval: true,
    extendBeforeHours: 24,
    extendByHours: 24,
    nodeGroup: { clusterName: "ml-training-cluster-eu-west-1", nodegroupName: "p5-capacity-block-eu-west-1a-primary", desiredSize: 8 },
  });
  await store.create(newRecord(spec, clock(), "CREATED"), [creationEntry(clock(), "CREATED", "arn:aws:iam::123456789012:role/platform-operators")]);
  let approvals = 0;
  let puts = 0;
  let seenAwaiting = 0;
  let largestItem = 0;
  let largestAt = "";
  const approver = "arn:aws:iam::123456789012:assumed-role/finance-approvers/someone.with.a.long.name@example.com";
  for (let step = 0; step < days * 8; step++) {
    now += 3 * HOUR;
    ec2.settle();
    await reconciler.reconcileAll();
    const record = (await store.get(LIFETIME_PK)) as CapacityRecord;
    if (record.status === "AWAITING_APPROVAL") {
      // Approve at the second look: the first request and a reminder have gone out.
      seenAwaiting += 1;
      if (seenAwaiting >= 2) {
        await service.approve(LIFETIME_PK, approver);
        approvals += 1;
        seenAwaiting = 0;
      }
    }
    if (step % 8 === 5) {
      await service.update(LIFETIME_PK, { instanceCount: 8 + (step % 3), platform: "Linux/UNIX" }, "arn:aws:iam::123456789012:role/platform-operators");
      puts += 1;
    }
    const size = await measure(LIFETIME_PK);
    if (size > largestItem) {
      largestItem = size;
      largestAt = new Date(now).toISOString();
    }
  }
  return { days, purchases: ec2.purchases, approvals, puts, publishes, refusedPublishes, largestItem, largestAt };
}
