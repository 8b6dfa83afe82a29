import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient, DynamoRecordStore } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { itemSizeBytes } from "../../../../lambdas/capacity-manager/adapters/item-size";
import { InMemoryRecordStore } from "../../../../lambdas/capacity-manager/adapters/memory-store";
import { RECORD_ITEM_BUDGET_BYTES } from "../../../../lambdas/capacity-manager/contract/table";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";
import { LIFETIME_PK, liveForDays } from "./record-lifetime";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("lifetime");
});
afterAll(async () => {
  await dynamo.stop();
});

describe("a record item stays within its size budget however long it lives", () => {
  it("GIVEN 10 days of daily extensions on DynamoDB (dynalite) THEN the stored item is within the budget and the journal holds the history", async () => {
    const doc = createDocumentClient(dynamo.client);
    const store = new DynamoRecordStore(doc, "lifetime", journalTableOf("lifetime"));
    const result = await liveForDays(store, 10, async (pk) => {
      const raw = await doc.send(new GetCommand({ TableName: "lifetime", Key: { PK: pk }, ConsistentRead: true }));
      return itemSizeBytes(raw.Item ?? {});
    });
    expect(result.purchases).toBeGreaterThan(6);
    expect(result.largestItem).toBeLessThanOrEqual(RECORD_ITEM_BUDGET_BYTES);
    const page = await store.history(LIFETIME_PK, { limit: 500 });
    expect(page.cursor).toBeUndefined();
    expect(page.entries.filter((e) => e.kind === "PURCHASED").length).toBe(result.purchases);
    expect(page.entries.filter((e) => e.kind === "APPROVED").length).toBe(result.approvals);
  }, 60_000);

  it(`GIVEN 5 years of daily extensions with approval requests, reminders, approvals, PUTs and refused publishes THEN the record item never exceeds ${RECORD_ITEM_BUDGET_BYTES} bytes`, async () => {
    const store = new InMemoryRecordStore();
    const result = await liveForDays(store, 5 * 365, async (pk) => itemSizeBytes((await store.get(pk)) as unknown as Record<string, unknown>));
    // The run really lived 5 years: a purchase and an approval about every day, a PUT every day.
    expect(result.purchases).toBeGreaterThan(5 * 360);
    expect(result.approvals).toBeGreaterThan(5 * 360);
    expect(result.puts).toBe(5 * 365);
    expect(result.refusedPublishes).toBeGreaterThan(50);
    expect(result.largestItem).toBeLessThanOrEqual(RECORD_ITEM_BUDGET_BYTES);
    // The history went to its own items (it alone would be far past DynamoDB's 400 KB item limit).
    const history = store.allHistory(LIFETIME_PK);
    expect(history.length).toBeGreaterThan(4 * 5 * 360);
    expect(itemSizeBytes({ history })).toBeGreaterThan(400 * 1024);
  }, 120_000);
});
