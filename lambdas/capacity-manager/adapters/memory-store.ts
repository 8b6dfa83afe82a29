import { applyChanges } from "../domain/records";
import type { CapacityRecord, HistoryEntry, RecordChanges } from "../domain/types";
import { RecordExistsError, RecordNotFoundError, VersionConflictError } from "../service/errors";
import type { RecordStore } from "../service/ports";

/**
 * The RecordStore contract in memory, with DynamoDB's semantics (conditional writes on the version,
 * append-only history, key-ordered pages). Used by simulations and benchmarks; every call yields once
 * so concurrent callers interleave like they would over the network.
 */
export class InMemoryRecordStore implements RecordStore {
  private readonly records = new Map<string, CapacityRecord>();

  async scan(options: { cursor?: string; limit?: number } = {}): Promise<{ records: CapacityRecord[]; cursor?: string }> {
    await Promise.resolve();
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor, "base64url").toString("utf8");
    const keys = [...this.records.keys()].sort().filter((k) => after === undefined || k > after);
    const page = keys.slice(0, options.limit ?? 500);
    const more = keys.length > page.length;
    const last = page.at(-1);
    return {
      records: page.map((k) => structuredClone(this.records.get(k) as CapacityRecord)),
      ...(more && last !== undefined ? { cursor: Buffer.from(last, "utf8").toString("base64url") } : {}),
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

  async create(record: CapacityRecord): Promise<void> {
    await Promise.resolve();
    if (this.records.has(record.PK)) throw new RecordExistsError(record.PK);
    this.records.set(record.PK, structuredClone(record));
  }

  async update(pk: string, expectedVersion: number, changes: RecordChanges, history: readonly HistoryEntry[]): Promise<CapacityRecord> {
    await Promise.resolve();
    const current = this.records.get(pk);
    if (!current) throw new RecordNotFoundError(pk);
    if (current.version !== expectedVersion) throw new VersionConflictError(pk, expectedVersion);
    const next = applyChanges(current, structuredClone(changes), structuredClone(history));
    this.records.set(pk, next);
    return structuredClone(next);
  }

  async delete(pk: string, expectedVersion: number): Promise<void> {
    await Promise.resolve();
    const current = this.records.get(pk);
    if (!current) throw new RecordNotFoundError(pk);
    if (current.version !== expectedVersion) throw new VersionConflictError(pk, expectedVersion);
    this.records.delete(pk);
  }

  /** Records held, for simulations and benchmarks. */
  get size(): number {
    return this.records.size;
  }
}
