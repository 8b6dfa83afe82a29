import { type SpendEntry, utcMonthOf } from "../domain/spend";

/**
 * DynamoDB table contracts of the capacity manager, shared with the infrastructure that creates the tables.
 *
 * Records table: one item per tracked block (`PK`). The item holds the block's current state only and stays
 * under RECORD_ITEM_BUDGET_BYTES whatever the record lived through (a test runs a record through 5 years).
 *
 * Journal table: what happened to each record, as items of their own in the record's partition (`PK` = the
 * record's PK), sorted by time in `SK`:
 *   HISTORY#<ISO time>#<record version, 10 digits>#<entry index, 3 digits>#<writer id>   a history entry
 *   HISTORY#<ISO time>#legacy#<index, 5 digits>                                         an entry moved out of an old item
 * Every item kind gets its own SK prefix, so one Query (begins_with) reads one kind in time order and the
 * record item never grows.
 *
 * Spend ledger: one item per purchase settled as bought, in a partition per UTC month of its own, so
 * `GET /spend?month=` (and the budget check) is one Query per month, never a Scan:
 *   PK = LEDGER/<YYYY-MM>   SK = LEDGER#<ISO time the intent started>#<intent id>
 * A record's PK can never contain '/' (domain/keys.ts), so no record partition is ever a ledger partition, and the
 * reconcile role's policy can deny updates and deletes on `LEDGER/*` partitions by their leading key. Both parts of
 * the key come from the purchase intent, so a retried write targets the same item and is put only if absent.
 */
export const TABLE_PARTITION_KEY = { name: "PK", type: "S" } as const;

/** Index used by EC2 events to find the records of a reservation. */
export const RESERVATION_INDEX = {
  name: "byCapacityReservationId",
  partitionKey: { name: "capacityReservationId", type: "S" },
  projection: "ALL",
} as const;

/** Epoch seconds; set on records whose block expired or vanished so DynamoDB removes them later. */
export const TTL_ATTRIBUTE = "expiresAt";

/** All key attributes, for the table's attribute definitions. */
export const TABLE_ATTRIBUTES = [TABLE_PARTITION_KEY, RESERVATION_INDEX.partitionKey] as const;

/** Journal table keys: the record's PK and a sortable key whose prefix names the item kind. */
export const JOURNAL_PARTITION_KEY = { name: "PK", type: "S" } as const;
export const JOURNAL_SORT_KEY = { name: "SK", type: "S" } as const;
export const JOURNAL_ATTRIBUTES = [JOURNAL_PARTITION_KEY, JOURNAL_SORT_KEY] as const;
export const HISTORY_SK_PREFIX = "HISTORY#";
/** Sort key prefix of spend ledger items. */
export const LEDGER_SK_PREFIX = "LEDGER#";
/** Partition key prefix of the spend ledger's month partitions (a '/' no record PK may hold). */
export const LEDGER_PK_PREFIX = "LEDGER/";

/** The ledger partition of a UTC month (`YYYY-MM`). */
export const ledgerPartitionKey = (month: string): string => `${LEDGER_PK_PREFIX}${month}`;

/** The ledger item key of a purchase: its month's partition, then the intent's start time and id. */
export function ledgerItemKey(entry: Pick<SpendEntry, "purchasedAt" | "intentId">): { readonly PK: string; readonly SK: string } {
  return { PK: ledgerPartitionKey(utcMonthOf(entry.purchasedAt)), SK: `${LEDGER_SK_PREFIX}${entry.purchasedAt}#${entry.intentId}` };
}

/**
 * Largest size a record item may reach (DynamoDB refuses items over 400 KB; a record's state is a few KB).
 * Enforced by tests over years of simulated operation, not at runtime.
 */
export const RECORD_ITEM_BUDGET_BYTES = 8 * 1024;
