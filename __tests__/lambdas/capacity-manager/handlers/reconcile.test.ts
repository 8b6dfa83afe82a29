import { DescribeCapacityReservationsCommand, PurchaseCapacityBlockExtensionCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { METRIC_NAMESPACE, METRICS } from "../../../../lambdas/capacity-manager/contract/metrics";
import { creationEntry, newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import type { RecordSpec } from "../../../../lambdas/capacity-manager/domain/types";
import { createApiHandler } from "../../../../lambdas/capacity-manager/handlers/api";
import { createReconcileHandler, parseReconcileEvent } from "../../../../lambdas/capacity-manager/handlers/reconcile";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";
import { type LocalDynamo, startDynalite } from "../dynalite";
import { aSpec, END, HOUR, MINUTE } from "../fixtures";
import { apiEvent, createHarness, type FakeBlock, type FakeEc2, type Harness, installFakeEc2, metricLines } from "./harness";

let dynamo: LocalDynamo;
let tableCounter = 0;
let h: Harness;
let ec2: FakeEc2;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(async () => {
  tableCounter += 1;
  const table = `reconcile-${tableCounter}`;
  await dynamo.createTable(table);
  h = createHarness(dynamo, table, new Date(END.getTime() - 20 * HOUR));
  ec2 = installFakeEc2(h);
});

const SCHEDULE = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };
const crId = (n: number) => `cr-0${n.toString(16).padStart(16, "0")}`;

async function track(n: number, overrides: Partial<RecordSpec> = {}, block: Partial<FakeBlock> = {}) {
  const id = crId(n);
  ec2.blocks.set(id, { state: "active", end: END, offerings: [{ id: `cbeo-${n}`, fee: "1000.00" }], ...block });
  // Typed-in dates and count that are wrong on purpose: the reconcile takes them from EC2.
  const spec = aSpec({
    PK: `rec-${n}`,
    capacityReservationId: id,
    startDate: "2020-01-01T00:00:00.000Z",
    endDate: "2030-01-01T00:00:00.000Z",
    instanceCount: 8,
    ...overrides,
  });
  await h.store.create(newRecord(spec, h.now, "CREATED"), [creationEntry(h.now, "CREATED")]);
  return spec.PK;
}

/** Makes two concurrent runs read their records before either writes: EC2 answers once both have asked. */
function answerDescribeOnceBothAsked(): void {
  let release = () => {};
  const bothAsked = new Promise<void>((resolve) => (release = resolve));
  let asked = 0;
  h.ec2Read.on(DescribeCapacityReservationsCommand).callsFake(async (input: { CapacityReservationIds: string[] }) => {
    if (++asked === 2) release();
    await bothAsked;
    return {
      CapacityReservations: input.CapacityReservationIds.map((id) => ({
        CapacityReservationId: id,
        State: "active",
        ReservationType: "capacity-block",
        EndDate: ec2.blocks.get(id)?.end,
      })),
    };
  });
}

function handlerFor(reconciler: Reconciler) {
  return createReconcileHandler(() => ({ reconciler, logger: h.logger }));
}

describe("reconcile on the schedule", () => {
  it("GIVEN an auto-extend block in its window THEN it buys once, refreshes dates from EC2 and never buys again", async () => {
    await track(1);
    const handler = handlerFor(h.reconciler());
    expect(await handler(SCHEDULE)).toEqual({ records: 1, failures: 0, purchases: 1, expiringWithoutExtension: 0 });
    h.now = new Date(h.now.getTime() + MINUTE);
    await handler(SCHEDULE);
    h.now = new Date(h.now.getTime() + 10 * MINUTE);
    await handler(SCHEDULE);
    expect(ec2.purchases).toBe(1);
    const record = await h.store.get("rec-1");
    expect(record?.status).toBe("EXTENSION_PENDING");
    expect(record?.endDate).toBe(END.toISOString());
    expect((await h.history("rec-1")).map((e) => e.kind)).toEqual(["CREATED", "PURCHASE_STARTED", "PURCHASED"]);
    expect((await h.history("rec-1"))[2]).toMatchObject({ offeringId: "cbeo-1", feeUsd: 1000 });
  });

  it("GIVEN a record whose reservation EC2 does not know THEN it is marked NOT_FOUND and the others proceed", async () => {
    await track(1);
    await track(2);
    ec2.blocks.delete(crId(2));
    await handlerFor(h.reconciler())(SCHEDULE);
    expect((await h.store.get("rec-2"))?.status).toBe("NOT_FOUND");
    expect((await h.store.get("rec-1"))?.status).toBe("EXTENSION_PENDING");
    expect(h.published.map((p) => p.attributes["kind"])).toContain("NOT_FOUND");
  });

  it("GIVEN approval is required THEN one request, an approval through the API, then the purchase records the approver", async () => {
    await track(1, { requireApproval: true });
    const reconciler = h.reconciler();
    await reconciler.reconcileAll();
    h.now = new Date(h.now.getTime() + MINUTE);
    await reconciler.reconcileAll();
    expect(ec2.purchases).toBe(0);
    expect(h.published.filter((p) => p.attributes["kind"] === "APPROVAL_REQUEST")).toHaveLength(1);
    expect(h.published[0]?.message).toContain("$1000.00");
    expect((await h.store.get("rec-1"))?.status).toBe("AWAITING_APPROVAL");
    await h.service().approve("rec-1", "arn:aws:iam::123456789012:user/finance");
    await reconciler.reconcileAll();
    expect(ec2.purchases).toBe(1);
    const history = await h.history("rec-1");
    expect(history.find((e) => e.kind === "PURCHASED")?.approvedBy).toBe("arn:aws:iam::123456789012:user/finance");
  });

  it("GIVEN approval is required and no topic THEN nothing is bought and the record says why", async () => {
    await track(1, { requireApproval: true });
    await h.reconciler({ notifications: false }).reconcileAll();
    const record = await h.store.get("rec-1");
    expect(ec2.purchases).toBe(0);
    expect(record?.status).toBe("AWAITING_APPROVAL");
    expect(record?.statusReason).toContain("no SNS topic is configured");
  });

  it("GIVEN the purchase times out after EC2 bought THEN the record stays PURCHASING and the next runs confirm from history without buying again", async () => {
    await track(1);
    ec2.purchaseFault = { afterBuying: true, error: Object.assign(new Error("socket timeout"), { name: "TimeoutError" }) };
    const reconciler = h.reconciler();
    await reconciler.reconcileAll();
    expect((await h.store.get("rec-1"))?.status).toBe("PURCHASING");
    ec2.purchaseFault = undefined;
    for (let i = 0; i < 20; i++) {
      h.now = new Date(h.now.getTime() + MINUTE);
      await reconciler.reconcileAll();
    }
    expect(ec2.purchases).toBe(1);
    expect(h.ec2Purchase.commandCalls(PurchaseCapacityBlockExtensionCommand)).toHaveLength(1);
    const record = await h.store.get("rec-1");
    expect(record?.status).toBe("EXTENSION_PENDING");
    expect((await h.history("rec-1")).map((e) => e.kind)).toEqual(["CREATED", "PURCHASE_STARTED", "PURCHASE_OUTCOME_UNKNOWN", "PURCHASE_CONFIRMED"]);
  });

  it("GIVEN two reconciles at once THEN only the winner of the conditional write buys", async () => {
    await track(1);
    await track(2);
    answerDescribeOnceBothAsked();
    const [a, b] = await Promise.all([h.reconciler().reconcileAll(), h.reconciler().reconcileAll()]);
    expect(ec2.purchases).toBe(2);
    expect(a.purchases + b.purchases).toBe(2);
    expect(a.failures + b.failures).toBe(2);
    expect(metricLines(h.lines).reduce((sum, l) => sum + Number(l[METRICS.WriteConflicts] ?? 0), 0)).toBe(2);
  });

  it("GIVEN an EC2 event and the schedule reconciling the same block at once THEN one purchase, the loser counts a write conflict", async () => {
    await track(1);
    answerDescribeOnceBothAsked();
    const event = { source: "aws.ec2", "detail-type": "EC2 Capacity Reservation Active", detail: { "capacity-reservation-id": crId(1), state: "active" } };
    const [scheduled, onEvent] = await Promise.all([handlerFor(h.reconciler())(SCHEDULE), handlerFor(h.reconciler())(event)]);
    expect(ec2.purchases).toBe(1);
    expect([scheduled, onEvent].map((s) => ("purchases" in s ? s.purchases : -1)).sort()).toEqual([0, 1]);
    expect([scheduled, onEvent].map((s) => ("failures" in s ? s.failures : -1)).sort()).toEqual([0, 1]);
    expect((await h.history("rec-1")).filter((e) => e.kind === "PURCHASE_STARTED")).toHaveLength(1);
  });

  it("GIVEN one record's EC2 call is throttled THEN it is logged and counted, the others are reconciled and the run succeeds", async () => {
    await track(1);
    await track(2);
    ec2.offeringsFault = {
      id: crId(1),
      error: Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } }),
    };
    const summary = await handlerFor(h.reconciler())(SCHEDULE);
    expect(summary).toMatchObject({ records: 2, failures: 1, purchases: 1 });
    const failureLog = h.lines.find((l) => l["message"] === "record reconcile failed");
    expect(failureLog).toMatchObject({ PK: "rec-1", capacityReservationId: crId(1), errorName: "RequestLimitExceeded" });
    const metrics = metricLines(h.lines).at(-1) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
    };
    expect(metrics._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRIC_NAMESPACE);
    expect(metrics[METRICS.RecordFailures]).toBe(1);
    expect(metrics._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toContain(METRICS.ExpiringWithoutExtension);
  });

  it("GIVEN a block ending within 24 h with no offering THEN ExpiringWithoutExtension counts it", async () => {
    await track(1, {}, { offerings: [] });
    const summary = await h.reconciler().reconcileAll();
    expect(summary.expiringWithoutExtension).toBe(1);
    expect(metricLines(h.lines).at(-1)?.[METRICS.ExpiringWithoutExtension]).toBe(1);
    expect(h.published.map((p) => p.attributes["kind"]).sort()).toEqual(["EXPIRING", "GAP", "NO_OFFERING"]);
  });

  it("fails (throws) when the table cannot be read at all", async () => {
    const broken = new Reconciler({
      store: new DynamoRecordStore(createDocumentClient(dynamo.client), "no-such-table", "no-such-journal"),
      ec2: { describeReservations: async () => ({ found: new Map(), missing: new Set() }) } as never,
      notifier: undefined,
      scaler: { ensureDesiredSize: async () => ({ changed: false, previous: 0 }) },
      logger: h.logger,
      clock: () => h.now,
      concurrency: 1,
    });
    await expect(handlerFor(broken)(SCHEDULE)).rejects.toThrow(/non-existent table|not found/i);
  });

  it("GIVEN a linked node group and an active block THEN it is scaled to the desired size", async () => {
    await track(1, { nodeGroup: { clusterName: "prod", nodegroupName: "p5-a", desiredSize: 4 } });
    await h.reconciler().reconcileAll();
    expect(h.scaled).toEqual([{ nodegroupName: "p5-a", desiredSize: 4 }]);
    const record = await h.store.get("rec-1");
    expect(record?.nodeGroupAppliedSize).toBe(4);
    expect(record?.nodeGroupScaleDownAt).toBe(new Date(END.getTime() - 40 * MINUTE).toISOString());
  });
});

describe("reconcile after a purchase whose outcome stayed unknown", () => {
  const timeout = () => Object.assign(new Error("socket timeout"), { name: "TimeoutError" });
  const runEveryMinute = async (minutes: number) => {
    const reconciler = h.reconciler();
    for (let i = 0; i < minutes; i++) {
      h.now = new Date(h.now.getTime() + MINUTE);
      await reconciler.reconcileAll();
    }
  };
  const alerts = () => h.published.filter((p) => p.attributes["kind"] === "PURCHASE_UNCONFIRMED");
  const heldNow = () => metricLines(h.lines).at(-1)?.[METRICS.PurchasesUnconfirmed];

  it("GIVEN EC2 bought but its extension history lags past 15 minutes THEN the block is held and alerted once, never bought again, and confirmed when EC2 shows it", async () => {
    await track(1);
    ec2.purchaseFault = { afterBuying: true, error: timeout() };
    await h.reconciler().reconcileAll();
    ec2.purchaseFault = undefined;
    const lagging = ec2.extensions.splice(0);
    await runEveryMinute(40);
    expect(ec2.purchases).toBe(1);
    const held = await h.store.get("rec-1");
    expect(held?.status).toBe("PURCHASE_UNCONFIRMED");
    expect(held?.intent?.offeringId).toBe("cbeo-1");
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]?.message).toContain(`Purchase intent: ${held?.intent?.intentId}:`);
    expect(heldNow()).toBe(1);
    ec2.extensions.push(...lagging);
    await runEveryMinute(1);
    expect(heldNow()).toBe(0);
    const confirmed = await h.store.get("rec-1");
    expect(confirmed?.status).toBe("EXTENSION_PENDING");
    expect((await h.history("rec-1")).map((e) => e.kind)).toEqual([
      "CREATED",
      "PURCHASE_STARTED",
      "PURCHASE_OUTCOME_UNKNOWN",
      "PURCHASE_UNCONFIRMED",
      "PURCHASE_CONFIRMED",
    ]);
    expect(ec2.purchases).toBe(1);
  });

  it("GIVEN the history lags but DescribeCapacityReservations shows the end moved THEN the purchase is confirmed from the end date, not bought again", async () => {
    await track(1);
    ec2.purchaseFault = { afterBuying: true, error: timeout() };
    await h.reconciler().reconcileAll();
    ec2.purchaseFault = undefined;
    ec2.extensions.splice(0);
    (ec2.blocks.get(crId(1)) as FakeBlock).end = new Date(END.getTime() + 24 * HOUR);
    await runEveryMinute(30);
    expect(ec2.purchases).toBe(1);
    const record = await h.store.get("rec-1");
    expect(record?.status).toBe("TRACKING");
    expect(record?.lastExtension).toMatchObject({ forEndDate: END.toISOString(), offeringId: "cbeo-1" });
    expect((await h.history("rec-1")).map((e) => e.kind)).toEqual(["CREATED", "PURCHASE_STARTED", "PURCHASE_OUTCOME_UNKNOWN", "PURCHASE_CONFIRMED"]);
    expect(alerts()).toEqual([]);
  });

  it("GIVEN EC2 never bought THEN the block stays held for hours without reminders, cannot be deleted, and after an approver clears it (PATCH) it is bought once", async () => {
    await track(1);
    ec2.purchaseFault = { afterBuying: false, error: timeout() };
    await h.reconciler().reconcileAll();
    ec2.purchaseFault = undefined;
    await runEveryMinute(20);
    for (let hour = 0; hour < 7; hour++) {
      h.now = new Date(h.now.getTime() + HOUR);
      await h.reconciler().reconcileAll();
    }
    expect(ec2.purchases).toBe(0);
    expect(h.ec2Purchase.commandCalls(PurchaseCapacityBlockExtensionCommand)).toHaveLength(1);
    expect((await h.store.get("rec-1"))?.status).toBe("PURCHASE_UNCONFIRMED");
    expect(alerts()).toHaveLength(1);
    await expect(h.service().remove("rec-1")).rejects.toMatchObject({ code: "PURCHASE_UNCONFIRMED" });

    const api = createApiHandler(() => ({ service: h.service(), config: h.config, logger: h.logger }));
    const cleared = await api(
      apiEvent("PATCH", "/{PK}", { pk: "rec-1", body: { clearUnconfirmedPurchase: true }, userArn: "arn:aws:iam::123456789012:user/ops-approver" }),
    );
    expect(cleared.statusCode).toBe(200);
    await runEveryMinute(3);
    expect(ec2.purchases).toBe(1);
    const record = await h.store.get("rec-1");
    expect(record?.status).toBe("EXTENSION_PENDING");
    expect((await h.history("rec-1")).map((e) => e.kind)).toEqual([
      "CREATED",
      "PURCHASE_STARTED",
      "PURCHASE_OUTCOME_UNKNOWN",
      "PURCHASE_UNCONFIRMED",
      "UNCONFIRMED_PURCHASE_CLEARED",
      "PURCHASE_STARTED",
      "PURCHASED",
    ]);
  });
});

describe("reconcile on EC2 events", () => {
  const warning = (id: string, end: Date) => ({
    source: "aws.ec2",
    "detail-type": "Capacity Block Expiration Warning",
    resources: [`arn:aws:ec2:us-east-1:123456789012:capacity-reservation/${id}`],
    detail: { "capacity-reservation-id": id, "end-date": end.toISOString() },
  });

  it("GIVEN an expiration warning for a tracked block THEN it is marked EXPIRING and alerted, once even if the event repeats", async () => {
    await track(1, {}, { offerings: [] });
    h.now = new Date(END.getTime() - 40 * MINUTE);
    const handler = handlerFor(h.reconciler());
    await handler(warning(crId(1), END));
    await handler(warning(crId(1), END));
    expect((await h.store.get("rec-1"))?.status).toBe("EXPIRING");
    expect(h.published.filter((p) => p.attributes["kind"] === "EXPIRING")).toHaveLength(1);
  });

  it("GIVEN an event for an untracked reservation THEN nothing happens", async () => {
    expect(await handlerFor(h.reconciler())(warning(crId(9), END))).toEqual({ records: 0, failures: 0, purchases: 0, expiringWithoutExtension: 0 });
  });

  it.each([
    ["a schedule", SCHEDULE, { kind: "all" }],
    [
      "a state change",
      { source: "aws.ec2", "detail-type": "EC2 Capacity Reservation Active", detail: { "capacity-reservation-id": "cr-0123456789abcdef0", state: "active" } },
      { kind: "reservation", capacityReservationId: "cr-0123456789abcdef0" },
    ],
    [
      "a delivered block (id only in resources)",
      {
        source: "aws.ec2",
        "detail-type": "Capacity Block Reservation Delivered",
        resources: ["arn:aws:ec2:us-east-1:1:capacity-reservation/cr-0123456789abcdef0"],
        detail: {},
      },
      { kind: "reservation", capacityReservationId: "cr-0123456789abcdef0" },
    ],
    [
      "an expiration warning",
      warning("cr-0123456789abcdef0", END),
      { kind: "reservation", capacityReservationId: "cr-0123456789abcdef0", expirationWarning: { endDate: END.toISOString() } },
    ],
  ])("parses %s", (_name, event, expected) => {
    expect(parseReconcileEvent(event)).toEqual(expected);
  });

  it.each([
    ["an S3 event", { source: "aws.s3", "detail-type": "Object Created" }],
    ["an unrelated EC2 event", { source: "aws.ec2", "detail-type": "EC2 Instance State-change Notification", detail: {} }],
    [
      "an interruption warning naming no reservation",
      { source: "aws.ec2", "detail-type": "EC2 Capacity Reservation Instance Interruption Warning", detail: { "instance-id": "i-1" } },
    ],
    ["not an object", "hello"],
  ])("ignores %s", (_name, event) => {
    expect(parseReconcileEvent(event).kind).toBe("ignored");
  });
});

describe("reconcile when the extension history cannot be read", () => {
  it("GIVEN DescribeCapacityBlockExtensionHistory fails THEN records that need it fail (no purchase) and the others are reconciled", async () => {
    const { DescribeCapacityBlockExtensionHistoryCommand } = await import("@aws-sdk/client-ec2");
    await track(1);
    await track(2, {}, { end: new Date(END.getTime() + 30 * 24 * HOUR) });
    h.ec2Read
      .on(DescribeCapacityBlockExtensionHistoryCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } }));
    const summary = await h.reconciler().reconcileAll();
    expect(summary).toMatchObject({ records: 2, failures: 1, purchases: 0 });
    expect(ec2.purchases).toBe(0);
    expect((await h.store.get("rec-2"))?.endDate).toBe(new Date(END.getTime() + 30 * 24 * HOUR).toISOString());
  });
});

describe("reconcile while the topic refuses every publish", () => {
  const kmsDisabled = () => Object.assign(new Error("KMS key is disabled"), { name: "KMSDisabledException", $metadata: { httpStatusCode: 400 } });
  const sum = (name: string) => metricLines(h.lines).reduce((total, l) => total + Number(l[name] ?? 0), 0);

  it("GIVEN an approval request SNS refuses for two hours THEN it is one request in the history, retried with growing delays, and every refusal is counted", async () => {
    await track(1, { requireApproval: true });
    h.publishFault = kmsDisabled();
    const reconciler = h.reconciler();
    for (let minute = 0; minute < 120; minute++) {
      await reconciler.reconcileAll();
      h.now = new Date(h.now.getTime() + MINUTE);
    }
    const history = await h.history("rec-1");
    expect(history.filter((e) => e.kind === "APPROVAL_REQUESTED")).toHaveLength(1);
    const attempts = h.publishAttempts
      .filter((a) => a.kind === "APPROVAL_REQUEST")
      .map((a) => (a.at.getTime() - (h.publishAttempts[0]?.at.getTime() ?? 0)) / MINUTE);
    // 1, 2, 4, 8, 16 minutes apart, then every 30 minutes.
    expect(attempts).toEqual([0, 1, 3, 7, 15, 31, 61, 91]);
    // The block also ends within 24 h: its EXPIRING alert is refused and retried the same way.
    expect(h.publishAttempts.filter((a) => a.kind === "EXPIRING")).toHaveLength(attempts.length);
    expect(sum(METRICS.NotificationFailures)).toBe(h.publishAttempts.length);
    expect(sum(METRICS.ApprovalsRequested)).toBe(1);
    expect(sum(METRICS.NotificationRetries)).toBe(h.publishAttempts.length - 2);
    expect((await h.store.get("rec-1"))?.notifications?.APPROVAL_REQUEST).toMatchObject({ failedAttempts: 8 });

    // SNS works again: the next retry is delivered, the failure count goes, reminders follow the 6-hour rule.
    h.publishFault = undefined;
    for (let minute = 0; minute < 40; minute++) {
      await reconciler.reconcileAll();
      h.now = new Date(h.now.getTime() + MINUTE);
    }
    expect(h.published.map((p) => p.attributes["kind"]).sort()).toEqual(["APPROVAL_REQUEST", "EXPIRING"]);
    const mark = (await h.store.get("rec-1"))?.notifications?.APPROVAL_REQUEST;
    expect(mark?.failedAttempts).toBeUndefined();
    expect(mark?.retryAt).toBeUndefined();
    expect((await h.history("rec-1")).filter((e) => e.kind === "APPROVAL_REQUESTED")).toHaveLength(1);
  });
});

describe("reconcile after a fast payment failure", () => {
  it("GIVEN a payment fails within minutes and the same offering is bought again THEN the new purchase is not taken for the failed one (one PAYMENT_FAILED, no false alert)", async () => {
    await track(1);
    const reconciler = h.reconciler();
    await reconciler.reconcileAll();
    expect(ec2.purchases).toBe(1);
    h.now = new Date(h.now.getTime() + MINUTE);
    (ec2.extensions[0] as { CapacityBlockExtensionStatus: string }).CapacityBlockExtensionStatus = "payment-failed";
    await reconciler.reconcileAll();
    expect(ec2.purchases).toBe(2);
    for (let minute = 0; minute < 10; minute++) {
      h.now = new Date(h.now.getTime() + MINUTE);
      await reconciler.reconcileAll();
    }
    expect(ec2.purchases).toBe(2);
    expect(h.published.filter((p) => p.attributes["kind"] === "PAYMENT_FAILED")).toHaveLength(1);
    const record = await h.store.get("rec-1");
    expect(record?.status).toBe("EXTENSION_PENDING");
    expect(record?.lastExtension?.paymentFailed).toBeUndefined();
    expect((await h.history("rec-1")).filter((e) => e.kind === "PAYMENT_FAILED")).toHaveLength(1);
  });
});

describe("reconcile while a purchase is held (PURCHASE_UNCONFIRMED) until the block ends", () => {
  it("GIVEN a hold nobody clears THEN alerts go out 48 h, 24 h and 6 h before the end, ExpiringWithoutExtension counts it in the last 24 h and PurchasesUnconfirmed is emitted every run", async () => {
    // The purchase (60 h before the end) times out before EC2 bought; nobody clears the hold.
    h.now = new Date(END.getTime() - 60 * HOUR);
    await track(1, { extendBeforeHours: 60 });
    ec2.purchaseFault = { afterBuying: false, error: Object.assign(new Error("socket timeout"), { name: "TimeoutError" }) };
    const reconciler = h.reconciler();
    await reconciler.reconcileAll();
    ec2.purchaseFault = undefined;
    const runs: { left: number; held: number; expiring: number }[] = [];
    while (h.now.getTime() < END.getTime() - 30 * MINUTE) {
      h.now = new Date(h.now.getTime() + 15 * MINUTE);
      const before = h.lines.length;
      await reconciler.reconcileAll();
      const metrics = metricLines(h.lines.slice(before)).at(-1) ?? {};
      runs.push({
        left: (END.getTime() - h.now.getTime()) / HOUR,
        held: Number(metrics[METRICS.PurchasesUnconfirmed]),
        expiring: Number(metrics[METRICS.ExpiringWithoutExtension]),
      });
    }
    expect((await h.store.get("rec-1"))?.status).toBe("PURCHASE_UNCONFIRMED");
    expect(ec2.purchases).toBe(0);
    const held = runs.filter((r) => r.left <= 60 - 0.25);
    expect(held.every((r) => r.held === 1)).toBe(true);
    expect(held.filter((r) => r.left <= 24).every((r) => r.expiring === 1)).toBe(true);
    expect(held.filter((r) => r.left > 24).every((r) => r.expiring === 0)).toBe(true);
    const expiring = h.published.filter((p) => p.attributes["kind"] === "EXPIRING");
    const hoursLeft = expiring.map((p) => p.subject);
    expect(hoursLeft).toEqual([
      `Capacity block ${crId(1)} ends within 48 h: purchase held, manager cannot extend it`,
      `Capacity block ${crId(1)} ends within 24 h: purchase held, manager cannot extend it`,
      `Capacity block ${crId(1)} ends within 6 h: purchase held, manager cannot extend it`,
    ]);
    expect(expiring[2]?.message).toContain('PATCH /rec-1 with body {"clearUnconfirmedPurchase": true}');
  });

  it("GIVEN a held record whose runs fail (its extension history cannot be read) THEN it still counts as held, once per run", async () => {
    const { DescribeCapacityBlockExtensionHistoryCommand } = await import("@aws-sdk/client-ec2");
    await track(1);
    ec2.purchaseFault = { afterBuying: false, error: Object.assign(new Error("socket timeout"), { name: "TimeoutError" }) };
    const reconciler = h.reconciler();
    await reconciler.reconcileAll();
    ec2.purchaseFault = undefined;
    h.now = new Date(h.now.getTime() + 20 * MINUTE);
    await reconciler.reconcileAll();
    expect((await h.store.get("rec-1"))?.status).toBe("PURCHASE_UNCONFIRMED");
    h.ec2Read
      .on(DescribeCapacityBlockExtensionHistoryCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } }));
    for (let minute = 0; minute < 3; minute++) {
      h.now = new Date(h.now.getTime() + MINUTE);
      const before = h.lines.length;
      expect(await reconciler.reconcileAll()).toMatchObject({ failures: 1 });
      expect(metricLines(h.lines.slice(before)).at(-1)).toMatchObject({
        [METRICS.PurchasesUnconfirmed]: 1,
        [METRICS.RecordFailures]: 1,
        [METRICS.ExpiringWithoutExtension]: 1,
      });
    }
  });

  it("GIVEN a record that fails every run within 24 h of its end THEN it counts in RecordFailures and in ExpiringWithoutExtension", async () => {
    await track(1, {}, { offerings: [] });
    ec2.offeringsFault = {
      id: crId(1),
      error: Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } }),
    };
    const summary = await h.reconciler().reconcileAll();
    expect(summary).toMatchObject({ failures: 1, expiringWithoutExtension: 1 });
    const metrics = metricLines(h.lines).at(-1) ?? {};
    expect(metrics[METRICS.RecordFailures]).toBe(1);
    expect(metrics[METRICS.ExpiringWithoutExtension]).toBe(1);
  });
});
