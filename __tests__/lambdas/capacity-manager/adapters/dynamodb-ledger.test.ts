import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoSpendLedger } from "../../../../lambdas/capacity-manager/adapters/dynamodb-ledger";
import { createDocumentClient } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { InMemorySpendLedger } from "../../../../lambdas/capacity-manager/adapters/memory-ledger";
import { ledgerItemKey } from "../../../../lambdas/capacity-manager/contract/table";
import type { SpendEntry } from "../../../../lambdas/capacity-manager/domain/spend";
import { InvalidCursorError } from "../../../../lambdas/capacity-manager/service/errors";
import { readLedgerMonth, type SpendLedger } from "../../../../lambdas/capacity-manager/service/ports";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("ledger");
});
afterAll(async () => {
  await dynamo.stop();
});

function anEntry(overrides: Partial<SpendEntry> = {}): SpendEntry {
  return {
    intentId: "cr-0123456789abcdef0|2026-12-10T11:30:00.000Z|v3",
    kind: "extension",
    recordPk: "block-a",
    capacityReservationId: "cr-0123456789abcdef0",
    offeringId: "cbe-0123456789abcdef0",
    feeUsd: 1234.56,
    currency: "USD",
    startDate: "2026-12-10T11:30:00.000Z",
    endDate: "2026-12-11T11:30:00.000Z",
    purchasedAt: "2026-12-09T20:00:00.000Z",
    approvedBy: "arn:aws:iam::123456789012:role/finance-approver",
    reason: "extend by 24 h",
    ...overrides,
  };
}

const ledgers: [string, () => SpendLedger][] = [
  ["DynamoDB (dynalite)", () => new DynamoSpendLedger(createDocumentClient(dynamo.client), journalTableOf("ledger"))],
  ["in memory", () => new InMemorySpendLedger()],
];

describe.each(ledgers)("spend ledger: %s", (_name, make) => {
  it("GIVEN an entry written WHEN the same intent is written again (a retry) THEN it stays one item, unchanged", async () => {
    const ledger = make();
    const entry = anEntry({ intentId: `retry-${Math.random()}` });
    expect(await ledger.append(entry)).toBe("written");
    expect(await ledger.append({ ...entry, feeUsd: 1 })).toBe("exists");
    const month = (await readLedgerMonth(ledger, "2026-12")).filter((e) => e.intentId === entry.intentId);
    expect(month).toEqual([entry]);
  });

  it("GIVEN entries of two months WHEN a month is read in pages THEN every entry of that month comes once, oldest first, and no other month's", async () => {
    const ledger = make();
    const tag = `paging-${Math.random()}`;
    const january = Array.from({ length: 7 }, (_, i) => anEntry({ intentId: `${tag}-${i}`, purchasedAt: `2027-01-0${i + 1}T00:00:00.000Z` }));
    for (const entry of [...january].reverse()) await ledger.append(entry);
    await ledger.append(anEntry({ intentId: `${tag}-feb`, purchasedAt: "2027-02-01T00:00:00.000Z" }));
    await ledger.append(anEntry({ intentId: `${tag}-dec`, purchasedAt: "2026-12-31T23:59:59.999Z" }));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await ledger.month("2027-01", { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.intentId));
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(january.map((e) => e.intentId));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it("fails when a cursor is not one the ledger produced", async () => {
    await expect(make().month("2026-12", { cursor: "bm90LWEtY3Vyc29y" })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe("spend ledger on DynamoDB: keys and append-only items", () => {
  it("GIVEN an entry WHEN written THEN it sits in its month's partition (LEDGER/<month>), keyed by the intent's start and id", async () => {
    const doc = createDocumentClient(dynamo.client);
    const ledger = new DynamoSpendLedger(doc, journalTableOf("ledger"));
    const entry = anEntry({ intentId: "keys-1" });
    await ledger.append(entry);
    expect(ledgerItemKey(entry)).toEqual({ PK: "LEDGER/2026-12", SK: "LEDGER#2026-12-09T20:00:00.000Z#keys-1" });
    const item = await doc.send(new GetCommand({ TableName: journalTableOf("ledger"), Key: ledgerItemKey(entry) }));
    expect(item.Item).toMatchObject({ ...entry, PK: "LEDGER/2026-12" });
  });

  it("GIVEN a record's history in the same table WHEN a month is read THEN only ledger items come back", async () => {
    const doc = createDocumentClient(dynamo.client);
    const ledger = new DynamoSpendLedger(doc, journalTableOf("ledger"));
    // A history item can never land in a ledger partition: record PKs hold no '/'.
    await doc.send(
      new UpdateCommand({
        TableName: journalTableOf("ledger"),
        Key: { PK: "LEDGER/2026-11", SK: "HISTORY#x" },
        UpdateExpression: "SET kind = :k",
        ExpressionAttributeValues: { ":k": "CREATED" },
      }),
    );
    expect(await readLedgerMonth(ledger, "2026-11")).toEqual([]);
    await doc.send(new DeleteCommand({ TableName: journalTableOf("ledger"), Key: { PK: "LEDGER/2026-11", SK: "HISTORY#x" } }));
  });
});
