import { DomainError } from "./errors";
import { DEFAULT_REPLACEMENT_DURATION_HOURS } from "./rules";
import type { ApprovalTarget, CapacityRecord, HistoryEntry, MoneyPolicy, MoneyPolicyChanges, Proposal, RecordChanges, RecordSpec } from "./types";

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
  };
}

/** The first history entry of a record (who created or imported it). */
export function creationEntry(now: Date, origin: "CREATED" | "IMPORTED", by?: string): HistoryEntry {
  return {
    at: now.toISOString(),
    kind: origin,
    detail: origin === "CREATED" ? "created through the API" : "imported from the account's capacity blocks",
    ...(by ? { by } : {}),
  };
}

export interface RecordMutation {
  readonly changes: RecordChanges;
  readonly history: readonly HistoryEntry[];
}

/** An approval's mutation and what it will pay for (answered to the approver). */
export interface ApprovalMutation extends RecordMutation {
  readonly appliesTo: ApprovalTarget;
}

const usd = (fee: number): string => `$${fee.toFixed(2)}`;
const capText = (cap: number | undefined): string => (cap === undefined ? "no cap" : usd(cap));

/** The money policy a record has now. */
export function moneyPolicyOf(record: MoneyPolicy): MoneyPolicy {
  return {
    requireApproval: record.requireApproval,
    extendByHours: record.extendByHours,
    extendBeforeHours: record.extendBeforeHours,
    ...(record.maxUpfrontFeeUsd !== undefined ? { maxUpfrontFeeUsd: record.maxUpfrontFeeUsd } : {}),
    ...(record.allowReplacement !== undefined ? { allowReplacement: record.allowReplacement } : {}),
    ...(record.replacementAvailabilityZones !== undefined ? { replacementAvailabilityZones: record.replacementAvailabilityZones } : {}),
    ...(record.replacementDurationHours !== undefined ? { replacementDurationHours: record.replacementDurationHours } : {}),
  };
}

/** The money policy after `changes` (a `null` cap removes it). */
export function withPolicyChanges(policy: MoneyPolicy, changes: MoneyPolicyChanges): MoneyPolicy {
  const cap = changes.maxUpfrontFeeUsd === undefined ? policy.maxUpfrontFeeUsd : (changes.maxUpfrontFeeUsd ?? undefined);
  return {
    requireApproval: changes.requireApproval ?? policy.requireApproval,
    extendByHours: changes.extendByHours ?? policy.extendByHours,
    extendBeforeHours: changes.extendBeforeHours ?? policy.extendBeforeHours,
    ...(cap !== undefined ? { maxUpfrontFeeUsd: cap } : {}),
    ...replacementFields(
      changes.allowReplacement ?? policy.allowReplacement,
      changes.replacementAvailabilityZones ?? policy.replacementAvailabilityZones,
      changes.replacementDurationHours ?? policy.replacementDurationHours,
    ),
  };
}

function replacementFields(allow: boolean | undefined, zones: readonly string[] | undefined, hours: number | undefined): Partial<MoneyPolicy> {
  return {
    ...(allow !== undefined ? { allowReplacement: allow } : {}),
    ...(zones !== undefined ? { replacementAvailabilityZones: zones } : {}),
    ...(hours !== undefined ? { replacementDurationHours: hours } : {}),
  };
}

/** One way a policy change lets the manager buy something nobody agreed to. */
export interface PolicyLoosening {
  readonly field: keyof MoneyPolicy;
  readonly why: string;
}

/**
 * How `after` loosens `before`: approval switched off, a higher or no cap, a longer extension (a higher fee),
 * or buying earlier (a longer lead buys extension after extension while the new end is still within it).
 * The opposite directions tighten and are anyone's to make.
 */
export function policyLoosenings(before: MoneyPolicy, after: MoneyPolicy, ownZone?: string): PolicyLoosening[] {
  const out: PolicyLoosening[] = [];
  if (before.requireApproval && !after.requireApproval)
    out.push({ field: "requireApproval", why: "turning approval off lets purchases happen without an approver" });
  if (before.maxUpfrontFeeUsd !== undefined && (after.maxUpfrontFeeUsd === undefined || after.maxUpfrontFeeUsd > before.maxUpfrontFeeUsd)) {
    out.push({
      field: "maxUpfrontFeeUsd",
      why: `raising the cap from ${usd(before.maxUpfrontFeeUsd)} to ${capText(after.maxUpfrontFeeUsd)} allows higher fees`,
    });
  }
  if (after.extendByHours > before.extendByHours) {
    out.push({ field: "extendByHours", why: `extending by ${after.extendByHours} h instead of ${before.extendByHours} h buys more and costs more` });
  }
  if (after.extendBeforeHours > before.extendBeforeHours) {
    out.push({
      field: "extendBeforeHours",
      why: `buying ${after.extendBeforeHours} h instead of ${before.extendBeforeHours} h before the end spends earlier and can chain extensions`,
    });
  }
  if (before.allowReplacement !== true && after.allowReplacement === true) {
    out.push({ field: "allowReplacement", why: "turning replacement on lets the manager buy new blocks when no extension is bought" });
  }
  // Without a list a replacement is bought in the block's own zone only.
  const zonesBefore = new Set(before.replacementAvailabilityZones ?? (ownZone !== undefined ? [ownZone] : []));
  const added = (after.replacementAvailabilityZones ?? (ownZone !== undefined ? [ownZone] : [])).filter((z) => !zonesBefore.has(z));
  if (added.length > 0) {
    out.push({ field: "replacementAvailabilityZones", why: `adding ${added.join(", ")} lets replacements be bought in more zones` });
  }
  const hoursBefore = before.replacementDurationHours ?? DEFAULT_REPLACEMENT_DURATION_HOURS;
  const hoursAfter = after.replacementDurationHours ?? DEFAULT_REPLACEMENT_DURATION_HOURS;
  if (hoursAfter > hoursBefore) {
    out.push({ field: "replacementDurationHours", why: `replacement blocks of ${hoursAfter} h instead of ${hoursBefore} h cost more` });
  }
  return out;
}

/** Policy fields in the order they are reported. */
const MONEY_POLICY_FIELDS = [
  "requireApproval",
  "maxUpfrontFeeUsd",
  "extendByHours",
  "extendBeforeHours",
  "allowReplacement",
  "replacementAvailabilityZones",
  "replacementDurationHours",
] as const;

function pickPolicyChanges(changes: MoneyPolicyChanges | RecordChanges): MoneyPolicyChanges {
  const picked: Record<string, unknown> = {};
  for (const field of MONEY_POLICY_FIELDS) {
    const value = changes[field];
    // `null` removes an optional field; only the cap means something by its absence (no cap).
    if (value === null && field !== "maxUpfrontFeeUsd") continue;
    if (value !== undefined) picked[field] = value;
  }
  return picked;
}

/** The proposal people are asked (or have agreed) to pay for. */
function pendingProposal(record: CapacityRecord): Proposal | undefined {
  return record.status === "AWAITING_APPROVAL" || record.status === "APPROVED" ? record.proposal : undefined;
}

/**
 * Under a new policy, withdraws the pending proposal when it no longer fits (another duration, a fee above the
 * cap) together with the approval given for it, and any approval for a duration the policy no longer buys.
 * An approval is consent to one proposal; the next reconcile proposes again under the new policy.
 */
export function withdrawWhatPolicyNoLongerAllows(record: CapacityRecord, policy: MoneyPolicy): { changes: Record<string, unknown>; withdrawn: string[] } {
  const changes: Record<string, unknown> = {};
  const withdrawn: string[] = [];
  const proposal = pendingProposal(record);
  const proposalFits =
    proposal === undefined ||
    (proposal.durationHours === durationFor(proposal, policy) &&
      (policy.maxUpfrontFeeUsd === undefined || proposal.feeUsd <= policy.maxUpfrontFeeUsd) &&
      (proposal.replacement === undefined || replacementStillAllowed(record, proposal, policy)));
  const approvalFor = record.approval?.offeringId !== undefined && record.approval.offeringId === proposal?.offeringId ? proposal : undefined;
  let approvalFits = record.approval === undefined || record.approval.durationHours === (approvalFor ? durationFor(approvalFor, policy) : policy.extendByHours);
  if (proposal && !proposalFits) {
    changes["proposal"] = null;
    withdrawn.push(`the proposal (${proposal.durationHours} h for ${usd(proposal.feeUsd)})`);
    if (record.approval?.forEndDate !== undefined) approvalFits = false;
  }
  if (record.approval && !approvalFits) {
    changes["approval"] = null;
    changes["approved"] = false;
    withdrawn.push(`the approval by ${record.approval.by} (${record.approval.durationHours} h up to ${usd(record.approval.maxFeeUsd)})`);
  }
  if (withdrawn.length > 0 && (record.status === "APPROVED" || record.status === "AWAITING_APPROVAL")) {
    changes["status"] = "TRACKING";
    changes["statusReason"] = `policy changed: withdrew ${withdrawn.join(" and ")}, which it no longer allows; the next reconcile proposes again`;
  }
  return { changes, withdrawn };
}

/** The duration the policy buys for a proposal of this kind. */
function durationFor(proposal: Proposal, policy: MoneyPolicy): number {
  return proposal.replacement ? (policy.replacementDurationHours ?? DEFAULT_REPLACEMENT_DURATION_HOURS) : policy.extendByHours;
}

function replacementStillAllowed(record: CapacityRecord, proposal: Proposal, policy: MoneyPolicy): boolean {
  const zones = policy.replacementAvailabilityZones ?? [record.availabilityZone];
  return policy.allowReplacement === true && proposal.replacement !== undefined && zones.includes(proposal.replacement.availabilityZone);
}

/**
 * Changes from PUT /{PK}: owner fields only. A purchase in flight is never changed under it. Loosening the
 * money policy is an approver's action (PATCH /{PK}); tightening is allowed and withdraws a proposal or
 * approval it no longer allows. The caller is recorded because policy decides what may be bought.
 */
export function updateRecord(record: CapacityRecord, patch: RecordChanges, now: Date, by?: string): RecordMutation {
  if (record.status === "PURCHASING") {
    throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${record.PK} is buying an extension; try again when the purchase settles`);
  }
  const policyChanges = pickPolicyChanges(patch);
  const policy = withPolicyChanges(moneyPolicyOf(record), policyChanges);
  const loosened = policyLoosenings(moneyPolicyOf(record), policy, record.availabilityZone);
  const first = loosened[0];
  if (first) {
    const body = JSON.stringify(Object.fromEntries(loosened.map((l) => [l.field, policyChanges[l.field] ?? null])));
    throw new DomainError(
      "forbidden",
      "APPROVER_REQUIRED",
      `${loosened.map((l) => `${l.field}: ${l.why}`).join("; ")}; loosening the money policy is an approver's action: use PATCH /${encodeURIComponent(record.PK)} with body ${body}`,
      first.field,
    );
  }
  const settled = withdrawWhatPolicyNoLongerAllows(record, policy);
  const names = Object.keys(patch);
  const detail = `updated ${names.join(", ") || "nothing"}${settled.withdrawn.length > 0 ? `; withdrew ${settled.withdrawn.join(" and ")}` : ""}`;
  return {
    changes: { ...patch, ...settled.changes, updatedAt: now.toISOString() },
    history: [{ at: now.toISOString(), kind: "UPDATED", detail, ...(by ? { by } : {}) }],
  };
}

/**
 * A record created through the API (write permission) starts with approval required: switching it off is an
 * approver's action, or deleting and re-creating a record would undo what PUT refuses.
 */
export function assertCreatableByWriter(spec: RecordSpec): void {
  if (!spec.requireApproval) {
    throw new DomainError(
      "forbidden",
      "APPROVER_REQUIRED",
      `requireApproval: a record is created with approval required; turning it off is an approver's action: create the record, then PATCH /${encodeURIComponent(spec.PK)} with body {"requireApproval":false}`,
      "requireApproval",
    );
  }
}

function refuseWhileBuying(record: CapacityRecord): void {
  if (record.status === "PURCHASING") {
    throw new DomainError("conflict", "PURCHASE_IN_PROGRESS", `record ${record.PK} is already buying an extension`);
  }
  if (record.status === "DUPLICATE") {
    throw new DomainError(
      "conflict",
      "DUPLICATE_RECORD",
      `record ${record.PK} never buys: ${record.statusReason ?? "another record tracks its reservation"}; approve that record`,
    );
  }
}

/**
 * PATCH /{PK}: applies the approver's money policy changes (loosening ones included), then approves: with a
 * pending proposal the new policy still allows, exactly that proposal's fee and duration; otherwise the next
 * proposal up to the (new) maxUpfrontFeeUsd. With approval switched off nothing needs approving.
 */
export function approveRecord(record: CapacityRecord, approvedBy: string, now: Date, policyChanges: MoneyPolicyChanges = {}): ApprovalMutation {
  const at = now.toISOString();
  refuseWhileBuying(record);
  if (record.status === "PURCHASE_UNCONFIRMED") {
    throw new DomainError(
      "conflict",
      "PURCHASE_UNCONFIRMED",
      `record ${record.PK} holds an unconfirmed purchase (${record.intent?.intentId ?? "unknown intent"}): check EC2 as the alert says; if it was not bought, clear it with PATCH /${encodeURIComponent(record.PK)} and body {"clearUnconfirmedPurchase": true}, then approve`,
      "clearUnconfirmedPurchase",
    );
  }
  const before = moneyPolicyOf(record);
  const policy = withPolicyChanges(before, policyChanges);
  const changedFields = MONEY_POLICY_FIELDS.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(policy[f]));
  const settled = withdrawWhatPolicyNoLongerAllows(record, policy);
  const history: HistoryEntry[] = [];
  const changes: Record<string, unknown> = { ...pickPolicyChanges(policyChanges), ...settled.changes, updatedAt: at };
  if (changedFields.length > 0) {
    const detail = changedFields.map((f) => `${f} ${String(before[f] ?? "none")} -> ${String(policy[f] ?? "none")}`).join(", ");
    history.push({
      at,
      kind: "POLICY_CHANGED",
      approvedBy,
      detail: `${detail}${settled.withdrawn.length > 0 ? `; withdrew ${settled.withdrawn.join(" and ")}` : ""}`,
    });
  }

  const proposal = settled.changes["proposal"] === null ? undefined : pendingProposal(record);
  if (proposal) {
    changes["approved"] = true;
    changes["approval"] = {
      by: approvedBy,
      at,
      maxFeeUsd: proposal.feeUsd,
      durationHours: proposal.durationHours,
      forEndDate: proposal.forEndDate,
      offeringId: proposal.offeringId,
    };
    changes["status"] = "APPROVED";
    changes["statusReason"] = `approved by ${approvedBy}: ${proposal.durationHours} h for up to ${usd(proposal.feeUsd)}`;
    history.push({
      at,
      kind: "APPROVED",
      approvedBy,
      offeringId: proposal.offeringId,
      feeUsd: proposal.feeUsd,
      durationHours: proposal.durationHours,
      detail: "approved the pending proposal",
    });
    const appliesTo: ApprovalTarget = {
      kind: "PENDING_PROPOSAL",
      offeringId: proposal.offeringId,
      feeUsd: proposal.feeUsd,
      durationHours: proposal.durationHours,
      forEndDate: proposal.forEndDate,
      newEndDate: proposal.newEndDate,
      message: proposal.replacement
        ? `approves the pending replacement: a new ${proposal.durationHours} h block in ${proposal.replacement.availabilityZone} from ${proposal.replacement.startDate} to ${proposal.replacement.endDate} (gap ${proposal.replacement.gapHours} h after the end ${proposal.forEndDate}) with offering ${proposal.offeringId} for ${usd(proposal.feeUsd)}`
        : `approves the pending proposal: extending the end ${proposal.forEndDate} to ${proposal.newEndDate} with offering ${proposal.offeringId} for ${usd(proposal.feeUsd)}`,
    };
    return { changes: changes as RecordChanges, history, appliesTo };
  }
  if (!policy.requireApproval && changedFields.length > 0) {
    // The policy change is the approver's consent: purchases within it need no approval of their own.
    if (record.status === "AWAITING_APPROVAL" || record.status === "APPROVED") {
      changes["status"] = "TRACKING";
      changes["statusReason"] =
        `policy set by ${approvedBy}: ${policy.extendByHours} h extensions up to ${capText(policy.maxUpfrontFeeUsd)} are bought without approval`;
    }
    const message = `approval is off: ${policy.extendByHours} h extensions up to ${capText(policy.maxUpfrontFeeUsd)} are bought without asking`;
    return { changes: changes as RecordChanges, history, appliesTo: { kind: "POLICY", message } };
  }
  if (policy.maxUpfrontFeeUsd === undefined) {
    throw new DomainError(
      "invalid",
      "NOTHING_TO_APPROVE",
      `record ${record.PK} has no pending proposal and no maxUpfrontFeeUsd to bound an advance approval; set maxUpfrontFeeUsd or wait for the proposal`,
      "maxUpfrontFeeUsd",
    );
  }
  changes["approved"] = true;
  changes["approval"] = { by: approvedBy, at, maxFeeUsd: policy.maxUpfrontFeeUsd, durationHours: policy.extendByHours };
  // A pending extension stays the record's status: the approval waits for the next proposal.
  if (record.status !== "EXTENSION_PENDING") {
    changes["status"] = "APPROVED";
    changes["statusReason"] = `approved in advance by ${approvedBy}: next ${policy.extendByHours} h extension up to ${usd(policy.maxUpfrontFeeUsd)}`;
  }
  history.push({
    at,
    kind: "APPROVED",
    approvedBy,
    feeUsd: policy.maxUpfrontFeeUsd,
    durationHours: policy.extendByHours,
    detail: "advance approval up to maxUpfrontFeeUsd",
  });
  return { changes: changes as RecordChanges, history, appliesTo: nextProposalTarget(record, policy.maxUpfrontFeeUsd, policy.extendByHours) };
}

/**
 * An approval given ahead applies to the next proposal. While an extension is pending (bought, not yet moving the
 * end) that is the proposal for the end after it, never the purchase in flight: the answer says so.
 */
function nextProposalTarget(record: CapacityRecord, maxFeeUsd: number, durationHours: number): ApprovalTarget {
  const last = record.lastExtension;
  const pending = record.status === "EXTENSION_PENDING" && last !== undefined && !last.paymentFailed;
  const afterEndMs = pending ? Date.parse(last.forEndDate) + last.durationHours * 3_600_000 : Date.parse(record.endDate);
  const afterEndDate = Number.isNaN(afterEndMs) ? undefined : new Date(afterEndMs).toISOString();
  const next = `extending the end after it${afterEndDate ? ` (expected ${afterEndDate})` : ""} by ${durationHours} h for up to ${usd(maxFeeUsd)}`;
  const message = pending
    ? `extension ${last.offeringId} bought for the end ${last.forEndDate} is pending; this approval is not for it but for the next proposal: ${next}`
    : `approves the next proposal ahead: extending the end${afterEndDate ? ` ${afterEndDate}` : ""} by ${durationHours} h for up to ${usd(maxFeeUsd)}`;
  return { kind: "NEXT_PROPOSAL", maxFeeUsd, durationHours, ...(afterEndDate ? { afterEndDate } : {}), message };
}

/**
 * PATCH /{PK} with `clearUnconfirmedPurchase`: an approver has checked EC2 and found that the held purchase was
 * not made. The intent is dropped and so is the approval it used, so the normal flow resumes: propose, ask for
 * approval when the record requires it (at once, not after the reminder interval), buy.
 */
export function clearUnconfirmedPurchase(record: CapacityRecord, approvedBy: string, now: Date): RecordMutation {
  const at = now.toISOString();
  const intent = record.intent;
  if (record.status !== "PURCHASE_UNCONFIRMED" || intent === undefined) {
    throw new DomainError(
      "conflict",
      "NO_UNCONFIRMED_PURCHASE",
      `record ${record.PK} holds no unconfirmed purchase (status ${record.status}); only a PURCHASE_UNCONFIRMED record can be cleared`,
      "clearUnconfirmedPurchase",
    );
  }
  const { APPROVAL_REQUEST: _lastRequest, ...marks } = record.notifications ?? {};
  return {
    changes: {
      intent: null,
      approval: null,
      approved: false,
      proposal: null,
      notifications: marks,
      status: "TRACKING",
      statusReason: `unconfirmed purchase ${intent.intentId} cleared by ${approvedBy} (not bought); the next reconcile proposes again`,
      updatedAt: at,
    },
    history: [
      {
        at,
        kind: "UNCONFIRMED_PURCHASE_CLEARED",
        approvedBy,
        intentId: intent.intentId,
        offeringId: intent.offeringId,
        feeUsd: intent.feeUsd,
        durationHours: intent.durationHours,
        detail: "an approver confirmed EC2 shows no such purchase; buying may resume",
      },
    ],
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

/** The record as it reads after a mutation (used by in-memory stores and simulations); history is kept apart. */
export function applyChanges(record: CapacityRecord, changes: RecordChanges): CapacityRecord {
  const next: Record<string, unknown> = { ...record };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  next["version"] = record.version + 1;
  return next as unknown as CapacityRecord;
}
