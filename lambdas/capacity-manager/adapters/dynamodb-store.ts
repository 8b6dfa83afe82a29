import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { HISTORY_SK_PREFIX, JOURNAL_PARTITION_KEY, JOURNAL_SORT_KEY, RESERVATION_INDEX, TABLE_PARTITION_KEY } from "../contract/table";
import { isPrintableKey } from "../domain/keys";
import type { CapacityRecord, HistoryEntry, RecordChanges } from "../domain/types";
import { InvalidCursorError, RecordExistsError, RecordNotFoundError, VersionConflictError } from "../service/errors";
import type { HistoryPage, RecordStore } from "../service/ports";

const PK = TABLE_PARTITION_KEY.name;
export const DEFAULT_SCAN_LIMIT = 500;

/** Document client with plain JS values; region, credentials and endpoint from the standard SDK env. */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createDynamoRecordStoreFromEnv(tableName: string, journalTableName: string): DynamoRecordStore {
  return new DynamoRecordStore(createDocumentClient(), tableName, journalTableName);
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

export { InvalidCursorError };

/** Journal item attributes besides the entry's own fields. */
interface JournalItem extends HistoryEntry {
  readonly PK: string;
  readonly SK: string;
  /** The record version the entry was written with (entries of a write that lost its condition stay hidden). */
  readonly version: number;
  /** Moved out of an old record item's `history` list. */
  readonly legacy?: boolean;
}

const JOURNAL_META = new Set(["PK", "SK", "version", "legacy"]);
const DEFAULT_HISTORY_PAGE = 50;
/** DynamoDB's BatchWriteItem limit. */
const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_ATTEMPTS = 5;

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** DynamoDB's answer to a write that would make the item larger than 400 KB. */
function isItemTooLarge(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  return e?.name === "ValidationException" && /item size/i.test(e.message ?? "") && /maximum allowed size/i.test(e.message ?? "");
}

/**
 * Sort key of a history entry: by time, then by the write (version) and its position in the write, then the
 * writer (two writers racing for the same version write distinct items, and the loser removes only its own).
 */
export function historySortKey(entry: HistoryEntry, version: number, index: number, writeId: string): string {
  return `${HISTORY_SK_PREFIX}${entry.at}#${pad(version, 10)}#${pad(index, 3)}#${writeId}`;
}

const newWriteId = (): string => randomBytes(6).toString("hex");

function legacySortKey(entry: HistoryEntry, index: number): string {
  return `${HISTORY_SK_PREFIX}${entry.at}#legacy#${pad(index, 5)}`;
}

function toEntry(item: Record<string, unknown>): HistoryEntry {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !JOURNAL_META.has(k))) as unknown as HistoryEntry;
}

/** A record as the manager sees it: an item written by an older version may still carry its history list. */
function toRecord(item: Record<string, unknown>): CapacityRecord {
  const { history: _legacy, ...record } = item;
  return record as unknown as CapacityRecord;
}

type HistoryPosition = { readonly phase: "journal"; readonly sk: string } | { readonly phase: "legacy"; readonly index: number };

function encodeHistoryCursor(pk: string, position: HistoryPosition): string {
  return Buffer.from(JSON.stringify({ pk, ...position }), "utf8").toString("base64url");
}

function decodeHistoryCursor(pk: string, cursor: string): HistoryPosition {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError(cursor);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  const v = value as Record<string, unknown> | null;
  if (typeof v !== "object" || v === null || v["pk"] !== pk || Object.keys(v).length !== 3) throw new InvalidCursorError(cursor);
  if (v["phase"] === "journal" && typeof v["sk"] === "string" && v["sk"].startsWith(HISTORY_SK_PREFIX) && v["sk"].length <= 512)
    return { phase: "journal", sk: v["sk"] };
  if (v["phase"] === "legacy" && Number.isSafeInteger(v["index"]) && (v["index"] as number) >= 0) return { phase: "legacy", index: v["index"] as number };
  throw new InvalidCursorError(cursor);
}

/**
 * Records in DynamoDB. Writes are conditional on the record's `version`, so two reconcilers (or a reconciler and
 * the API) never both act on the same state. History entries are items of the journal table in the record's
 * partition, so the record item stays bounded: they are written before the record (with the version the write
 * gives it), removed again when the write loses its condition, and read back only up to the record's version.
 * A record item written by an older version with a `history` list is read as before and its list is moved to the
 * journal by the next write.
 */
export class DynamoRecordStore implements RecordStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly journalTableName: string,
  ) {}

  async scan(options: { cursor?: string; limit?: number } = {}): Promise<{ records: CapacityRecord[]; cursor?: string }> {
    const start = decodeCursor(options.cursor);
    const page = await this.doc.send(
      new ScanCommand({ TableName: this.tableName, Limit: options.limit ?? DEFAULT_SCAN_LIMIT, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    const cursor = encodeCursor(page.LastEvaluatedKey);
    return { records: (page.Items ?? []).map(toRecord), ...(cursor ? { cursor } : {}) };
  }

  async get(pk: string): Promise<CapacityRecord | undefined> {
    const item = await this.getItem(pk);
    return item ? toRecord(item) : undefined;
  }

  private async getItem(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { [PK]: pk }, ConsistentRead: true }));
    return out.Item;
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
      records.push(...(page.Items ?? []).map(toRecord));
      start = page.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async create(record: CapacityRecord, history: readonly HistoryEntry[] = []): Promise<void> {
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
    const writeId = newWriteId();
    await this.putJournal(
      history.map((entry, i) => ({ ...entry, PK: record.PK, SK: historySortKey(entry, record.version, i, writeId), version: record.version })),
    );
  }

  async update(pk: string, expectedVersion: number, changes: RecordChanges, history: readonly HistoryEntry[]): Promise<CapacityRecord> {
    const version = expectedVersion + 1;
    const writeId = newWriteId();
    const items = history.map((entry, i) => ({ ...entry, PK: pk, SK: historySortKey(entry, version, i, writeId), version }));
    // Entries first: a reader shows them only once the record reaches their version, so none is lost if the
    // record write's reply is; if the write loses its condition they are removed again.
    await this.putJournal(items);
    let item: Record<string, unknown>;
    try {
      item = await this.updateRecordItem(pk, expectedVersion, changes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        await this.deleteJournal(items).catch(() => undefined);
        throw await this.conflictOrMissing(pk, expectedVersion);
      }
      throw error;
    }
    if (Array.isArray(item["history"])) await this.moveLegacyHistory(pk, item["history"] as HistoryEntry[], version).catch(() => undefined);
    return toRecord(item);
  }

  /**
   * The conditional record write. An item of the old layout whose history list has grown to DynamoDB's size limit
   * refuses every write; its list is then moved to the journal first (at the expected version) and the write retried.
   */
  private async updateRecordItem(pk: string, expectedVersion: number, changes: RecordChanges): Promise<Record<string, unknown>> {
    const send = async () =>
      (await this.doc.send(new UpdateCommand({ ...buildUpdate(this.tableName, pk, expectedVersion, changes), ReturnValues: "ALL_NEW" }))).Attributes as Record<
        string,
        unknown
      >;
    try {
      return await send();
    } catch (error) {
      if (!isItemTooLarge(error)) throw error;
      const current = await this.getItem(pk);
      if (!current || !Array.isArray(current["history"]) || current["version"] !== expectedVersion) throw error;
      await this.moveLegacyHistory(pk, current["history"] as HistoryEntry[], expectedVersion);
      return send();
    }
  }

  /**
   * Moves an old item's `history` list into the journal (entries marked `legacy`, readable at any version), then
   * removes the list if the record is still at `version`. Until then readers show the list, not the copies.
   */
  private async moveLegacyHistory(pk: string, entries: readonly HistoryEntry[], version: number): Promise<void> {
    await this.putJournal(entries.map((entry, i) => ({ ...entry, PK: pk, SK: legacySortKey(entry, i), version: 0, legacy: true })));
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { [PK]: pk },
        UpdateExpression: "REMOVE #h",
        ConditionExpression: "#v = :v",
        ExpressionAttributeNames: { "#h": "history", "#v": "version" },
        ExpressionAttributeValues: { ":v": version },
      }),
    );
  }

  async history(pk: string, options: { cursor?: string; limit?: number } = {}): Promise<HistoryPage> {
    const position = options.cursor === undefined ? undefined : decodeHistoryCursor(pk, options.cursor);
    const item = await this.getItem(pk);
    if (!item) throw new RecordNotFoundError(pk);
    const version = Number(item["version"]);
    const createdAt = String(item["createdAt"] ?? "");
    const legacy = Array.isArray(item["history"]) ? (item["history"] as HistoryEntry[]) : undefined;
    const limit = options.limit ?? DEFAULT_HISTORY_PAGE;
    const entries: HistoryEntry[] = [];

    let journalFrom: string | undefined = position?.phase === "journal" ? position.sk : undefined;
    let journalDone = position?.phase === "legacy";
    while (!journalDone && entries.length < limit) {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.journalTableName,
          KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
          ExpressionAttributeNames: { "#pk": JOURNAL_PARTITION_KEY.name, "#sk": JOURNAL_SORT_KEY.name },
          ExpressionAttributeValues: { ":pk": pk, ":prefix": HISTORY_SK_PREFIX },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: limit - entries.length,
          ...(journalFrom ? { ExclusiveStartKey: { [JOURNAL_PARTITION_KEY.name]: pk, [JOURNAL_SORT_KEY.name]: journalFrom } } : {}),
        }),
      );
      for (const raw of (page.Items ?? []) as JournalItem[]) {
        // Hidden: entries of a write that has not reached the record (or lost its condition), copies of a list
        // the record still holds, and entries of an earlier record under the same PK.
        if (raw.version > version || (raw.legacy && legacy) || (!raw.legacy && raw.at < createdAt)) continue;
        entries.push(toEntry(raw as unknown as Record<string, unknown>));
      }
      const last = page.LastEvaluatedKey?.[JOURNAL_SORT_KEY.name];
      if (typeof last === "string") journalFrom = last;
      else journalDone = true;
    }
    if (!journalDone) return { entries, ...(journalFrom ? { cursor: encodeHistoryCursor(pk, { phase: "journal", sk: journalFrom }) } : {}) };

    // Entries still in an old item's list are older than every journal entry: they follow, newest first.
    if (legacy && legacy.length > 0) {
      let index = position?.phase === "legacy" ? position.index : legacy.length - 1;
      if (index >= legacy.length) throw new InvalidCursorError(options.cursor ?? "");
      while (index >= 0 && entries.length < limit) entries.push(legacy[index--] as HistoryEntry);
      if (index >= 0) return { entries, cursor: encodeHistoryCursor(pk, { phase: "legacy", index }) };
    }
    return { entries };
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

  private async putJournal(items: readonly JournalItem[]): Promise<void> {
    await this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  private async deleteJournal(items: readonly JournalItem[]): Promise<void> {
    await this.batchWrite(items.map((i) => ({ DeleteRequest: { Key: { [JOURNAL_PARTITION_KEY.name]: i.PK, [JOURNAL_SORT_KEY.name]: i.SK } } })));
  }

  /** BatchWriteItem in chunks of 25, writing what DynamoDB left unprocessed again with a short backoff. */
  private async batchWrite(requests: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX) {
      let pending = requests.slice(i, i + BATCH_WRITE_MAX);
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > BATCH_WRITE_ATTEMPTS) throw new Error(`journal write: ${pending.length} items still unprocessed after ${BATCH_WRITE_ATTEMPTS} attempts`);
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.journalTableName]: pending as never } }));
        pending = (out.UnprocessedItems?.[this.journalTableName] ?? []) as Record<string, unknown>[];
      }
    }
  }

  private async conflictOrMissing(pk: string, expectedVersion: number): Promise<Error> {
    const current = await this.get(pk);
    return current ? new VersionConflictError(pk, expectedVersion) : new RecordNotFoundError(pk);
  }
}

/** SET for changed fields, REMOVE for nulls, version + 1; all conditional on the version. */
export function buildUpdate(tableName: string, pk: string, expectedVersion: number, changes: RecordChanges): UpdateCommandInput {
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
  return {
    TableName: tableName,
    Key: { [PK]: pk },
    UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
    ConditionExpression: "#v = :expected",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
