import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUpdate, createDocumentClient, DynamoRecordStore, InvalidCursorError } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { creationEntry, newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import { RecordExistsError, RecordNotFoundError, VersionConflictError } from "../../../../lambdas/capacity-manager/service/errors";
import { journalTableOf, startDynalite, type LocalDynamo } from "../dynalite";
import { aSpec, at, HOUR } from "../fixtures";

let dynamo: LocalDynamo;
let store: DynamoRecordStore;
const now = at(100 * HOUR);

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("records");
  store = new DynamoRecordStore(createDocumentClient(dynamo.client), "records", journalTableOf("records"));
});
afterAll(async () => {
  await dynamo.stop();
});

const spec = (pk: string, id = "cr-0123456789abcdef0") => aSpec({ PK: pk, capacityReservationId: id });

describe("DynamoRecordStore against dynalite", () => {
  it("GIVEN a created record THEN get returns it and creating the same PK again fails with RecordExistsError", async () => {
    await store.create(newRecord(spec("create-1"), now, "CREATED"));
    expect((await store.get("create-1"))?.status).toBe("TRACKING");
    await expect(store.create(newRecord(spec("create-1"), now, "CREATED"))).rejects.toBeInstanceOf(RecordExistsError);
    expect(await store.get("missing")).toBeUndefined();
  });

  it("GIVEN an update at the current version THEN fields are set/removed, the version bumps and history is appended", async () => {
    await store.create({ ...newRecord(spec("update-1"), now, "CREATED"), maxUpfrontFeeUsd: 100 }, [creationEntry(now, "CREATED")]);
    const updated = await store.update("update-1", 0, { status: "APPROVED", maxUpfrontFeeUsd: null }, [{ at: now.toISOString(), kind: "APPROVED", approvedBy: "arn:x" }]);
    expect(updated.version).toBe(1);
    expect(updated.status).toBe("APPROVED");
    expect(updated.maxUpfrontFeeUsd).toBeUndefined();
    expect((await store.history("update-1")).entries.map((h) => h.kind)).toEqual(["APPROVED", "CREATED"]);
  });

  it("fails with VersionConflictError when another writer changed the record (the loser of two concurrent writes)", async () => {
    await store.create(newRecord(spec("race-1"), now, "CREATED"));
    const results = await Promise.allSettled([
      store.update("race-1", 0, { status: "PURCHASING" }, [{ at: now.toISOString(), kind: "PURCHASE_STARTED", intentId: "a" }]),
      store.update("race-1", 0, { status: "PURCHASING" }, [{ at: now.toISOString(), kind: "PURCHASE_STARTED", intentId: "b" }]),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(VersionConflictError);
    // The loser's entry is removed again: the history shows only what the winner decided.
    expect((await store.history("race-1")).entries.filter((h) => h.kind === "PURCHASE_STARTED").map((h) => h.intentId)).toEqual([
      results[0]?.status === "fulfilled" ? "a" : "b",
    ]);
  });

  it("fails with RecordNotFoundError when updating or deleting a missing record", async () => {
    await expect(store.update("nope", 0, { status: "TRACKING" }, [])).rejects.toBeInstanceOf(RecordNotFoundError);
    await expect(store.delete("nope", 0)).rejects.toBeInstanceOf(RecordNotFoundError);
  });

  it("GIVEN a delete at a stale version THEN it fails; at the current version it removes the record", async () => {
    await store.create(newRecord(spec("delete-1"), now, "CREATED"));
    await store.update("delete-1", 0, { statusReason: "x" }, []);
    await expect(store.delete("delete-1", 0)).rejects.toBeInstanceOf(VersionConflictError);
    await store.delete("delete-1", 1);
    expect(await store.get("delete-1")).toBeUndefined();
  });

  it("GIVEN more records than a page THEN scan pages with an opaque cursor and sees every record once", async () => {
    for (let i = 0; i < 7; i++) await store.create(newRecord(spec(`page-${i}`), now, "CREATED"));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.scan({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.records.map((r) => r.PK));
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(seen.filter((pk) => pk.startsWith("page-")).sort()).toEqual(["page-0", "page-1", "page-2", "page-3", "page-4", "page-5", "page-6"]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThan(2);
  });

  it("fails with InvalidCursorError for a cursor it did not produce", async () => {
    await expect(store.scan({ cursor: "not-a-cursor" })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.scan({ cursor: Buffer.from('{"PK":1}').toString("base64url") })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("GIVEN records of several reservations THEN findByReservationId uses the index to find only that reservation's", async () => {
    await store.create(newRecord(spec("idx-a", "cr-0aaaaaaaaaaaaaaa1"), now, "CREATED"));
    await store.create(newRecord(spec("idx-b", "cr-0bbbbbbbbbbbbbbb2"), now, "CREATED"));
    expect((await store.findByReservationId("cr-0aaaaaaaaaaaaaaa1")).map((r) => r.PK)).toEqual(["idx-a"]);
    expect(await store.findByReservationId("cr-0ccccccccccccccc3")).toEqual([]);
  });
});

describe("buildUpdate", () => {
  it("GIVEN changes THEN the expression is conditional on the version and never touches a history list", () => {
    const input = buildUpdate("t", "pk", 4, { status: "TRACKING", intent: null });
    expect(input.ConditionExpression).toBe("#v = :expected");
    expect(input.ExpressionAttributeValues?.[":expected"]).toBe(4);
    expect(input.UpdateExpression).toBe("SET #v = #v + :one, #f0 = :f0 REMOVE #f1");
  });
});
