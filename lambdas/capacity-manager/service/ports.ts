import type { DeclaredBlock } from "../domain/declared";
import type { SpendEntry } from "../domain/spend";
import type {
  CapacityRecord,
  ExtensionView,
  HistoryEntry,
  NewBlockOfferingView,
  NewBlockQuery,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  RecordChanges,
  ReservationView,
} from "../domain/types";

/** One page of a record's history, newest first. */
export interface HistoryPage {
  readonly entries: HistoryEntry[];
  /** Continues with older entries; absent on the last page. */
  readonly cursor?: string;
}

/**
 * Persistence of tracked records. Every write is conditional; history is append-only and kept beside the record
 * (items of their own), so a record item stays bounded however long it lives.
 */
export interface RecordStore {
  /** One page of records in key order; `cursor` continues after the previous page. */
  scan(options?: { readonly cursor?: string; readonly limit?: number }): Promise<{ records: CapacityRecord[]; cursor?: string }>;
  get(pk: string): Promise<CapacityRecord | undefined>;
  /** Records tracking a given reservation (usually one). */
  findByReservationId(capacityReservationId: string): Promise<CapacityRecord[]>;
  /** @throws RecordExistsError when the PK is taken. */
  create(record: CapacityRecord, history?: readonly HistoryEntry[]): Promise<void>;
  /**
   * The record's history, newest first, `limit` entries a page; `cursor` continues after the previous page.
   * @throws RecordNotFoundError when the record does not exist; InvalidCursorError for a cursor it did not produce.
   */
  history(pk: string, options?: { readonly cursor?: string; readonly limit?: number }): Promise<HistoryPage>;
  /**
   * Applies `changes` and appends `history` if the stored version still equals `expectedVersion`.
   * @throws VersionConflictError when another writer got there first; RecordNotFoundError when gone.
   */
  update(pk: string, expectedVersion: number, changes: RecordChanges, history: readonly HistoryEntry[]): Promise<CapacityRecord>;
  /** @throws VersionConflictError / RecordNotFoundError. */
  delete(pk: string, expectedVersion: number): Promise<void>;
}

export interface ReservationLookup {
  readonly found: ReadonlyMap<string, ReservationView>;
  /** Ids EC2 reports as not existing (or malformed). */
  readonly missing: ReadonlySet<string>;
}

export interface CapacityApi {
  describeReservations(ids: readonly string[]): Promise<ReservationLookup>;
  describeExtensionHistory(ids: readonly string[]): Promise<ExtensionView[]>;
  describeExtensionOfferings(capacityReservationId: string, durationHours: number): Promise<OfferingView[]>;
  /** Never retried: the answer is classified as purchased, rejected (nothing bought) or unknown. */
  purchaseExtension(capacityReservationId: string, intent: PurchaseIntent): Promise<PurchaseOutcome>;
  /** The account's active and scheduled capacity blocks. */
  listCapacityBlocks(): Promise<ReservationView[]>;
}

/**
 * Buying new blocks (replacements), a capability of its own: deployed only where the environment allows new
 * purchases (`capacity_manager.allow_new_purchases`, which grants the IAM actions).
 */
export interface NewBlockMarket {
  /** New blocks on sale (DescribeCapacityBlockOfferings) of one type, count and duration, starting from `from`, in every zone. */
  describeNewBlockOfferings(query: NewBlockQuery, from: Date): Promise<NewBlockOfferingView[]>;
  /**
   * PurchaseCapacityBlock of `intent.offeringId`, tagging the reservation with `tags` and
   * `blockfleet.io/intent-id = intent.intentId`. Never retried: classified like `purchaseExtension`.
   */
  purchaseNewBlock(intent: PurchaseIntent, tags: Readonly<Record<string, string>>): Promise<PurchaseOutcome>;
  /** Reservations tagged `blockfleet.io/intent-id` with one of `intentIds`, by intent id (absent: none). */
  findReservationsByIntent(intentIds: readonly string[]): Promise<ReadonlyMap<string, readonly ReservationView[]>>;
}

export interface Notifier {
  publish(subject: string, message: string, attributes: Readonly<Record<string, string>>): Promise<void>;
}

export interface NodeGroupScaler {
  /** Sets the node group's desired size if it differs; returns the size found before. */
  ensureDesiredSize(clusterName: string, nodegroupName: string, desiredSize: number): Promise<{ changed: boolean; previous: number | undefined }>;
}

/** The blocks environment files declare, from where Terraform put them; the manager only reads it. */
export interface DeclaredBlocksSource {
  /** undefined: no declared set is deployed (nothing is created or released from it). */
  read(): Promise<readonly DeclaredBlock[] | undefined>;
}

/** One page of a month's spend ledger, in time order. */
export interface LedgerPage {
  readonly entries: SpendEntry[];
  /** Continues with later entries; absent on the last page. */
  readonly cursor?: string;
}

/**
 * The append-only spend ledger: one item per purchase settled as bought, never changed or removed. A month is read
 * with one Query (its own partition, see table.ts).
 */
export interface SpendLedger {
  /**
   * Writes the entry if the ledger has no item for its intent yet. "exists" when it has (a retry after a lost reply,
   * or a second run): the stored item is kept as it is.
   */
  append(entry: SpendEntry): Promise<"written" | "exists">;
  /**
   * One page of a UTC month's entries (`YYYY-MM`), oldest first.
   * @throws InvalidCursorError for a cursor it did not produce.
   */
  month(month: string, options?: { readonly cursor?: string; readonly limit?: number }): Promise<LedgerPage>;
}

/** Every entry of a month, following the pages. */
export async function readLedgerMonth(ledger: SpendLedger, month: string): Promise<SpendEntry[]> {
  const entries: SpendEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.month(month, cursor !== undefined ? { cursor } : {});
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return entries;
}
