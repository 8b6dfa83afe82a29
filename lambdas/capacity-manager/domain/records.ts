import { DomainError } from "./errors";
import type { CapacityRecord, HistoryEntry, RecordChanges, RecordSpec } from "./types";

/** A record as first stored: the owner's fields, manager state at its initial values. */
export function newRecord(spec: RecordSpec, now: Date, origin: "CREATED" | "IMPORTED", by?: string): CapacityRecord {
  const at = now.toISOString();
  return {
    ...spec,
    approved: false,
    createdAt: at,
    updatedAt: at,
    status: "TRACKING",
    statusReason: origin === "CREATED" ? "created; the next reconcile checks the reservation against EC2" : "imported from EC2",
    version: 0,
    history: [{ at, kind: origin, detail: origin === "CREATED" ? "created through the API" : "imported from the account's capacity blocks", ...(by ? { by } : {}) }],
  };
}

export interface RecordMutation {
  readonly changes: RecordChanges;
  readonly history: readonly HistoryEntry[];
}

/**
 * Changes from PUT /{PK}: owner fields only. A purchase in flight is never changed under it. The caller is
 * recorded because policy changes (requireApproval, maxUpfrontFeeUsd) decide what may be bought.
 */
export function updateRecord(record: CapacityRecord, patch: RecordChanges, now: Date, by?: string): RecordMutation {
  if (record.status === "PURCHASING") {
    throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${record.PK} is buying an extension; try again when the purchase settles`);
  }
  const names = Object.keys(patch);
  return {
    changes: { ...patch, updatedAt: now.toISOString() },
    history: [{ at: now.toISOString(), kind: "UPDATED", detail: `updated ${names.join(", ") || "nothing"}`, ...(by ? { by } : {}) }],
  };
}

/**
 * PATCH /{PK}: with a pending proposal, approves exactly that proposal's fee and duration;
 * without one, approves the next proposal up to the record's maxUpfrontFeeUsd.
 */
export function approveRecord(record: CapacityRecord, approvedBy: string, now: Date): RecordMutation {
  const at = now.toISOString();
  if (record.status === "PURCHASING") {
    throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${record.PK} is already buying an extension`);
  }
  if (record.status === "DUPLICATE") {
    throw new DomainError("conflict", "DUPLICATE_RECORD", `record ${record.PK} never buys: ${record.statusReason ?? "another record tracks its reservation"}; approve that record`);
  }
  const proposal = record.status === "AWAITING_APPROVAL" || record.status === "APPROVED" ? record.proposal : undefined;
  if (proposal) {
    return {
      changes: {
        approved: true,
        approval: {
          by: approvedBy,
          at,
          maxFeeUsd: proposal.feeUsd,
          durationHours: proposal.durationHours,
          forEndDate: proposal.forEndDate,
          offeringId: proposal.offeringId,
        },
        status: "APPROVED",
        statusReason: `approved by ${approvedBy}: ${proposal.durationHours} h for up to $${proposal.feeUsd.toFixed(2)}`,
        updatedAt: at,
      },
      history: [{ at, kind: "APPROVED", approvedBy, offeringId: proposal.offeringId, feeUsd: proposal.feeUsd, durationHours: proposal.durationHours, detail: "approved the pending proposal" }],
    };
  }
  if (record.maxUpfrontFeeUsd === undefined) {
    throw new DomainError(
      "invalid",
      "NOTHING_TO_APPROVE",
      `record ${record.PK} has no pending proposal and no maxUpfrontFeeUsd to bound an advance approval; set maxUpfrontFeeUsd or wait for the proposal`,
      "maxUpfrontFeeUsd",
    );
  }
  return {
    changes: {
      approved: true,
      approval: { by: approvedBy, at, maxFeeUsd: record.maxUpfrontFeeUsd, durationHours: record.extendByHours },
      status: "APPROVED",
      statusReason: `approved in advance by ${approvedBy}: next ${record.extendByHours} h extension up to $${record.maxUpfrontFeeUsd.toFixed(2)}`,
      updatedAt: at,
    },
    history: [{ at, kind: "APPROVED", approvedBy, feeUsd: record.maxUpfrontFeeUsd, durationHours: record.extendByHours, detail: "advance approval up to maxUpfrontFeeUsd" }],
  };
}

/**
 * For reservations tracked by several records (two POSTs racing, a re-import under another PK), the record
 * that makes the decisions: the oldest, then the smallest PK. Every run picks the same one, so only one
 * record ever buys for a block end. Returns duplicate PK → owner PK.
 */
export function reservationOwners(records: readonly Pick<CapacityRecord, "PK" | "capacityReservationId" | "createdAt">[]): Map<string, string> {
  const owner = new Map<string, Pick<CapacityRecord, "PK" | "createdAt">>();
  for (const r of records) {
    const current = owner.get(r.capacityReservationId);
    if (!current || r.createdAt < current.createdAt || (r.createdAt === current.createdAt && r.PK < current.PK)) owner.set(r.capacityReservationId, r);
  }
  const duplicates = new Map<string, string>();
  for (const r of records) {
    const first = owner.get(r.capacityReservationId);
    if (first && first.PK !== r.PK) duplicates.set(r.PK, first.PK);
  }
  return duplicates;
}

/** The record as it reads after a mutation (used by in-memory stores and simulations). */
export function applyChanges(record: CapacityRecord, changes: RecordChanges, history: readonly HistoryEntry[]): CapacityRecord {
  const next: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  next["history"] = [...record.history, ...history];
  next["version"] = record.version + 1;
  return next as unknown as CapacityRecord;
}
