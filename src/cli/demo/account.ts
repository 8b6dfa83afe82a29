/**
 * The demo account: a simulated AWS account with capacity blocks in every state an operator meets, laid out around
 * the current day so the demo always looks current. `blockfleet capacity … --demo` reads it instead of EC2, and the
 * CLI's tests run against the same simulation, so the demo can't drift from what the commands do.
 *
 * Relative to today (UTC), blocks starting and ending at 11:30 like EC2's:
 * - p5-training: active, 3 of 4 instances in use, its end already moved by a paid 7-day extension;
 * - p5e-inference: active, ends tomorrow, a 7-day extension waiting for payment;
 * - p4d-finetune: active, ends tonight, its extension's payment failed, no instance in use;
 * - p5-next: scheduled in 12 days, leaving a 3-day gap for p5.48xlarge after p5-training;
 * - p4d-old: expired yesterday, still in the environment file;
 * - p5en-eval: the block's own payment failed;
 * - an untracked p5 block tagged for Karpenter's capacity-block pool.
 * Every purchase carries its fee (`purchases`), so a spend report can read the same account.
 */
import { join } from "node:path";
import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { projectRoot } from "../../lib/paths";
import type { Extension, Offering, OfferingQuery, Reservation } from "../capacity/ec2";
import type { CapacitySource } from "../capacity/source";

export const DEMO_REGION = "us-east-1";
/** The environment file the demo reads: src/cli/demo/environments/demo.tfvars. */
export const DEMO_ENVIRONMENT = "demo";
export const DEMO_ENVIRONMENTS_DIR = join(projectRoot(), "src", "cli", "demo", "environments");

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Simulated prices per accelerator-hour in USD, by accelerator. Round illustrative numbers for the demo only;
 * real prices come from EC2's offerings.
 */
const DEMO_PRICE_PER_ACCELERATOR_HOUR: Readonly<Record<string, number>> = {
  A100: 1.6,
  "A100 80GB": 1.9,
  H100: 2.75,
  H200: 3.4,
  B200: 4.9,
  B300: 6.1,
  GB200: 6.5,
  Trainium: 0.85,
  Trainium2: 1.4,
};

/** One purchase and what it cost: a block, or an extension of one. */
export interface DemoPurchase {
  readonly reservationId: string;
  readonly kind: "capacity-block" | "extension";
  readonly purchasedAt: Date;
  readonly upfrontFee: number;
  readonly currency: string;
  /** payment-succeeded, payment-pending or payment-failed. */
  readonly paymentStatus: string;
}

export interface DemoAccount {
  readonly region: string;
  readonly now: Date;
  readonly reservations: readonly Reservation[];
  readonly extensions: readonly Extension[];
  readonly purchases: readonly DemoPurchase[];
}

export function demoPricePerInstanceHour(instanceType: string): number {
  const facts = CAPACITY_BLOCK_INSTANCE_TYPES[instanceType];
  return facts ? (DEMO_PRICE_PER_ACCELERATOR_HOUR[facts.acceleratorName] ?? 3) * facts.accelerators : 30;
}

function fee(instanceType: string, count: number, start: Date, end: Date): number {
  return Math.round(demoPricePerInstanceHour(instanceType) * count * ((end.getTime() - start.getTime()) / HOUR_MS) * 100) / 100;
}

/** The account as it looks at `now`. */
export function demoAccount(now: Date): DemoAccount {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  /** 11:30 UTC, `days` from today. */
  const at = (days: number, hours = 11.5) => new Date(today + days * DAY_MS + hours * HOUR_MS);

  interface Block {
    id: string;
    type: string;
    count: number;
    zone: string;
    state: string;
    start: Date;
    end: Date;
    inUse: number;
    tags?: Record<string, string>;
    bought: Date;
    payment?: string;
  }
  const blocks: Block[] = [
    { id: "cr-0de300000000000a1", type: "p5.48xlarge", count: 4, zone: "us-east-1a", state: "active", start: at(-4), end: at(9), inUse: 3, bought: at(-10) },
    { id: "cr-0de300000000000b2", type: "p5e.48xlarge", count: 2, zone: "us-east-1b", state: "active", start: at(-2), end: at(1), inUse: 2, bought: at(-6) },
    { id: "cr-0de300000000000c3", type: "p4d.24xlarge", count: 2, zone: "us-east-1a", state: "active", start: at(-6), end: at(1, 0), inUse: 0, bought: at(-9) },
    { id: "cr-0de300000000000d4", type: "p5.48xlarge", count: 4, zone: "us-east-1a", state: "scheduled", start: at(12), end: at(26), inUse: 0, bought: at(-1) },
    { id: "cr-0de300000000000e5", type: "p4d.24xlarge", count: 2, zone: "us-east-1a", state: "expired", start: at(-8), end: at(-1), inUse: 0, bought: at(-12) },
    {
      id: "cr-0de30000000000107",
      type: "p5en.48xlarge",
      count: 1,
      zone: "us-east-1b",
      state: "payment-failed",
      start: at(3),
      end: at(10),
      inUse: 0,
      bought: at(-1),
      payment: "payment-failed",
    },
    {
      id: "cr-0de300000000000f6",
      type: "p5.48xlarge",
      count: 2,
      zone: "us-east-1b",
      state: "scheduled",
      start: at(5),
      end: at(8),
      inUse: 0,
      tags: { "capacity-pool": "demo" },
      bought: at(-2),
    },
  ];
  const extension = (reservationId: string, status: string, start: Date, end: Date, purchased: Date): Extension => {
    const block = blocks.find((candidate) => candidate.id === reservationId)!;
    return {
      reservationId,
      status,
      durationHours: (end.getTime() - start.getTime()) / HOUR_MS,
      startDate: start,
      endDate: end,
      purchaseDate: purchased,
      upfrontFee: fee(block.type, block.count, start, end),
      currency: "USD",
    };
  };
  const extensions: Extension[] = [
    extension("cr-0de300000000000a1", "payment-succeeded", at(2), at(9), at(-1)),
    extension("cr-0de300000000000b2", "payment-pending", at(1), at(8), at(0, 0)),
    extension("cr-0de300000000000c3", "payment-failed", at(1, 0), at(3, 0), at(-1)),
  ];
  // A paid extension moved the block's end; the block itself was bought for the time before it.
  const ownEnd = (block: Block) =>
    extensions.find((candidate) => candidate.reservationId === block.id && candidate.status === "payment-succeeded")?.startDate ?? block.end;
  return {
    region: DEMO_REGION,
    now,
    reservations: blocks.map((block) => ({
      reservationId: block.id,
      instanceType: block.type,
      availabilityZone: block.zone,
      totalInstances: block.count,
      availableInstances: block.state === "active" ? block.count - block.inUse : block.count,
      state: block.state,
      startDate: block.start,
      endDate: block.end,
      tags: block.tags ?? {},
    })),
    extensions,
    purchases: [
      ...blocks.map((block) => ({
        reservationId: block.id,
        kind: "capacity-block" as const,
        purchasedAt: block.bought,
        upfrontFee: fee(block.type, block.count, block.start, ownEnd(block)),
        currency: "USD",
        paymentStatus: block.payment ?? "payment-succeeded",
      })),
      ...extensions.map((candidate) => ({
        reservationId: candidate.reservationId,
        kind: "extension" as const,
        purchasedAt: candidate.purchaseDate!,
        upfrontFee: candidate.upfrontFee!,
        currency: "USD",
        paymentStatus: candidate.status,
      })),
    ],
  };
}

/** Zones the demo sells offerings in: a, b and c of any region. */
export function demoZones(region: string): string[] {
  return ["a", "b", "c"].map((letter) => `${region}${letter}`);
}

const ZONE_FACTOR: Readonly<Record<string, number>> = { a: 1, b: 0.97, c: 1.04 };

/**
 * Offerings as EC2 would list them: every zone of the region, three start days (the first on or after
 * startAfter, then 3 and 8 days later), each within endBefore; prices from the demo price list, cheaper in zone b and
 * for later starts.
 */
export function demoOfferings(region: string, query: OfferingQuery, now: Date): Offering[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const earliest = Math.max(today + DAY_MS, query.startAfter?.getTime() ?? 0);
  const firstDay = Math.ceil((earliest - 11.5 * HOUR_MS) / DAY_MS) * DAY_MS + 11.5 * HOUR_MS;
  const offerings: Offering[] = [];
  for (const instanceType of query.instanceTypes) {
    for (const zone of demoZones(region)) {
      [0, 3, 8].forEach((offset, index) => {
        const start = new Date(firstDay + offset * DAY_MS);
        const end = new Date(start.getTime() + query.durationHours * HOUR_MS);
        if (query.endBefore && end > query.endBefore) return;
        const factor = (ZONE_FACTOR[zone.slice(-1)] ?? 1) * (1 - index * 0.02);
        const upfrontFee = Math.round(demoPricePerInstanceHour(instanceType) * factor * query.instanceCount * query.durationHours * 100) / 100;
        offerings.push({
          offeringId: demoOfferingId(`${region}/${zone}/${instanceType}/${start.toISOString()}/${query.instanceCount}/${query.durationHours}`),
          instanceType,
          availabilityZone: zone,
          instanceCount: query.instanceCount,
          startDate: start,
          endDate: end,
          durationHours: query.durationHours,
          upfrontFee,
          currency: "USD",
        });
      });
    }
  }
  return offerings;
}

/** `cb-` and 17 hex digits, stable for the same offering. */
function demoOfferingId(key: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const char of key) hash = BigInt.asUintN(64, (hash ^ BigInt(char.charCodeAt(0))) * 0x100000001b3n);
  return `cb-0${hash.toString(16).padStart(16, "0")}`;
}

/** The demo account behind the capacity commands. Blocks exist only in the demo region; offerings in every region. */
export function demoSource(now: Date): CapacitySource {
  const account = demoAccount(now);
  return {
    label: "demo account (simulated)",
    searchOfferings: async (region, query) => demoOfferings(region, query, now),
    listCapacityBlocks: async (region) => (region === account.region ? [...account.reservations] : []),
    listExtensions: async (region, ids) => (region === account.region ? account.extensions.filter((extension) => ids.includes(extension.reservationId)) : []),
  };
}
