import { isPrintableKey } from "../domain/keys";
import { applyChanges } from "../domain/records";
import type { CapacityRecord, HistoryEntry, RecordChanges } from "../domain/types";
import { InvalidCursorError, RecordExistsError, RecordNotFoundError, VersionConflictError } from "../service/errors";
import type { HistoryPage, RecordStore } from "../service/ports";

const DEFAULT_HISTORY_PAGE = 50;

function decodeJson(cursor: string): unknown {
  if (cursor.length === 0 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError(cursor);
  try {
    return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
  } catch {
    throw new InvalidCursorError(cursor);
  }
}

const encodeJson = (value: unknown): string => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");

/**
 * The RecordStore contract in memory, with DynamoDB's semantics (conditional writes on the version,
 * append-only history kept beside the record, key-ordered pages). Used by simulations and benchmarks; every
 * call yields once so concurrent callers interleave like they would over the network.
 */
export class InMemoryRecordStore implements RecordStore {
  private readonly records = new Map<string, CapacityRecord>();
  private readonly journal = new Map<string, HistoryEntry[]>();

  async scan(options: { cursor?: string; limit?: number } = {}): Promise<{ records: CapacityRecord[]; cursor?: string }> {
    await Promise.resolve();
    let after: string | undefined;
    if (options.cursor !== undefined) {
      const key = decodeJson(options.cursor);
      if (typeof key !== "string" || !isPrintableKey(key)) throw new InvalidCursorError(options.cursor);
      after = key;
    }
    const keys = [...this.records.keys()].sort().filter((k) => after === undefined || k > after);
    const page = keys.slice(0, options.limit ?? 500);
    const more = keys.length > page.length;
    const last = page.at(-1);
    return {
      records: page.map((k) => structuredClone(this.records.get(k) as CapacityRecord)),
      ...(more && last !== undefined ? { cursor: encodeJson(last) } : {}),
    };
  }

  async get(pk: string): Promise<CapacityRecord | undefined> {
    await Promise.resolve();
    const record = this.records.get(pk);
    return record ? structuredClone(record) : undefined;
  }

  async findByReservationId(capacityReservationId: string): Promise<CapacityRecord[]> {
    await Promise.resolve();
    return [...this.records.values()].filter((r) => r.capacityReservationId === capacityReservationId).map((r) => structuredClone(r));
  }

  async create(record: CapacityRecord, history: readonly HistoryEntry[] = []): Promise<void> {
    await Promise.resolve();
    if (this.records.has(record.PK)) throw new RecordExistsError(record.PK);
    this.records.set(record.PK, structuredClone(record));
    // A PK used before starts a new history, as the DynamoDB store's reader does (entries older than the record).
    this.journal.set(record.PK, structuredClone([...history]));
  }

  async history(pk: string, options: { cursor?: string; limit?: number } = {}): Promise<HistoryPage> {
    await Promise.resolve();
    if (!this.records.has(pk)) throw new RecordNotFoundError(pk);
    let offset = 0;
    if (options.cursor !== undefined) {
      const position = decodeJson(options.cursor) as { pk?: unknown; offset?: unknown } | null;
      if (
        typeof position !== "object" ||
        position === null ||
        position.pk !== pk ||
        !Number.isSafeInteger(position.offset) ||
        (position.offset as number) < 0
      ) {
        throw new InvalidCursorError(options.cursor);
      }
      offset = position.offset as number;
    }
    const newestFirst = [...(this.journal.get(pk) ?? [])].reverse();
    const limit = options.limit ?? DEFAULT_HISTORY_PAGE;
    const entries = newestFirst.slice(offset, offset + limit);
    const next = offset + entries.length;
    return { entries: structuredClone(entries), ...(next < newestFirst.length ? { cursor: encodeJson({ pk, offset: next }) } : {}) };
  }

  async update(pk: string, expectedVersion: number, changes: RecordChanges, history: readonly HistoryEntry[]): Promise<CapacityRecord> {
    await Promise.resolve();
    const current = this.records.get(pk);
    if (!current) throw new RecordNotFoundError(pk);
    if (current.version !== expectedVersion) throw new VersionConflictError(pk, expectedVersion);
    const next = applyChanges(current, structuredClone(changes));
    this.records.set(pk, next);
    const journal = this.journal.get(pk) ?? [];
    journal.push(...structuredClone([...history]));
    this.journal.set(pk, journal);
    return structuredClone(next);
  }

  async delete(pk: string, expectedVersion: number): Promise<void> {
    await Promise.resolve();
    const current = this.records.get(pk);
    if (!current) throw new RecordNotFoundError(pk);
    if (current.version !== expectedVersion) throw new VersionConflictError(pk, expectedVersion);
    this.records.delete(pk);
  }

  /** Every history entry of a record, oldest first (simulations and tests). */
  allHistory(pk: string): HistoryEntry[] {
    return structuredClone(this.journal.get(pk) ?? []);
  }

  /** Records held, for simulations and benchmarks. */
  get size(): number {
    return this.records.size;
  }
}
