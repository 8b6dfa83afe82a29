import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUpdate, createDocumentClient, DynamoRecordStore, InvalidCursorError } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { itemSizeBytes } from "../../../../lambdas/capacity-manager/adapters/item-size";
import { creationEntry, newRecord } from "../../../../lambdas/capacity-manager/domain/records";
import type { HistoryEntry } from "../../../../lambdas/capacity-manager/domain/types";
import { RecordExistsError, RecordNotFoundError, VersionConflictError } from "../../../../lambdas/capacity-manager/service/errors";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";
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
    const updated = await store.update("update-1", 0, { status: "APPROVED", maxUpfrontFeeUsd: null }, [
      { at: now.toISOString(), kind: "APPROVED", approvedBy: "arn:x" },
    ]);
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

describe("DynamoRecordStore: history beside the record", () => {
  const entry = (minute: number, kind: HistoryEntry["kind"] = "UPDATED"): HistoryEntry => ({
    at: new Date(now.getTime() + minute * 60_000).toISOString(),
    kind,
    detail: `minute ${minute}`,
  });
  const readAll = async (pk: string, limit: number) => {
    const entries: HistoryEntry[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.history(pk, { limit, ...(cursor ? { cursor } : {}) });
      entries.push(...page.entries);
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    return { entries, pages };
  };

  it("GIVEN many writes THEN the record item holds no history and the history pages newest first, every entry once", async () => {
    await store.create(newRecord(spec("hist-1"), now, "CREATED"), [creationEntry(now, "CREATED")]);
    for (let i = 1; i <= 12; i++) await store.update("hist-1", i - 1, { statusReason: `step ${i}` }, [entry(i), entry(i, "APPROVED")]);
    const raw = await dynamo.client.send(new GetItemCommand({ TableName: "records", Key: { PK: { S: "hist-1" } } }));
    expect(raw.Item?.["history"]).toBeUndefined();
    const { entries, pages } = await readAll("hist-1", 5);
    expect(entries).toHaveLength(25);
    // DynamoDB may end on an empty page (a full last page still carries a LastEvaluatedKey).
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(pages).toBeLessThanOrEqual(6);
    expect(entries.at(-1)?.kind).toBe("CREATED");
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort().reverse());
  });

  it("GIVEN a record deleted and created again under the same PK THEN the new record's history does not show the old one", async () => {
    await store.create(newRecord(spec("hist-2"), now, "CREATED"), [creationEntry(now, "CREATED")]);
    await store.update("hist-2", 0, { statusReason: "old life" }, [entry(1)]);
    await store.delete("hist-2", 1);
    const later = new Date(now.getTime() + 60 * 60_000);
    await store.create(newRecord(spec("hist-2"), later, "CREATED"), [creationEntry(later, "CREATED")]);
    await store.update("hist-2", 0, { statusReason: "new life" }, [{ ...entry(61), detail: "new life" }]);
    expect((await readAll("hist-2", 10)).entries.map((e) => e.detail)).toEqual(["new life", "created through the API"]);
  });

  it.each([
    ["empty", () => ""],
    ["not base64 JSON", () => "%%%"],
    ["for another record", (other: string) => other],
    ["with a sort key of another kind", () => Buffer.from(JSON.stringify({ pk: "hist-1", phase: "journal", sk: "LEDGER#x" })).toString("base64url")],
    ["with a legacy position that is no index", () => Buffer.from(JSON.stringify({ pk: "hist-1", phase: "legacy", index: -1 })).toString("base64url")],
  ])("fails with InvalidCursorError for a history cursor that is %s", async (_name, make) => {
    const other = (await store.history("hist-2", { limit: 1 })).cursor as string;
    await expect(store.history("hist-1", { cursor: make(other) })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("fails with RecordNotFoundError for the history of a missing record", async () => {
    await expect(store.history("no-such-record")).rejects.toBeInstanceOf(RecordNotFoundError);
  });
});

describe("DynamoRecordStore: records written by the old layout (history list inside the item)", () => {
  it("GIVEN an old item THEN it reads as a record, its history reads from the list, and the next write moves the list out without losing or doubling an entry", async () => {
    const old = { ...newRecord(spec("legacy-1", "cr-0aaaaaaaaaaaaaaa9"), now, "CREATED"), version: 7 };
    const list: HistoryEntry[] = Array.from({ length: 30 }, (_, i) => ({
      at: new Date(now.getTime() + i * 60_000).toISOString(),
      kind: i === 0 ? "CREATED" : "APPROVAL_REQUESTED",
      detail: `old ${i}`,
    }));
    await createDocumentClient(dynamo.client).send(new PutCommand({ TableName: "records", Item: { ...old, history: list } }));

    const record = await store.get("legacy-1");
    expect(record).toMatchObject({ PK: "legacy-1", version: 7 });
    expect(record).not.toHaveProperty("history");
    const before = await store.history("legacy-1", { limit: 100 });
    expect(before.entries.map((e) => e.detail)).toEqual(list.map((e) => e.detail).reverse());

    const later = { at: new Date(now.getTime() + 40 * 60_000).toISOString(), kind: "UPDATED" as const, detail: "new" };
    const updated = await store.update("legacy-1", 7, { statusReason: "x" }, [later]);
    expect(updated).not.toHaveProperty("history");
    const raw = await dynamo.client.send(new GetItemCommand({ TableName: "records", Key: { PK: { S: "legacy-1" } } }));
    expect(raw.Item?.["history"]).toBeUndefined();
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.history("legacy-1", { limit: 4, ...(cursor ? { cursor } : {}) });
      pages.push(...page.entries.map((e) => e.detail ?? ""));
      cursor = page.cursor;
    } while (cursor);
    expect(pages).toEqual(["new", ...list.map((e) => e.detail ?? "").reverse()]);
  });

  it("GIVEN an old item whose list has not moved yet THEN its history pages through the journal, then the list", async () => {
    const old = { ...newRecord(spec("legacy-2", "cr-0aaaaaaaaaaaaaab9"), now, "CREATED"), version: 2 };
    const list: HistoryEntry[] = [0, 1, 2].map((i) => ({ at: new Date(now.getTime() + i * 60_000).toISOString(), kind: "UPDATED", detail: `old ${i}` }));
    await createDocumentClient(dynamo.client).send(new PutCommand({ TableName: "records", Item: { ...old, history: list } }));
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.history("legacy-2", { limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(page.entries.map((e) => e.detail ?? ""));
      cursor = page.cursor;
    } while (cursor);
    expect(pages).toEqual([["old 2", "old 1"], ["old 0"]]);
  });

  it("GIVEN an old item whose history list reached DynamoDB's size limit (every write refused) THEN the next write moves the list out first and succeeds", async () => {
    const old = { ...newRecord(spec("legacy-full", "cr-0aaaaaaaaaaaaaac9"), now, "CREATED"), version: 4 };
    const padding = "x".repeat(900);
    // Filled to just under 400 KB, as a record of the old layout got after about 430 daily extensions.
    const list: HistoryEntry[] = [];
    while (itemSizeBytes({ ...old, history: list }) < 408_000)
      list.push({ at: new Date(now.getTime() + list.length * 60_000).toISOString(), kind: "APPROVAL_REQUESTED", detail: `${list.length} ${padding}` });
    const doc = createDocumentClient(dynamo.client);
    await doc.send(new PutCommand({ TableName: "records", Item: { ...old, history: list } }));
    // The old layout's write fails as it did in production: one more entry no longer fits.
    await expect(
      doc.send(
        new UpdateCommand({
          TableName: "records",
          Key: { PK: "legacy-full" },
          UpdateExpression: "SET #h = list_append(#h, :h)",
          ExpressionAttributeNames: { "#h": "history" },
          ExpressionAttributeValues: { ":h": list.slice(0, 3) },
        }),
      ),
    ).rejects.toThrow(/maximum allowed size/);

    const updated = await store.update("legacy-full", 4, { statusReason: `now writable ${padding}${padding}${padding}`, status: "TRACKING" }, [
      { at: new Date(now.getTime() + 500 * 60_000).toISOString(), kind: "UPDATED", detail: "first write after the move" },
    ]);
    expect(updated.version).toBe(5);
    const raw = await dynamo.client.send(new GetItemCommand({ TableName: "records", Key: { PK: { S: "legacy-full" } } }));
    expect(raw.Item?.["history"]).toBeUndefined();
    const entries: HistoryEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.history("legacy-full", { limit: 200, ...(cursor ? { cursor } : {}) });
      entries.push(...page.entries);
      cursor = page.cursor;
    } while (cursor);
    expect(entries).toHaveLength(list.length + 1);
    expect(entries[0]?.detail).toBe("first write after the move");
    expect(entries.at(-1)?.detail).toBe(`0 ${padding}`);
  }, 30_000);
});
