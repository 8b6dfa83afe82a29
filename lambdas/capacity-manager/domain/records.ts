import { DomainError } from "./errors";
import type { CapacityRecord, HistoryEntry, RecordChanges, RecordSpec } from "./types";

/** A record as first stored: the owner's fields, manager state at its initial values. */
export function newRecord(spec: RecordSpec, now: Date, origin: "CREATED" | "IMPORTED"): CapacityRecord {
  const at = now.toISOString();
  return {
    ...spec,
    approved: false,
    createdAt: at,
    updatedAt: at,
    status: "TRACKING",
    statusReason: origin === "CREATED" ? "created; the next reconcile checks the reservation against EC2" : "imported from EC2",
    version: 0,
    history: [{ at, kind: origin, detail: origin === "CREATED" ? "created through the API" : "imported from the account's capacity blocks" }],
  };
}

export interface RecordMutation {
  readonly changes: RecordChanges;
  readonly history: readonly HistoryEntry[];
}

/** Changes from PUT /{PK}: owner fields only. A purchase in flight is never changed under it. */
export function updateRecord(record: CapacityRecord, patch: RecordChanges, now: Date): RecordMutation {
  if (record.status === "PURCHASING") {
    throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${record.PK} is buying an extension; try again when the purchase settles`);
  }
  const names = Object.keys(patch);
  return {
    changes: { ...patch, updatedAt: now.toISOString() },
    history: [{ at: now.toISOString(), kind: "UPDATED", detail: `updated ${names.join(", ") || "nothing"}` }],
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
