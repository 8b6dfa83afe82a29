/** Declared records through the real DynamoDB store (dynalite): created, changed by the file, released, found by reservation. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { type DeclaredBlock, declaredPk, syncDeclared } from "../../../../lambdas/capacity-manager/domain/declared";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";

let dynamo: LocalDynamo;
let store: DynamoRecordStore;
beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("declared-records");
  store = new DynamoRecordStore(createDocumentClient(dynamo.client), "declared-records", journalTableOf("declared-records"));
});
afterAll(async () => dynamo.stop());

const BLOCK: DeclaredBlock = {
  name: "p5-dev",
  reservationId: "cr-0a1b2c3d4e5f60718",
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-2a",
  instanceCount: 1,
  nodeGroup: { clusterName: "blockfleet-dev", nodegroupName: "p5-dev-1", desiredSize: 1 },
  policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
};

async function apply(declared: DeclaredBlock[], now: Date): Promise<void> {
  const records = (await store.scan()).records;
  for (const write of syncDeclared({ records, declared, now })) {
    if (write.kind === "create") await store.create(write.record, write.history);
    else await store.update(write.PK, write.expectedVersion, write.changes, write.history);
  }
}

describe("declared records in DynamoDB", () => {
  it("GIVEN a declared block THEN its record is stored, found by reservation, follows a new policy, and is released with its history", async () => {
    await apply([BLOCK], new Date("2026-11-20T10:00:00Z"));
    const [created] = await store.findByReservationId(BLOCK.reservationId);
    expect(created).toMatchObject({ PK: declaredPk(BLOCK), declared: { blockName: "p5-dev" }, nodeGroup: BLOCK.nodeGroup, status: "TRACKING" });

    await apply([{ ...BLOCK, policy: { ...BLOCK.policy, maxUpfrontFeeUsd: 900 } }], new Date("2026-11-20T10:01:00Z"));
    expect((await store.get(declaredPk(BLOCK)))?.maxUpfrontFeeUsd).toBe(900);

    await apply([], new Date("2026-11-20T10:02:00Z"));
    const released = await store.get(declaredPk(BLOCK));
    expect(released?.status).toBe("UNTRACKED");
    expect(released?.declared).toBeUndefined();
    const history = await store.history(declaredPk(BLOCK));
    expect(history.entries.map((h) => h.kind)).toEqual(["UNDECLARED", "DECLARED", "DECLARED"]);
  });
});
