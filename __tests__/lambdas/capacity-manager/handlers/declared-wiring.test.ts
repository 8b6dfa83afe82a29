import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from "@aws-sdk/client-eks";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { createReconciler } from "../../../../lambdas/capacity-manager/handlers/dependencies";
import { CONFIG_DEFAULTS } from "../../../../lambdas/capacity-manager/runtime/config";
import { createLogger } from "../../../../lambdas/capacity-manager/runtime/log";
import type { CapacityApi } from "../../../../lambdas/capacity-manager/service/ports";
import { aReservation } from "../fixtures";

/** Reconcile ignores who may approve (the API enforces it). */
const NO_APPROVERS = { mode: "iam_and_key", approverPrincipalArns: [], apiKeyIds: {} } as const;

const PARAMETER = "/blockfleet/prod/capacity-manager/declared-blocks";
const ssm = mockClient(SSMClient);
const eks = mockClient(EKSClient);
afterEach(() => {
  ssm.reset();
  eks.reset();
  vi.unstubAllEnvs();
});

const ec2: CapacityApi = {
  // The wiring runs on the real clock: an active block ending in five days.
  describeReservations: async (ids) => ({
    found: new Map(ids.map((id) => [id, aReservation({ capacityReservationId: id, endDate: new Date(Date.now() + 5 * 24 * 3_600_000).toISOString() })])),
    missing: new Set(),
  }),
  describeExtensionHistory: async () => [],
  describeExtensionOfferings: async () => [],
  purchaseExtension: async () => {
    throw new Error("no purchase expected");
  },
  listCapacityBlocks: async () => [],
};

describe("reconcile wiring: declared blocks", () => {
  it("GIVEN DECLARED_BLOCKS_PARAMETER THEN reconcile reads that parameter with its own SSM client, tracks the block and scales its node group", async () => {
    vi.stubEnv("AWS_REGION", "us-east-1");
    ssm.on(GetParameterCommand, { Name: PARAMETER }).resolves({
      Parameter: {
        Value: JSON.stringify({
          version: 1,
          blocks: [
            {
              name: "p5-training",
              reservationId: "cr-0123456789abcdef0",
              instanceType: "p5.48xlarge",
              availabilityZone: "us-east-1a",
              instanceCount: 2,
              nodeGroup: { clusterName: "blockfleet-prod", nodegroupName: "p5-training-1", desiredSize: 2 },
              policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
            },
          ],
        }),
      },
    });
    eks.on(DescribeNodegroupCommand).resolves({ nodegroup: { scalingConfig: { desiredSize: 0, minSize: 0, maxSize: 2 } } });
    eks.on(UpdateNodegroupConfigCommand).resolves({});
    const store = new InMemoryRecordStore();
    const config = {
      tableName: "t",
      journalTableName: "t-journal",
      topicArn: undefined,
      ...CONFIG_DEFAULTS,
      extensionsEnabled: false,
      declaredBlocksParameter: PARAMETER,
      access: NO_APPROVERS,
    };
    const reconciler = createReconciler({ config, logger: createLogger(() => undefined), store, ec2, ledger: new InMemorySpendLedger() });
    await reconciler.reconcileAll();
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input.Name)).toEqual([PARAMETER]);
    expect((await store.get("p5-training.cr-0123456789abcdef0"))?.declared).toEqual({ blockName: "p5-training" });
    expect(eks.commandCalls(UpdateNodegroupConfigCommand)[0]?.args[0].input).toMatchObject({
      clusterName: "blockfleet-prod",
      nodegroupName: "p5-training-1",
      scalingConfig: { desiredSize: 2 },
    });
  });

  it("GIVEN no DECLARED_BLOCKS_PARAMETER THEN SSM is never called", async () => {
    vi.stubEnv("AWS_REGION", "us-east-1");
    const config = { tableName: "t", journalTableName: "t-journal", topicArn: undefined, ...CONFIG_DEFAULTS, extensionsEnabled: false, access: NO_APPROVERS };
    await createReconciler({
      config,
      logger: createLogger(() => undefined),
      store: new InMemoryRecordStore(),
      ec2,
      ledger: new InMemorySpendLedger(),
    }).reconcileAll();
    expect(ssm.commandCalls(GetParameterCommand)).toEqual([]);
  });
});
