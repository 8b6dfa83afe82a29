/**
 * A declared block's node group through a block's life, against a simulated EKS managed node group (the real EKS
 * scaler adapter over a mocked EKS client) whose own scheduled scale-down — set for the end EKS saw at creation,
 * 40 minutes before it (EKS user guide, "Create a managed node group with Capacity Blocks for ML") — changes its
 * size behind the manager's back.
 */
import { DescribeNodegroupCommand, EKSClient, InvalidParameterException, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { EksNodeGroupScaler } from "../../../../lambdas/capacity-manager/adapters/eks-scaler";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { type DeclaredBlock, declaredPk } from "../../../../lambdas/capacity-manager/domain/declared";
import type { ExtensionView, OfferingView, PurchaseOutcome, ReservationView } from "../../../../lambdas/capacity-manager/domain/types";
import { createReconcileHandler } from "../../../../lambdas/capacity-manager/handlers/reconcile";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi, DeclaredBlocksSource, ReservationLookup } from "../../../../lambdas/capacity-manager/service/ports";
import { Reconciler } from "../../../../lambdas/capacity-manager/service/reconciler";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = new Date("2026-11-20T11:30:00.000Z");
const END = new Date(START.getTime() + 7 * 24 * HOUR);
const RESERVATION = "cr-0123456789abcdef0";
const CLUSTER = "blockfleet-prod";
const NODEGROUP = "p5-training-20261119100000000000000001";
const SCHEDULE = { source: "aws.events", "detail-type": "Scheduled Event", detail: {} };
const DELIVERED = {
  source: "aws.ec2",
  "detail-type": "Capacity Block Reservation Delivered",
  resources: [`arn:aws:ec2:us-east-1:111122223333:capacity-reservation/${RESERVATION}`],
  detail: {},
};

const BLOCK: DeclaredBlock = {
  name: "p5-training",
  reservationId: RESERVATION,
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  instanceCount: 4,
  nodeGroup: { clusterName: CLUSTER, nodegroupName: NODEGROUP, desiredSize: 4 },
  policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
};

/** EC2 as far as scaling goes: one block whose state and end the test moves. Nothing is ever bought. */
class Ec2Block implements CapacityApi {
  state = "scheduled";
  end = END;
  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    const view: ReservationView = {
      capacityReservationId: RESERVATION,
      state: this.state,
      reservationType: "capacity-block",
      startDate: START.toISOString(),
      endDate: this.end.toISOString(),
    };
    return { found: new Map(ids.filter((id) => id === RESERVATION).map((id) => [id, view])), missing: new Set() };
  }
  async describeExtensionHistory(): Promise<ExtensionView[]> {
    return [];
  }
  async describeExtensionOfferings(): Promise<OfferingView[]> {
    return [];
  }
  async purchaseExtension(): Promise<PurchaseOutcome> {
    throw new Error("nothing may be bought in this test");
  }
  async listCapacityBlocks(): Promise<ReservationView[]> {
    return [];
  }
}

/** An EKS managed node group on a capacity block, including EKS's own scheduled scale-down. */
class SimulatedNodeGroup {
  desired: number;
  readonly min = 0;
  readonly max = 4;
  /** EKS's "Capacity Scaledown Before Reservation End" action, for the end it saw when the group was created. */
  readonly eksScaleDownAt: Date;
  private eksScaledDown = false;
  readonly updates: { at: string; desired: number }[] = [];

  constructor(
    desired: number,
    createdForEnd: Date,
    private readonly clock: () => Date,
  ) {
    this.desired = desired;
    this.eksScaleDownAt = new Date(createdForEnd.getTime() - 40 * MINUTE);
  }

  /** Runs EKS's scheduled action once its time has come. */
  advance(): void {
    if (!this.eksScaledDown && this.clock() >= this.eksScaleDownAt) {
      this.desired = 0;
      this.eksScaledDown = true;
    }
  }

  install(client: EKSClient): void {
    const eks = mockClient(client);
    eks.on(DescribeNodegroupCommand).callsFake((input: { clusterName: string; nodegroupName: string }) => {
      expect([input.clusterName, input.nodegroupName]).toEqual([CLUSTER, NODEGROUP]);
      this.advance();
      return { nodegroup: { scalingConfig: { desiredSize: this.desired, minSize: this.min, maxSize: this.max } } };
    });
    eks.on(UpdateNodegroupConfigCommand).callsFake((input: { scalingConfig: { desiredSize: number; minSize: number; maxSize: number } }) => {
      const { desiredSize, minSize, maxSize } = input.scalingConfig;
      if (desiredSize < minSize || desiredSize > maxSize) throw new InvalidParameterException({ message: "desired size out of range", $metadata: {} });
      this.desired = desiredSize;
      this.updates.push({ at: this.clock().toISOString(), desired: desiredSize });
      return { update: { id: `u-${this.updates.length}`, status: "InProgress" } };
    });
  }
}

function setup(initialDesired: number) {
  let now = new Date(START.getTime() - 2 * HOUR);
  const clock = () => now;
  const ec2 = new Ec2Block();
  const client = new EKSClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const nodeGroup = new SimulatedNodeGroup(initialDesired, END, clock);
  nodeGroup.install(client);
  const store = new InMemoryRecordStore();
  const declared: DeclaredBlocksSource = { read: async () => [BLOCK] };
  const logger = createLogger(() => undefined, clock);
  const reconciler = new Reconciler({ store, ec2, notifier: undefined, scaler: new EksNodeGroupScaler(client), logger, clock, concurrency: 4, declared });
  const handler = createReconcileHandler(() => ({ reconciler, logger }));
  return {
    ec2,
    nodeGroup,
    store,
    handler,
    at: (time: Date) => {
      now = time;
      nodeGroup.advance();
    },
    /** Schedule ticks every minute from now through `until`. */
    ticksUntil: async (until: Date) => {
      for (let t = now.getTime() + MINUTE; t <= until.getTime(); t += MINUTE) {
        now = new Date(t);
        nodeGroup.advance();
        if ((t - START.getTime()) % (15 * MINUTE) === 0 || until.getTime() - t < 3 * MINUTE) await handler(SCHEDULE);
      }
    },
  };
}

describe("declared node group through a block's life (simulated EKS node group)", () => {
  it("GIVEN a declared block before its start THEN the manager tracks it without touching the node group's created size", async () => {
    const s = setup(4);
    await s.handler(SCHEDULE);
    expect((await s.store.get(declaredPk(BLOCK)))?.nodeGroup).toEqual(BLOCK.nodeGroup);
    expect(s.nodeGroup.updates).toEqual([]);
    expect(s.nodeGroup.desired).toBe(4);
  });

  it("GIVEN a group at 0 WHEN EC2 says the block was delivered THEN that same invocation scales it to the block's size", async () => {
    const s = setup(0);
    await s.handler(SCHEDULE);
    s.at(START);
    s.ec2.state = "active";
    await s.handler(DELIVERED);
    expect(s.nodeGroup.desired).toBe(4);
    expect(s.nodeGroup.updates).toEqual([{ at: START.toISOString(), desired: 4 }]);
  });

  it("GIVEN no event reaches the manager THEN the next schedule tick scales the group", async () => {
    const s = setup(0);
    s.at(START);
    s.ec2.state = "active";
    await s.handler(SCHEDULE);
    expect(s.nodeGroup.desired).toBe(4);
  });

  it("GIVEN an extension THEN EKS's scale-down for the old end is undone within a tick, nodes stay until 40 minutes before the new end, and nothing scales up after the end", async () => {
    const s = setup(4);
    s.at(START);
    s.ec2.state = "active";
    await s.handler(SCHEDULE);
    // WHEN the block is extended by 24 h (EC2 moves the end) a day before its first end
    s.at(new Date(END.getTime() - 24 * HOUR));
    const newEnd = new Date(END.getTime() + 24 * HOUR);
    s.ec2.end = newEnd;
    await s.handler(SCHEDULE);
    // AND EKS's own scheduled action for the old end fires
    s.at(new Date(END.getTime() - 40 * MINUTE));
    expect(s.nodeGroup.desired).toBe(0);
    // THEN one tick later the nodes are back
    s.at(new Date(END.getTime() - 39 * MINUTE));
    await s.handler(SCHEDULE);
    expect(s.nodeGroup.desired).toBe(4);
    // AND they stay up through the old end until 40 minutes before the new end
    await s.ticksUntil(new Date(newEnd.getTime() - 41 * MINUTE));
    expect(s.nodeGroup.desired).toBe(4);
    await s.ticksUntil(new Date(newEnd.getTime() - 40 * MINUTE));
    expect(s.nodeGroup.desired).toBe(0);
    // AND after the end (EC2 still says active for a while, then expired) nothing scales up again
    const scaledToZero = s.nodeGroup.updates.length;
    await s.ticksUntil(new Date(newEnd.getTime() + 5 * MINUTE));
    s.ec2.state = "expired";
    await s.ticksUntil(new Date(newEnd.getTime() + 30 * MINUTE));
    await s.handler(DELIVERED);
    expect(s.nodeGroup.desired).toBe(0);
    expect(s.nodeGroup.updates.slice(scaledToZero)).toEqual([]);
    expect(s.nodeGroup.updates.filter((u) => u.desired > 0 && Date.parse(u.at) >= newEnd.getTime() - 40 * MINUTE)).toEqual([]);
  });
});
