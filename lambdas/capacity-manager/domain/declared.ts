/**
 * Blocks declared in an environment file reach the manager through a document Terraform owns (an SSM parameter
 * the cluster stack writes) and the manager only reads. This module decides, purely, how the stored records follow
 * that document: a declared block is tracked with the file's money policy and node group link (the file wins),
 * while approvals, proposals, purchases, notifications, status and history stay the manager's. A block removed
 * from the file stops being tracked (UNTRACKED, history kept until the TTL). Records nobody declared (bought by
 * hand, imported, POSTed) are left alone.
 */
import { DomainError } from "./errors";
import { moneyPolicyOf, newRecord, reservationOwners, withdrawWhatPolicyNoLongerAllows } from "./records";
import { RECORD_RETENTION_MS } from "./rules";
import type { CapacityRecord, HistoryEntry, MoneyPolicy, NodeGroupLink, RecordChanges } from "./types";

/** Version of the declared-blocks document; the reader refuses others. */
export const DECLARED_DOCUMENT_VERSION = 1;

/** One `capacity_blocks` entry as the manager needs it. */
export interface DeclaredBlock {
  /** `capacity_blocks[].name`. */
  readonly name: string;
  readonly reservationId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly instanceCount: number;
  /** The block's managed node group; absent for blocks Karpenter consumes. */
  readonly nodeGroup?: NodeGroupLink;
  /** `capacity_blocks[].extend`, with `capacity_manager.extend`'s defaults filled in. */
  readonly policy: MoneyPolicy;
}

/** The document in the parameter. */
export interface DeclaredBlocksDocument {
  readonly version: typeof DECLARED_DOCUMENT_VERSION;
  readonly blocks: readonly DeclaredBlock[];
}

/** PK of the record created for a declared block: readable, and new whenever the file names another reservation. */
export function declaredPk(block: Pick<DeclaredBlock, "name" | "reservationId">): string {
  return `${block.name}.${block.reservationId}`;
}

/** A write that makes the stored records follow the declared set. */
export type DeclaredSync =
  | { readonly kind: "create"; readonly record: CapacityRecord; readonly history: readonly HistoryEntry[] }
  | {
      readonly kind: "update";
      readonly PK: string;
      readonly expectedVersion: number;
      readonly changes: RecordChanges;
      readonly history: readonly HistoryEntry[];
    };

export interface SyncDeclaredInput {
  /** The stored records (all of them, or those of `onlyReservationId`). */
  readonly records: readonly CapacityRecord[];
  readonly declared: readonly DeclaredBlock[];
  readonly now: Date;
  /**
   * Event runs see one reservation's records only: then only that reservation is synced, and nothing is released
   * (a record missing from a partial view is not a record removed from the file).
   */
  readonly onlyReservationId?: string;
}

const POLICY_FIELDS = [
  "requireApproval",
  "maxUpfrontFeeUsd",
  "extendByHours",
  "extendBeforeHours",
  "allowReplacement",
  "replacementAvailabilityZones",
  "replacementDurationHours",
] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A purchase in flight is never changed under it; the next run syncs the record once it settles. */
const purchasing = (record: CapacityRecord): boolean => record.intent !== undefined || record.status === "PURCHASING";

/** The writes that make `records` follow `declared`. Pure: the same input always gives the same writes. */
export function syncDeclared(input: SyncDeclaredInput): DeclaredSync[] {
  const { now } = input;
  const at = now.toISOString();
  const declared = input.declared.filter((block) => input.onlyReservationId === undefined || block.reservationId === input.onlyReservationId);
  const live = input.records.filter((record) => record.status !== "UNTRACKED");
  const duplicates = reservationOwners(live);
  const writes: DeclaredSync[] = [];
  const claimed = new Set<string>();
  const declaredNames = new Set(input.declared.map((block) => block.name));

  for (const block of declared) {
    const ofReservation = input.records.filter((record) => record.capacityReservationId === block.reservationId);
    // The record this block already declared, else the one deciding for the reservation (adopted: a block linked
    // by hand before it was declared, or declared under a name the file no longer has, keeps its history and
    // approvals), else a released one to bring back.
    const record =
      ofReservation.find((r) => r.declared?.blockName === block.name) ??
      ofReservation.find((r) => r.status !== "UNTRACKED" && !duplicates.has(r.PK) && (r.declared === undefined || !declaredNames.has(r.declared.blockName))) ??
      ofReservation.find((r) => r.PK === declaredPk(block));
    if (!record) {
      writes.push({ kind: "create", ...declaredRecord(block, now) });
      continue;
    }
    claimed.add(record.PK);
    if (purchasing(record)) continue;
    const update = followBlock(record, block, at);
    if (update) writes.push(update);
  }

  if (input.onlyReservationId !== undefined) return writes;
  const declaredKeys = new Set(declared.map((block) => `${block.name}|${block.reservationId}`));
  for (const record of input.records) {
    if (!record.declared || claimed.has(record.PK) || purchasing(record)) continue;
    if (declaredKeys.has(`${record.declared.blockName}|${record.capacityReservationId}`)) continue;
    writes.push(releaseRecord(record, at, now));
  }
  return writes;
}

function declaredRecord(block: DeclaredBlock, now: Date): { record: CapacityRecord; history: HistoryEntry[] } {
  const at = now.toISOString();
  const created = newRecord(
    {
      PK: declaredPk(block),
      capacityReservationId: block.reservationId,
      instanceType: block.instanceType,
      availabilityZone: block.availabilityZone,
      platform: "Linux/UNIX",
      tenancy: "default",
      startDate: "",
      endDate: "",
      instanceCount: block.instanceCount,
      ...block.policy,
      ...(block.nodeGroup ? { nodeGroup: block.nodeGroup } : {}),
    },
    now,
    "CREATED",
  );
  return {
    record: {
      ...created,
      declared: { blockName: block.name },
      statusReason: "declared in the environment file; the next reconcile checks the reservation against EC2",
    },
    history: [{ at, kind: "DECLARED", detail: `declared in the environment file as capacity block "${block.name}"${linkText(block.nodeGroup)}` }],
  };
}

/** The file's policy and node group over the record's; revives a released record. Undefined: nothing to write. */
function followBlock(record: CapacityRecord, block: DeclaredBlock, at: string): DeclaredSync | undefined {
  const changes: Record<string, unknown> = {};
  const changed: string[] = [];
  const policy = moneyPolicyOf(block.policy);
  for (const field of POLICY_FIELDS) {
    if (JSON.stringify(record[field]) !== JSON.stringify(policy[field])) {
      changes[field] = policy[field] ?? null;
      changed.push(`${field} ${String(record[field] ?? "none")} -> ${String(policy[field] ?? "none")}`);
    }
  }
  if (!same(record.nodeGroup, block.nodeGroup)) {
    changes["nodeGroup"] = block.nodeGroup ?? null;
    changed.push(`nodeGroup${linkText(block.nodeGroup) || " removed"}`);
  }
  if (record.instanceCount !== block.instanceCount) changes["instanceCount"] = block.instanceCount;
  if (record.declared?.blockName !== block.name) {
    changes["declared"] = { blockName: block.name };
    changed.push(record.declared ? `renamed to "${block.name}"` : `adopted as capacity block "${block.name}"`);
  }
  if (record.status === "UNTRACKED") {
    changes["status"] = "TRACKING";
    changes["statusReason"] = "declared in the environment file again; the next reconcile checks the reservation against EC2";
    changes["expiresAt"] = null;
    changed.push("tracked again");
  }
  // Policy from the file is reviewed where the file is: it may loosen what the API would keep for an approver,
  // but a proposal or approval the new policy does not allow is withdrawn as for any policy change.
  const settled = withdrawWhatPolicyNoLongerAllows(record, policy);
  Object.assign(changes, settled.changes);
  if (Object.keys(changes).length === 0) return undefined;
  const withdrew = settled.withdrawn.length > 0 ? `; withdrew ${settled.withdrawn.join(" and ")}` : "";
  return {
    kind: "update",
    PK: record.PK,
    expectedVersion: record.version,
    changes: { ...changes, updatedAt: at } as RecordChanges,
    history: [{ at, kind: "DECLARED", detail: `environment file: ${changed.join(", ") || "instance count"}${withdrew}` }],
  };
}

function releaseRecord(record: CapacityRecord, at: string, now: Date): DeclaredSync {
  return {
    kind: "update",
    PK: record.PK,
    expectedVersion: record.version,
    changes: {
      status: "UNTRACKED",
      statusReason: `capacity block "${record.declared?.blockName}" was removed from the environment file; nothing is bought, asked or scaled for it`,
      declared: null,
      proposal: null,
      expiresAt: Math.floor((now.getTime() + RECORD_RETENTION_MS) / 1000),
      updatedAt: at,
    },
    history: [
      {
        at,
        kind: "UNDECLARED",
        detail: `capacity block "${record.declared?.blockName}" removed from the environment file; history kept until the record expires`,
      },
    ],
  };
}

function linkText(link: NodeGroupLink | undefined): string {
  return link ? ` -> node group ${link.clusterName}/${link.nodegroupName} at ${link.desiredSize} nodes` : "";
}

/** Fields the environment file owns on a declared record. */
const FILE_FIELDS: ReadonlySet<string> = new Set([...POLICY_FIELDS, "nodeGroup", "instanceCount"]);

/**
 * The API may not change what the environment file owns on a declared record (the next run would put the file's
 * value back), nor delete the record (the next run would create it again): the file is where to change it.
 * Approvals, clearing holds and everything else stay the API's.
 */
export function refuseFileOwnedChange(record: CapacityRecord, change: "update" | "delete", fields: readonly string[] = []): void {
  if (!record.declared) return;
  const where = `capacity block "${record.declared.blockName}" of the environment file`;
  if (change === "delete") {
    throw new DomainError(
      "conflict",
      "DECLARED_IN_FILE",
      `record ${record.PK} is ${where}; remove the block from capacity_blocks and apply, and it stops being tracked`,
    );
  }
  const owned = fields.filter((field) => FILE_FIELDS.has(field));
  const first = owned[0];
  if (first !== undefined) {
    throw new DomainError(
      "conflict",
      "DECLARED_IN_FILE",
      `record ${record.PK} is ${where}, which sets ${owned.join(", ")}: change capacity_blocks[].extend (or capacity_manager.extend) in the file and apply`,
      first,
    );
  }
}
