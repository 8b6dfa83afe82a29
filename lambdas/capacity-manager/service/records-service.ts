import { refuseFileOwnedChange } from "../domain/declared";
import { DomainError } from "../domain/errors";
import { approveRecord, assertCreatableByWriter, clearUnconfirmedPurchase, creationEntry, newRecord, updateRecord } from "../domain/records";
import { DEFAULT_EXTEND_BEFORE_HOURS, DEFAULT_EXTEND_BY_HOURS, DEFAULT_REQUIRE_APPROVAL } from "../domain/rules";
import type { ApprovalTarget, CapacityRecord, MoneyPolicyChanges, RecordChanges, RecordSpec } from "../domain/types";
import { RecordExistsError } from "./errors";
import type { CapacityApi, HistoryPage, RecordStore } from "./ports";

export interface RecordsServiceDeps {
  readonly store: RecordStore;
  readonly ec2: CapacityApi;
  readonly clock: () => Date;
}

export interface ImportResult {
  readonly imported: string[];
  readonly alreadyTracked: string[];
}

/** The API's operations on records; parsing and HTTP mapping stay in the handler. */
export class RecordsService {
  constructor(private readonly deps: RecordsServiceDeps) {}

  list(limit: number, cursor: string | undefined): Promise<{ records: CapacityRecord[]; cursor?: string }> {
    return this.deps.store.scan({ limit, ...(cursor !== undefined ? { cursor } : {}) });
  }

  /** A record's history, newest first. */
  history(pk: string, limit: number, cursor: string | undefined): Promise<HistoryPage> {
    return this.deps.store.history(pk, { limit, ...(cursor !== undefined ? { cursor } : {}) });
  }

  async get(pk: string): Promise<CapacityRecord> {
    const record = await this.deps.store.get(pk);
    if (!record) throw new DomainError("not-found", "RECORD_NOT_FOUND", `record ${pk} does not exist`, "PK");
    return record;
  }

  /**
   * Stores the record without calling EC2; the next reconcile checks the reservation. A reservation
   * already tracked by another record is refused (two records would each try to extend it; the
   * reconciler's owner rule covers two POSTs that race past this check).
   */
  async create(spec: RecordSpec, by?: string): Promise<CapacityRecord> {
    assertCreatableByWriter(spec);
    const tracking = await this.deps.store.findByReservationId(spec.capacityReservationId);
    const other = tracking.find((r) => r.PK !== spec.PK);
    if (other) {
      throw new DomainError(
        "conflict",
        "RESERVATION_TRACKED",
        `${spec.capacityReservationId} is already tracked by record ${other.PK}; update that record instead`,
        "capacityReservationId",
      );
    }
    const now = this.deps.clock();
    const record = newRecord(spec, now, "CREATED");
    await this.deps.store.create(record, [creationEntry(now, "CREATED", by)]);
    return record;
  }

  async update(pk: string, patch: RecordChanges, by?: string): Promise<CapacityRecord> {
    const record = await this.get(pk);
    refuseFileOwnedChange(record, "update", Object.keys(patch));
    const mutation = updateRecord(record, patch, this.deps.clock(), by);
    return this.deps.store.update(pk, record.version, mutation.changes, mutation.history);
  }

  async remove(pk: string): Promise<void> {
    const record = await this.get(pk);
    refuseFileOwnedChange(record, "delete");
    // Deleting (and re-creating) a record must not forget a purchase that may have gone through.
    if (record.status === "PURCHASE_UNCONFIRMED") {
      throw new DomainError(
        "conflict",
        "PURCHASE_UNCONFIRMED",
        `record ${pk} holds an unconfirmed purchase; an approver clears it (PATCH /${encodeURIComponent(pk)} with body {"clearUnconfirmedPurchase": true}) before it can be deleted`,
      );
    }
    if (record.status === "PURCHASING" || record.intent !== undefined) {
      throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${pk} is buying an extension; delete it once the purchase settles`);
    }
    await this.deps.store.delete(pk, record.version);
  }

  /** Approves, applying the approver's money policy changes with the approval; says what the approval pays for. */
  async approve(pk: string, approvedBy: string, policy: MoneyPolicyChanges = {}): Promise<CapacityRecord & { readonly appliesTo: ApprovalTarget }> {
    const record = await this.get(pk);
    // The file owns a declared block's policy; restating its values (an advance approval's cap) changes nothing.
    const changed = Object.entries(policy).filter(([field, value]) => (value ?? undefined) !== (record as unknown as Record<string, unknown>)[field]);
    refuseFileOwnedChange(
      record,
      "update",
      changed.map(([field]) => field),
    );
    const mutation = approveRecord(record, approvedBy, this.deps.clock(), policy);
    const approved = await this.deps.store.update(pk, record.version, mutation.changes, mutation.history);
    return { ...approved, appliesTo: mutation.appliesTo };
  }

  /** An approver found in EC2 that a held purchase was not made: buying may resume. */
  async clearUnconfirmedPurchase(pk: string, approvedBy: string): Promise<CapacityRecord> {
    const record = await this.get(pk);
    const mutation = clearUnconfirmedPurchase(record, approvedBy, this.deps.clock());
    return this.deps.store.update(pk, record.version, mutation.changes, mutation.history);
  }

  /** Tracks the account's active and scheduled capacity blocks not tracked yet (PK = reservation id). */
  async importBlocks(by?: string): Promise<ImportResult> {
    const blocks = await this.deps.ec2.listCapacityBlocks();
    const result: ImportResult = { imported: [], alreadyTracked: [] };
    const now = this.deps.clock();
    for (const block of blocks) {
      const id = block.capacityReservationId;
      if ((await this.deps.store.findByReservationId(id)).length > 0) {
        result.alreadyTracked.push(id);
        continue;
      }
      const spec: RecordSpec = {
        PK: id,
        capacityReservationId: id,
        instanceType: block.instanceType ?? "",
        availabilityZone: block.availabilityZone ?? "",
        platform: block.platform ?? "",
        tenancy: block.tenancy ?? "default",
        startDate: block.startDate ?? "",
        endDate: block.endDate ?? "",
        instanceCount: block.instanceCount ?? 0,
        extendBeforeHours: DEFAULT_EXTEND_BEFORE_HOURS,
        extendByHours: DEFAULT_EXTEND_BY_HOURS,
        requireApproval: DEFAULT_REQUIRE_APPROVAL,
      };
      try {
        await this.deps.store.create({ ...newRecord(spec, now, "IMPORTED"), reservationState: block.state }, [creationEntry(now, "IMPORTED", by)]);
        result.imported.push(id);
      } catch (error) {
        if (!(error instanceof RecordExistsError)) throw error;
        result.alreadyTracked.push(id);
      }
    }
    return result;
  }
}
