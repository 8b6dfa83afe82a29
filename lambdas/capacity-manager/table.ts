/**
 * DynamoDB table contract of the capacity manager, shared with the infrastructure that creates the table.
 * One item per tracked block; its history lives in the item (append-only list).
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
