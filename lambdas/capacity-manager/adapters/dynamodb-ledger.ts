import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { JOURNAL_PARTITION_KEY, JOURNAL_SORT_KEY, LEDGER_SK_PREFIX, ledgerItemKey, ledgerPartitionKey } from "../contract/table";
import type { SpendEntry } from "../domain/spend";
import { InvalidCursorError } from "../service/errors";
import type { LedgerPage, SpendLedger } from "../service/ports";

const DEFAULT_LEDGER_PAGE = 500;
const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const LEDGER_META: ReadonlySet<string> = new Set([JOURNAL_PARTITION_KEY.name, JOURNAL_SORT_KEY.name]);

/**
 * The spend ledger in the journal table: a partition per UTC month (table.ts). Items are only ever put, and only
 * when absent (`attribute_not_exists`), so a retried write never changes what the ledger says; the reconcile role
 * may not update or delete them either (its IAM policy denies it on `LEDGER/*` leading keys).
 */
export class DynamoSpendLedger implements SpendLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly journalTableName: string,
  ) {}

  async append(entry: SpendEntry): Promise<"written" | "exists"> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.journalTableName,
          Item: { ...entry, ...ledgerItemKey(entry) },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": JOURNAL_PARTITION_KEY.name },
        }),
      );
      return "written";
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === "ConditionalCheckFailedException") return "exists";
      throw error;
    }
  }

  async month(month: string, options: { cursor?: string; limit?: number } = {}): Promise<LedgerPage> {
    const pk = ledgerPartitionKey(month);
    const startKey = options.cursor !== undefined ? { PK: pk, SK: decodeLedgerCursor(pk, options.cursor) } : undefined;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.journalTableName,
        KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
        ExpressionAttributeNames: { "#pk": JOURNAL_PARTITION_KEY.name, "#sk": JOURNAL_SORT_KEY.name },
        ExpressionAttributeValues: { ":pk": pk, ":prefix": LEDGER_SK_PREFIX },
        Limit: options.limit ?? DEFAULT_LEDGER_PAGE,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const entries = (result.Items ?? []).map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => !LEDGER_META.has(k))) as unknown as SpendEntry);
    const last = result.LastEvaluatedKey?.[JOURNAL_SORT_KEY.name];
    return { entries, ...(typeof last === "string" ? { cursor: encodeLedgerCursor(pk, last) } : {}) };
  }
}

function encodeLedgerCursor(pk: string, sk: string): string {
  return Buffer.from(JSON.stringify({ pk, sk }), "utf8").toString("base64url");
}

/** @throws InvalidCursorError unless the cursor is one this ledger produced for the same month. */
function decodeLedgerCursor(pk: string, cursor: string): string {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError(cursor);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  const v = value as Record<string, unknown> | null;
  if (
    typeof v !== "object" ||
    v === null ||
    v["pk"] !== pk ||
    typeof v["sk"] !== "string" ||
    !v["sk"].startsWith(LEDGER_SK_PREFIX) ||
    Object.keys(v).length !== 2
  ) {
    throw new InvalidCursorError(cursor);
  }
  return v["sk"];
}
