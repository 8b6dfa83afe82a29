/** Replacement state in the DynamoDB store (dynalite): the links, the gap and the replacement intent round-trip. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";
import { aSpec, at, END_ISO, HOUR } from "../fixtures";

let dynamo: LocalDynamo;
let store: DynamoRecordStore;
const now = at(20 * HOUR);

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("records");
  store = new DynamoRecordStore(createDocumentClient(dynamo.client), "records", journalTableOf("records"));
});
afterAll(async () => {
  await dynamo.stop();
});

describe("replacement state against dynalite", () => {
  it("GIVEN the replacement policy, intent, link and gap THEN they are stored, read back and removed like any field", async () => {
    await store.create(
      newRecord(
        aSpec({ PK: "old", allowReplacement: true, replacementAvailabilityZones: ["us-east-1a", "us-east-1b"], replacementDurationHours: 336 }),
        now,
        "CREATED",
      ),
    );
    const target = {
      availabilityZone: "us-east-1b",
      instanceType: "p5.48xlarge",
      instanceCount: 2,
      startDate: END_ISO,
      endDate: "2026-03-24T12:00:00.000Z",
      gapHours: 0,
      usdPerGpuHour: 9.3,
    };
    const intent = {
      intentId: "replace-cr-0123456789abcdef0-1773144000000-v0",
      offeringId: "cb-1",
      durationHours: 336,
      feeUsd: 50_000,
      forEndDate: END_ISO,
      startedAt: now.toISOString(),
      replacement: target,
    };
    const purchasing = await store.update("old", 0, { intent, status: "PURCHASING", gap: { startDate: END_ISO, hours: 3, reason: "r" } }, [
      { at: now.toISOString(), kind: "PURCHASE_STARTED", intentId: intent.intentId },
    ]);
    expect(purchasing.intent).toEqual(intent);
    expect(purchasing.replacementAvailabilityZones).toEqual(["us-east-1a", "us-east-1b"]);
    const link = { PK: "cr-0fedcba9876543210", capacityReservationId: "cr-0fedcba9876543210", intentId: intent.intentId, at: now.toISOString() };
    const replaced = await store.update("old", 1, { intent: null, replacedBy: link, gap: null }, [
      { at: now.toISOString(), kind: "REPLACED_BY", intentId: intent.intentId },
    ]);
    expect(replaced.intent).toBeUndefined();
    expect(replaced.gap).toBeUndefined();
    expect((await store.get("old"))?.replacedBy).toEqual(link);
    expect((await store.history("old")).entries.map((e) => e.kind)).toEqual(["REPLACED_BY", "PURCHASE_STARTED"]);
  });
});
