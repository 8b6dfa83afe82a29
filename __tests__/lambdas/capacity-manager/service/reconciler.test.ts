import { describe, expect, it } from "vitest";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import type {
  CapacityRecord,
  ExtensionView,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  ReservationView,
} from "../../../../lambdas/capacity-manager/domain/types";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, NodeGroupScaler, Notifier, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { anExtension, anOffering, aRecord, aReservation, at, HOUR, MINUTE } from "../fixtures";

/** EC2 port with fixed answers; records every purchase and history read. */
class FixedEc2 implements CapacityApi {
  readonly purchases: PurchaseIntent[] = [];
  historyReads = 0;
  /** The answer of the purchase call; EC2 bought unless it is "rejected". */
  purchaseAnswer: PurchaseOutcome = { kind: "purchased" };
  /** How long a purchase takes to show in the extension history (EC2 is eventually consistent). */
  historyLagMs = 0;
  constructor(
    private readonly reservation: ReservationView,
    private readonly extensions: ExtensionView[],
    private readonly offerings: OfferingView[],
    private readonly clock: () => Date = () => new Date(0),
  ) {}
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    return { found: new Map(ids.map((id) => [id, { ...this.reservation, capacityReservationId: id }])), missing: new Set() };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    this.historyReads += 1;
    const now = this.clock().getTime();
    return this.extensions.filter((e) => e.purchaseDate === undefined || Date.parse(e.purchaseDate) + this.historyLagMs <= now);
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return this.offerings;
  }
  async purchaseExtension(_id: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    this.purchases.push(intent);
    if (this.purchaseAnswer.kind !== "rejected") {
      this.extensions.push(anExtension({ offeringId: intent.offeringId, status: "payment-pending", purchaseDate: this.clock().toISOString() }));
    }
    return this.purchaseAnswer;
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
}

interface Setup {
  readonly records: CapacityRecord[];
  readonly ec2: FixedEc2;
  readonly clock: () => Date;
  readonly notifier?: Notifier;
  readonly scaler?: NodeGroupScaler;
  readonly extensionsEnabled?: boolean;
}

async function reconcilerFor(setup: Setup): Promise<{ reconciler: Reconciler; store: InMemoryRecordStore; lines: Record<string, unknown>[] }> {
  const store = new InMemoryRecordStore();
  for (const record of setup.records) await store.create(record);
  const lines: Record<string, unknown>[] = [];
  const reconciler = new Reconciler({
    store,
    ec2: setup.ec2,
    notifier: setup.notifier,
    scaler: setup.scaler ?? { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
    logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    clock: setup.clock,
    concurrency: 4,
    ...(setup.extensionsEnabled !== undefined ? { extensionsEnabled: setup.extensionsEnabled } : {}),
  });
  return { reconciler, store, lines };
}

describe("Reconciler: one instant per run", () => {
  it("GIVEN the clock crosses into the purchase window during the run THEN the record is decided at the run's instant, never bought without its history", async () => {
    // Someone already bought an extension by hand (payment-pending): buying now would be a second purchase.
    let tick = 0;
    const clock = () => new Date(at(24 * HOUR + 30_000).getTime() + MINUTE * tick++);
    const ec2 = new FixedEc2(aReservation(), [anExtension({ status: "payment-pending", purchaseDate: at(30 * HOUR).toISOString() })], [anOffering()], clock);
    const { reconciler, store } = await reconcilerFor({ records: [aRecord({ extendBeforeHours: 24 })], ec2, clock });
    await reconciler.reconcileAll();
    expect(ec2.purchases).toEqual([]);
    expect((await store.get("env-123"))?.status).toBe("TRACKING");
    // The next run is inside the window: it reads the history and waits for the pending extension.
    await reconciler.reconcileAll();
    expect(ec2.historyReads).toBe(1);
    expect(ec2.purchases).toEqual([]);
    expect((await store.get("env-123"))?.status).toBe("EXTENSION_PENDING");
  });
});

describe("Reconciler: a purchase whose answer was lost", () => {
  it("GIVEN it timed out after EC2 bought and the history shows it only 10 minutes later THEN runs every minute never buy again", async () => {
    let now = at(20 * HOUR);
    const clock = () => now;
    const ec2 = new FixedEc2(aReservation(), [], [anOffering()], clock);
    ec2.purchaseAnswer = { kind: "unknown", message: "TimeoutError: socket hang up" };
    ec2.historyLagMs = 10 * MINUTE;
    const { reconciler, store } = await reconcilerFor({ records: [aRecord()], ec2, clock });
    for (let minute = 0; minute < 20; minute++) {
      await reconciler.reconcileAll();
      if (minute === 0) ec2.purchaseAnswer = { kind: "purchased" };
      now = new Date(now.getTime() + MINUTE);
    }
    expect(ec2.purchases).toHaveLength(1);
    const record = await store.get("env-123");
    expect(record?.status).toBe("EXTENSION_PENDING");
    expect(store.allHistory("env-123").map((h) => h.kind)).toEqual(["PURCHASE_STARTED", "PURCHASE_OUTCOME_UNKNOWN", "PURCHASE_CONFIRMED"]);
  });
});

describe("Reconciler: two records tracking one reservation", () => {
  it("GIVEN two records for the same reservation in their window THEN only the older one buys; the other is DUPLICATE", async () => {
    const ec2 = new FixedEc2(aReservation(), [], [anOffering()]);
    const older = aRecord({ PK: "env-b", createdAt: "2026-02-01T00:00:00.000Z" });
    const newer = aRecord({ PK: "env-a", createdAt: "2026-02-02T00:00:00.000Z" });
    const { reconciler, store } = await reconcilerFor({ records: [newer, older], ec2, clock: () => at(20 * HOUR) });
    const summary = await reconciler.reconcileAll();
    expect(summary).toMatchObject({ records: 2, failures: 0, purchases: 1 });
    expect(ec2.purchases).toHaveLength(1);
    expect((await store.get("env-b"))?.status).toBe("EXTENSION_PENDING");
    expect((await store.get("env-a"))?.status).toBe("DUPLICATE");
    // The event path sees the same two records and picks the same owner.
    await reconciler.reconcileReservation(older.capacityReservationId);
    expect(ec2.purchases).toHaveLength(1);
  });
});

describe("Reconciler: notifications", () => {
  const approvalRecord = () => aRecord({ requireApproval: true, nodeGroup: { clusterName: "prod", nodegroupName: "p5-a", desiredSize: 4 } });

  it("GIVEN SNS fails once THEN the failure is counted on the mark and the retry a minute later sends the request, once", async () => {
    const sent: string[] = [];
    let failures = 1;
    const notifier: Notifier = {
      publish: async (subject) => {
        if (failures-- > 0) throw Object.assign(new Error("SNS unavailable"), { name: "InternalErrorException" });
        sent.push(subject);
      },
    };
    let now = at(40 * HOUR);
    const { reconciler, store, lines } = await reconcilerFor({
      records: [approvalRecord()],
      ec2: new FixedEc2(aReservation(), [], [anOffering()]),
      clock: () => now,
      notifier,
    });
    await reconciler.reconcileAll();
    expect(sent).toEqual([]);
    expect((await store.get("env-123"))?.notifications?.APPROVAL_REQUEST).toMatchObject({
      failedAttempts: 1,
      retryAt: new Date(now.getTime() + MINUTE).toISOString(),
    });
    expect(lines.find((l) => l["message"] === "notification failed")).toMatchObject({ PK: "env-123", notification: "APPROVAL_REQUEST", failedAttempts: 1 });
    now = new Date(now.getTime() + MINUTE);
    await reconciler.reconcileAll();
    now = new Date(now.getTime() + MINUTE);
    await reconciler.reconcileAll();
    expect(sent).toEqual(["Approve extension of capacity block cr-0123456789abcdef0"]);
    expect((await store.get("env-123"))?.status).toBe("AWAITING_APPROVAL");
    expect((await store.get("env-123"))?.notifications?.APPROVAL_REQUEST?.failedAttempts).toBeUndefined();
  });

  it("GIVEN the node group call fails THEN the approval request of the same decision is still sent and the record counts as failed", async () => {
    const sent: string[] = [];
    const notifier: Notifier = { publish: async (subject) => void sent.push(subject) };
    const scaler: NodeGroupScaler = {
      ensureDesiredSize: async () => {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      },
    };
    const { reconciler } = await reconcilerFor({
      records: [approvalRecord()],
      ec2: new FixedEc2(aReservation(), [], [anOffering()]),
      clock: () => at(40 * HOUR),
      notifier,
      scaler,
    });
    const summary = await reconciler.reconcileAll();
    expect(summary.failures).toBe(1);
    expect(sent).toEqual(["Approve extension of capacity block cr-0123456789abcdef0"]);
  });
});

describe("Reconciler: tracking mode", () => {
  it("GIVEN extensionsEnabled false and a block inside its purchase window THEN nothing is bought and the record says tracking mode", async () => {
    const clock = () => at(20 * HOUR);
    const ec2 = new FixedEc2(aReservation(), [], [anOffering()], clock);
    const { reconciler, store } = await reconcilerFor({ records: [aRecord()], ec2, clock, extensionsEnabled: false });
    const summary = await reconciler.reconcileAll();
    expect(ec2.purchases).toEqual([]);
    expect(summary.purchases).toBe(0);
    expect(summary.expiringWithoutExtension).toBe(1);
    expect((await store.get("env-123"))?.statusReason).toMatch(/^tracking mode/);
    // The same setup with purchasing on buys: the switch is what stopped it.
    const on = await reconcilerFor({ records: [aRecord()], ec2, clock, extensionsEnabled: true });
    await on.reconciler.reconcileAll();
    expect(ec2.purchases).toHaveLength(1);
  });
});
