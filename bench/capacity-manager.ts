/**
 * Capacity manager benchmark: one reconcile over 10,000 tracked blocks (EC2 mocked at the SDK client,
 * records in the in-memory store that implements the production store contract), and the size and cold
 * `require` time of each handler's esbuild bundle.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  DescribeCapacityBlockExtensionHistoryCommand,
  DescribeCapacityBlockExtensionOfferingsCommand,
  DescribeCapacityBlockOfferingsCommand,
  DescribeCapacityReservationsCommand,
  EC2Client,
  PurchaseCapacityBlockCommand,
  PurchaseCapacityBlockExtensionCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { build } from "esbuild";
import { Ec2CapacityApi } from "../lambdas/capacity-manager/adapters/ec2";
import { InMemoryRecordStore } from "../lambdas/capacity-manager/adapters/memory-store";
import { newRecord } from "../lambdas/capacity-manager/domain/records";
import { createLogger } from "../lambdas/capacity-manager/runtime/log";
import { Reconciler } from "../lambdas/capacity-manager/service/reconciler";

const TRACKED_BLOCKS = 10_000;
const HOUR = 3_600_000;
const NOW = Date.parse("2026-06-01T00:00:00.000Z");
const HANDLERS = ["reconcile", "api"] as const;

const blockId = (i: number) => `cr-0${i.toString(16).padStart(16, "0")}`;
/** Ends spread over 60 days, so a realistic share of blocks is inside its decision window. */
const blockEnd = (i: number) => new Date(NOW + 2 * HOUR + ((i * 37) % (60 * 24)) * HOUR);

async function reconcileBench(): Promise<Record<string, number>> {
  const read = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  const purchase = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, maxAttempts: 1 });
  const readMock = mockClient(read);
  const purchaseMock = mockClient(purchase);
  const byId = new Map<string, Date>();
  for (let i = 0; i < TRACKED_BLOCKS; i++) byId.set(blockId(i), blockEnd(i));
  readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds: string[] }) => ({
    CapacityReservations: input.CapacityReservationIds.map((id) => ({
      CapacityReservationId: id,
      State: "active",
      ReservationType: "capacity-block",
      EndDate: byId.get(id),
      InstanceType: "p5.48xlarge",
      TotalInstanceCount: 2,
    })),
  }));
  readMock.on(DescribeCapacityBlockExtensionHistoryCommand).resolves({ CapacityBlockExtensions: [] });
  readMock
    .on(DescribeCapacityBlockExtensionOfferingsCommand)
    .callsFake((input: { CapacityReservationId: string; CapacityBlockExtensionDurationHours: number }) => ({
      CapacityBlockExtensionOfferings: [
        {
          CapacityBlockExtensionOfferingId: `cbeo-${input.CapacityReservationId}`,
          CapacityBlockExtensionDurationHours: input.CapacityBlockExtensionDurationHours,
          UpfrontFee: "1234.00",
          CurrencyCode: "USD",
          CapacityBlockExtensionStartDate: byId.get(input.CapacityReservationId),
        },
      ],
    }));
  purchaseMock.on(PurchaseCapacityBlockExtensionCommand).callsFake((input: { CapacityReservationId: string; CapacityBlockExtensionOfferingId: string }) => ({
    CapacityBlockExtensions: [
      {
        CapacityReservationId: input.CapacityReservationId,
        CapacityBlockExtensionOfferingId: input.CapacityBlockExtensionOfferingId,
        CapacityBlockExtensionStatus: "payment-pending",
      },
    ],
  }));

  const store = new InMemoryRecordStore();
  for (let i = 0; i < TRACKED_BLOCKS; i++) {
    await store.create(
      newRecord(
        {
          PK: `block-${i}`,
          capacityReservationId: blockId(i),
          instanceType: "p5.48xlarge",
          availabilityZone: "us-east-1a",
          platform: "Linux/UNIX",
          tenancy: "default",
          startDate: "2026-05-01T00:00:00.000Z",
          endDate: blockEnd(i).toISOString(),
          instanceCount: 2,
          extendBeforeHours: 24,
          extendByHours: 24,
          // Every fourth block buys on its own, the rest ask for approval (no topic: nobody is told).
          requireApproval: i % 4 !== 0,
          maxUpfrontFeeUsd: 5000,
        },
        new Date(NOW - 24 * HOUR),
        "CREATED",
      ),
    );
  }
  const reconciler = new Reconciler({
    store,
    ec2: new Ec2CapacityApi({ read, purchase }),
    notifier: undefined,
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: undefined }) },
    logger: createLogger(() => undefined),
    clock: () => new Date(NOW),
    concurrency: 16,
  });

  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const summary = await reconciler.reconcileAll();
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);
  const calls = (stub: typeof readMock, command: Parameters<typeof readMock.commandCalls>[0]) => stub.commandCalls(command).length;
  const describeCalls = calls(readMock, DescribeCapacityReservationsCommand);
  const historyCalls = calls(readMock, DescribeCapacityBlockExtensionHistoryCommand);
  const offeringCalls = calls(readMock, DescribeCapacityBlockExtensionOfferingsCommand);
  const purchaseCalls = calls(purchaseMock, PurchaseCapacityBlockExtensionCommand);
  read.destroy();
  purchase.destroy();
  return {
    trackedBlocks: summary.records,
    reconcileCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    reconcileWallMs: Math.round(wallMs),
    ec2Calls: describeCalls + historyCalls + offeringCalls + purchaseCalls,
    ec2DescribeReservationsCalls: describeCalls,
    ec2ExtensionHistoryCalls: historyCalls,
    /** One per block inside its decision window (EC2 has no batch form of this call). */
    ec2ExtensionOfferingsCalls: offeringCalls,
    ec2PurchaseCalls: purchaseCalls,
    recordFailures: summary.failures,
  };
}

/** Instance types and counts of the replacement bench: 3 x 2 = 6 (type, count) pairs, one duration. */
const REPLACEMENT_TYPES = ["p5.48xlarge", "p5e.48xlarge", "p4d.24xlarge"] as const;
const REPLACEMENT_COUNTS = [2, 4] as const;

/**
 * One reconcile over 10,000 tracked blocks where 1 % (every 100th) reach their window with no extension on sale and
 * replacement allowed: new-block offerings are searched once per (type, count, duration), and each such block
 * buys its replacement (tagged PurchaseCapacityBlock). The other blocks end weeks later.
 */
async function replacementBench(): Promise<Record<string, number>> {
  const read = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  const purchase = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, maxAttempts: 1 });
  const readMock = mockClient(read);
  const purchaseMock = mockClient(purchase);
  const needsReplacement = (i: number) => i % 100 === 0;
  const typeOf = (i: number) => REPLACEMENT_TYPES[Math.floor(i / 100) % REPLACEMENT_TYPES.length]!;
  const countOf = (i: number) => REPLACEMENT_COUNTS[Math.floor(i / 300) % REPLACEMENT_COUNTS.length]!;
  const endOf = (i: number) => new Date(NOW + (needsReplacement(i) ? 20 : 24 * 30) * HOUR);
  const byId = new Map<string, number>();
  for (let i = 0; i < TRACKED_BLOCKS; i++) byId.set(blockId(i), i);
  readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds?: string[] }) => ({
    CapacityReservations: (input.CapacityReservationIds ?? []).map((id) => {
      const i = byId.get(id) ?? 0;
      return {
        CapacityReservationId: id,
        State: "active",
        ReservationType: "capacity-block",
        EndDate: endOf(i),
        InstanceType: typeOf(i),
        TotalInstanceCount: countOf(i),
        AvailabilityZone: "us-east-1a",
      };
    }),
  }));
  readMock.on(DescribeCapacityBlockExtensionHistoryCommand).resolves({ CapacityBlockExtensions: [] });
  readMock.on(DescribeCapacityBlockExtensionOfferingsCommand).resolves({ CapacityBlockExtensionOfferings: [] });
  readMock.on(DescribeCapacityBlockOfferingsCommand).callsFake((input: { InstanceType: string; InstanceCount: number; CapacityDurationHours: number }) => ({
    CapacityBlockOfferings: ["us-east-1a", "us-east-1b"].flatMap((zone, z) =>
      [-2, 0, 6].map((offset, k) => ({
        CapacityBlockOfferingId: `cb-${input.InstanceType}-${input.InstanceCount}-${zone}-${k}`,
        InstanceType: input.InstanceType,
        InstanceCount: input.InstanceCount,
        AvailabilityZone: zone,
        StartDate: new Date(NOW + (20 + offset) * HOUR),
        EndDate: new Date(NOW + (20 + offset + input.CapacityDurationHours) * HOUR),
        CapacityBlockDurationHours: input.CapacityDurationHours,
        UpfrontFee: String(40_000 + z * 1000 + k * 500),
        CurrencyCode: "USD",
      })),
    ),
  }));
  let bought = 0;
  purchaseMock.on(PurchaseCapacityBlockCommand).callsFake(() => ({
    CapacityReservation: {
      CapacityReservationId: `cr-1${(bought++).toString(16).padStart(16, "0")}`,
      State: "payment-pending",
      ReservationType: "capacity-block",
    },
  }));

  const store = new InMemoryRecordStore();
  for (let i = 0; i < TRACKED_BLOCKS; i++) {
    await store.create(
      newRecord(
        {
          PK: `block-${i}`,
          capacityReservationId: blockId(i),
          instanceType: typeOf(i),
          availabilityZone: "us-east-1a",
          platform: "Linux/UNIX",
          tenancy: "default",
          startDate: "2026-05-01T00:00:00.000Z",
          endDate: endOf(i).toISOString(),
          instanceCount: countOf(i),
          extendBeforeHours: 24,
          extendByHours: 24,
          requireApproval: false,
          maxUpfrontFeeUsd: 50_000,
          allowReplacement: true,
        },
        new Date(NOW - 24 * HOUR),
        "CREATED",
      ),
    );
  }
  const ec2 = new Ec2CapacityApi({ read, purchase });
  const reconciler = new Reconciler({
    store,
    ec2,
    notifier: undefined,
    scaler: { ensureDesiredSize: async () => ({ changed: false, previous: undefined }) },
    logger: createLogger(() => undefined),
    clock: () => new Date(NOW),
    concurrency: 16,
    newBlocks: { market: ec2, tags: { "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "bench" } },
  });
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const summary = await reconciler.reconcileAll();
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);
  const calls = (stub: typeof readMock, command: Parameters<typeof readMock.commandCalls>[0]) => stub.commandCalls(command).length;
  const result = {
    replacementTrackedBlocks: summary.records,
    replacementBlocksNeedingReplacement: Array.from({ length: TRACKED_BLOCKS }, (_, i) => i).filter(needsReplacement).length,
    replacementReconcileCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    replacementReconcileWallMs: Math.round(wallMs),
    replacementDescribeReservationsCalls: calls(readMock, DescribeCapacityReservationsCommand),
    replacementExtensionHistoryCalls: calls(readMock, DescribeCapacityBlockExtensionHistoryCommand),
    replacementExtensionOfferingsCalls: calls(readMock, DescribeCapacityBlockExtensionOfferingsCommand),
    /** Once per (instance type, count, duration) in the run, not once per block. */
    replacementNewBlockOfferingsCalls: calls(readMock, DescribeCapacityBlockOfferingsCommand),
    replacementPurchaseCalls: calls(purchaseMock, PurchaseCapacityBlockCommand),
    replacementRecordsAfter: (await store.scan({ limit: 100_000 })).records.length,
    replacementRecordFailures: summary.failures,
  };
  read.destroy();
  purchase.destroy();
  return result;
}

async function bundleBench(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const dir = mkdtempSync(join(tmpdir(), "cbm-bundle-"));
  try {
    for (const name of HANDLERS) {
      const outfile = join(dir, `${name}.js`);
      const result = await build({
        entryPoints: [resolve(__dirname, `../lambdas/capacity-manager/handlers/${name}.ts`)],
        bundle: true,
        platform: "node",
        target: "node22",
        format: "cjs",
        minify: true,
        outfile,
        logLevel: "silent",
      });
      out[`${name}BundleBytes`] = statSync(outfile).size;
      out[`${name}BundleWarnings`] = result.warnings.length;
      const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(outfile)});if(typeof m.handler!=="function")throw new Error("no handler");process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      // Cold start as a fresh process sees it (module load, Powertools and SDK clients set up): median of 5.
      const runs = Array.from({ length: 5 }, () => Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }))).sort(
        (left, right) => left - right,
      );
      out[`${name}ColdRequireMs`] = Math.round(runs[2]! * 10) / 10;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function runCapacityManagerBench(): Promise<Record<string, number | string>> {
  return { ...(await reconcileBench()), ...(await replacementBench()), ...(await bundleBench()) };
}

if (require.main === module) {
  runCapacityManagerBench().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
