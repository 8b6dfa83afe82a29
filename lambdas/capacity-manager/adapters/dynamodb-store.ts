import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { CapacityRecord, HistoryEntry, RecordChanges } from "../domain/types";
import { RecordExistsError, RecordNotFoundError, VersionConflictError } from "../service/errors";
import type { RecordStore } from "../service/ports";
import { isPrintableKey } from "../domain/keys";
import { RESERVATION_INDEX, TABLE_PARTITION_KEY } from "../table";

const PK = TABLE_PARTITION_KEY.name;
export const DEFAULT_SCAN_LIMIT = 500;

/** Document client with plain JS values; region, credentials and endpoint from the standard SDK env. */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createDynamoRecordStoreFromEnv(tableName: string): DynamoRecordStore {
  return new DynamoRecordStore(createDocumentClient(), tableName);
}

const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), "utf8").toString("base64url") : undefined;
}

/** @throws InvalidCursorError for anything that is not a cursor this store produced. */
export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError(cursor);
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    const pk = typeof key === "object" && key !== null ? (key as Record<string, unknown>)[PK] : undefined;
    if (typeof pk === "string" && isPrintableKey(pk) && Object.keys(key as object).length === 1) {
      return key as Record<string, unknown>;
    }
  } catch {
    // fall through to the typed error
  }
  throw new InvalidCursorError(cursor);
}

export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super("cursor is not a value returned by a previous page");
    this.name = "InvalidCursorError";
  }
}

/**
 * Records in DynamoDB. Writes are conditional on the record's `version`, so two reconcilers
 * (or a reconciler and the API) never both act on the same state; `history` only grows with list_append.
 */
export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async scan(options: { cursor?: string; limit?: number } = {}): Promise<{ records: CapacityRecord[]; cursor?: string }> {
    const start = decodeCursor(options.cursor);
    const page = await this.doc.send(
      new ScanCommand({ TableName: this.tableName, Limit: options.limit ?? DEFAULT_SCAN_LIMIT, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    const cursor = encodeCursor(page.LastEvaluatedKey);
    return { records: (page.Items ?? []) as CapacityRecord[], ...(cursor ? { cursor } : {}) };
  }

  async get(pk: string): Promise<CapacityRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [PK]: pk }, ConsistentRead: true }));
    return out.Item as CapacityRecord | undefined;
  }

  async findByReservationId(capacityReservationId: string): Promise<CapacityRecord[]> {
    const records: CapacityRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: RESERVATION_INDEX.name,
          KeyConditionExpression: "#id = :id",
          ExpressionAttributeNames: { "#id": RESERVATION_INDEX.partitionKey.name },
          ExpressionAttributeValues: { ":id": capacityReservationId },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      records.push(...((page.Items ?? []) as CapacityRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async create(record: CapacityRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: record,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new RecordExistsError(record.PK);
      throw error;
    }
  }

  async update(pk: string, expectedVersion: number, changes: RecordChanges, history: readonly HistoryEntry[]): Promise<CapacityRecord> {
    try {
      const out = await this.doc.send(new UpdateCommand({ ...buildUpdate(this.tableName, pk, expectedVersion, changes, history), ReturnValues: "ALL_NEW" }));
      return out.Attributes as CapacityRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw await this.conflictOrMissing(pk, expectedVersion);
      throw error;
    }
  }

  async delete(pk: string, expectedVersion: number): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: pk },
          ConditionExpression: "#v = :v",
          ExpressionAttributeNames: { "#v": "version" },
          ExpressionAttributeValues: { ":v": expectedVersion },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw await this.conflictOrMissing(pk, expectedVersion);
      throw error;
    }
  }

  private async conflictOrMissing(pk: string, expectedVersion: number): Promise<Error> {
    const current = await this.get(pk);
    return current ? new VersionConflictError(pk, expectedVersion) : new RecordNotFoundError(pk);
  }
}

/** SET for changed fields, REMOVE for nulls, version + 1, history appended; all conditional on the version. */
export function buildUpdate(
  tableName: string,
  pk: string,
  expectedVersion: number,
  changes: RecordChanges,
  history: readonly HistoryEntry[],
): UpdateCommandInput {
  const names: Record<string, string> = { "#v": "version" };
  const values: Record<string, unknown> = { ":expected": expectedVersion, ":one": 1 };
  const sets: string[] = ["#v = #v + :one"];
  const removes: string[] = [];
  let i = 0;
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined || field === PK || field === "version" || field === "history") continue;
    const name = `#f${i}`;
    names[name] = field;
    if (value === null) {
      removes.push(name);
    } else {
      values[`:f${i}`] = value;
      sets.push(`${name} = :f${i}`);
    }
    i += 1;
  }
  if (history.length > 0) {
    names["#h"] = "history";
    values[":h"] = history;
    values[":empty"] = [];
    sets.push("#h = list_append(if_not_exists(#h, :empty), :h)");
  }
  return {
    TableName: tableName,
    Key: { [PK]: pk },
    UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
    ConditionExpression: "#v = :expected",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
