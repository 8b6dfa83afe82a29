import type { SpendEntry } from "./spend";

/** Record lifecycle as shown to people (API) and used by the reconciler. */
export const RECORD_STATUSES = [
  "TRACKING",
  "APPROVED",
  "AWAITING_APPROVAL",
  "PURCHASING",
  "EXTENSION_PENDING",
  "NO_OFFERING",
  "PAYMENT_FAILED",
  "EXPIRING",
  "EXPIRED",
  "NOT_FOUND",
  "NOT_EXTENDABLE",
  /**
   * A purchase call's outcome stayed unknown past the grace period: neither EC2's extension history nor the
   * reservation's end date shows it. Nothing is bought for the block until an approver clears it (PATCH).
   */
  "PURCHASE_UNCONFIRMED",
  /**
   * The purchase the block needs would take the UTC month's committed spend over `capacity_manager.monthly_budget_usd`:
   * it is not made, and no approval overrides that; a higher budget (a redeploy) or a new month lets it proceed.
   */
  "OVER_BUDGET",
  /** Another record tracks the same reservation and makes its decisions; this one only mirrors EC2. */
  "DUPLICATE",
  /**
   * Declared in an environment file once and removed from it since: nothing is decided, bought or scaled for the
   * record any more; it stays (with its history) until its TTL, and comes back if the block is declared again.
   */
  "UNTRACKED",
] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

export interface NodeGroupLink {
  readonly clusterName: string;
  readonly nodegroupName: string;
  /** Nodes to run while the block is active. */
  readonly desiredSize: number;
}

/** A person's consent to pay up to `maxFeeUsd` for the next extension (optionally bound to one proposal). */
export interface Approval {
  readonly by: string;
  readonly at: string;
  readonly maxFeeUsd: number;
  readonly durationHours: number;
  /** Set when approving a concrete proposal: the block end it extends. */
  readonly forEndDate?: string;
  readonly offeringId?: string;
}

/**
 * What an approval will pay for, answered to the approver: exactly the pending proposal, or (approving ahead,
 * e.g. while an extension is still pending) the next proposal up to the cap.
 */
export type ApprovalTarget =
  | {
      readonly kind: "PENDING_PROPOSAL";
      readonly offeringId: string;
      readonly feeUsd: number;
      readonly durationHours: number;
      readonly forEndDate: string;
      readonly newEndDate: string;
      readonly message: string;
    }
  | {
      readonly kind: "NEXT_PROPOSAL";
      readonly maxFeeUsd: number;
      readonly durationHours: number;
      /** The block end the next proposal extends, when known (after a pending extension: its expected new end). */
      readonly afterEndDate?: string;
      readonly message: string;
    }
  | { readonly kind: "POLICY"; readonly message: string };

/** The exact purchase the manager wants to make, shown to approvers. */
export interface Proposal {
  readonly offeringId: string;
  readonly durationHours: number;
  readonly feeUsd: number;
  readonly forEndDate: string;
  readonly newEndDate: string;
  /** Approve by then so payment (up to 12 h) clears before the 35-minute cut-off. */
  readonly approveBy: string;
  readonly proposedAt: string;
  /** Set when the proposal buys a new block instead of extending this one (absent: an extension). */
  readonly replacement?: NewBlockTarget;
}

/**
 * A new Capacity Block bought to follow a block no extension could continue (PurchaseCapacityBlock).
 * Same instance type and count as the block it replaces.
 */
export interface NewBlockTarget {
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly startDate: string;
  readonly endDate: string;
  /** Hours between the old block's end and the new block's start (0: no gap). */
  readonly gapHours: number;
  /** Upfront fee divided by GPU-hours (GPUs per instance x instances x hours), when the GPU count is known. */
  readonly usdPerGpuHour?: number;
}

/** Written (conditionally) before calling PurchaseCapacityBlockExtension. */
export interface PurchaseIntent {
  readonly intentId: string;
  readonly offeringId: string;
  readonly durationHours: number;
  readonly feeUsd: number;
  readonly forEndDate: string;
  readonly startedAt: string;
  readonly approvedBy?: string;
  /**
   * Set for a new block (PurchaseCapacityBlock, tagged `blockfleet.io/intent-id = intentId`): its outcome is
   * settled only by looking the reservation up by that tag. Absent: an extension of this record's block.
   */
  readonly replacement?: NewBlockTarget;
}

/** The block bought to follow this one (and, on the new record, the block it followed). */
export interface ReplacementLink {
  readonly PK: string;
  readonly capacityReservationId: string;
  readonly intentId: string;
  readonly at: string;
}

/** A gap the manager knows it cannot close: no extension and no replacement within the policy. */
/** EC2 rejecting the purchases for one end (IAM, quota, offering gone): counted so the block's end is escalated. */
export interface RejectedPurchases {
  /** The block end the rejected purchases were for. */
  readonly forEndDate: string;
  readonly count: number;
  /** EC2's error code of the last rejection. */
  readonly lastCode: string;
  readonly lastAt: string;
}

export interface KnownGap {
  /** The old block's end. */
  readonly startDate: string;
  /** Hours until a replacement starts; absent when nothing within the policy is on sale at all. */
  readonly hours?: number;
  readonly reason: string;
}

export interface LastExtension {
  readonly intentId: string;
  readonly offeringId: string;
  readonly feeUsd: number;
  readonly durationHours: number;
  readonly forEndDate: string;
  readonly purchasedAt: string;
  /** When the intent behind this purchase started (absent on records written before it was kept: `purchasedAt`). */
  readonly intentStartedAt?: string;
  /**
   * EC2's own purchase date of this extension (its identity in the extension history together with the offering),
   * when EC2 reported it. Offering ids repeat after a failed payment, so they alone never identify a purchase.
   */
  readonly extensionPurchaseDate?: string;
  readonly paymentFailed?: boolean;
}

export const HISTORY_KINDS = [
  "CREATED",
  "IMPORTED",
  "UPDATED",
  "APPROVED",
  "APPROVAL_REQUESTED",
  "PURCHASE_STARTED",
  "PURCHASED",
  "PURCHASE_REJECTED",
  "PURCHASE_OUTCOME_UNKNOWN",
  "PURCHASE_CONFIRMED",
  /** Written by versions that dropped an unconfirmed intent on their own; kept so older histories still type. */
  "PURCHASE_NOT_FOUND",
  "PURCHASE_UNCONFIRMED",
  "UNCONFIRMED_PURCHASE_CLEARED",
  /** An approver changed the money policy (PATCH /{PK}). */
  "POLICY_CHANGED",
  "PAYMENT_SUCCEEDED",
  "PAYMENT_FAILED",
  "NO_OFFERING",
  "EXPIRING",
  "EXPIRED",
  "NOT_FOUND",
  "NOT_EXTENDABLE",
  "NODE_GROUP_SCALED",
  "DUPLICATE",
  /** The environment file declared the block or changed its policy or node group (the file wins). */
  "DECLARED",
  /** The block was removed from the environment file: no longer tracked. */
  "UNDECLARED",
  /** A purchase was not made because it would exceed the month's budget. */
  "OVER_BUDGET",
  /** A new block was proposed to follow this one (no extension within the policy). */
  "REPLACEMENT_PROPOSED",
  /** A new block bought to follow this one (on the old record) or this record's origin (on the new one). */
  "REPLACED_BY",
  "REPLACES",
  /** No extension and no replacement within the policy: the block's end leaves a gap. */
  "GAP_EXPECTED",
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** One append-only entry: what happened, when, and for money decisions which offering, fee and approver. */
export interface HistoryEntry {
  readonly at: string;
  readonly kind: HistoryKind;
  readonly detail?: string;
  readonly intentId?: string;
  readonly offeringId?: string;
  readonly feeUsd?: number;
  readonly durationHours?: number;
  readonly approvedBy?: string;
  /** Caller identity behind a change made through the API (who created or updated the record). */
  readonly by?: string;
}

/** Kinds of notifications; each is rate limited on its own. */
export type NotificationKind =
  | "APPROVAL_REQUEST"
  | "NO_OFFERING"
  | "PAYMENT_FAILED"
  | "EXPIRING"
  | "NOT_FOUND"
  | "PURCHASE_UNCONFIRMED"
  | "OVER_BUDGET"
  | "GAP";

export interface NotificationMark {
  readonly at: string;
  /** What the notification was about (e.g. the block end); a new key is notified at once. */
  readonly key: string;
  /** Fee an approval request showed: a higher fee is requested again at once (PATCH approves the current one). */
  readonly feeUsd?: number;
  /**
   * For alerts sent once (no reminders): when SNS accepted it. Until then the alert is sent again, so a
   * write whose reply was lost after marking it cannot swallow it.
   */
  readonly deliveredAt?: string;
  /**
   * Publishes of this message SNS refused in a row. The mark stays (the request is not new again); the message
   * is retried at `retryAt` with a growing delay, and the count resets once SNS accepts it.
   */
  readonly failedAttempts?: number;
  /** When a refused message is published again. */
  readonly retryAt?: string;
}

/** Fields a record's owner sets (sample fields and policy). */
export interface RecordSpec {
  readonly PK: string;
  readonly capacityReservationId: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
  readonly platform: string;
  readonly tenancy: string;
  readonly startDate: string;
  readonly endDate: string;
  readonly instanceCount: number;
  readonly extendBeforeHours: number;
  readonly extendByHours: number;
  readonly requireApproval: boolean;
  /** Absent: no cap (the cheapest matching offering is still chosen). */
  readonly maxUpfrontFeeUsd?: number;
  readonly nodeGroup?: NodeGroupLink;
  /**
   * When no extension within the policy is bought in time, buy a new block (same type and count) instead.
   * @default false
   */
  readonly allowReplacement?: boolean;
  /** Zones a replacement may be bought in. @default the block's own zone */
  readonly replacementAvailabilityZones?: readonly string[];
  /** Duration of a replacement block (a duration EC2 sells). @default 168 */
  readonly replacementDurationHours?: number;
}

/** Marks a record the environment file declares (see domain/declared.ts). */
export interface DeclaredMarker {
  /** `capacity_blocks[].name` in the file. */
  readonly blockName: string;
}

/** Fields the manager maintains. */
export interface RecordState {
  /** Set while an environment file declares the block: its policy and node group come from the file. */
  readonly declared?: DeclaredMarker;
  readonly approved: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly status: RecordStatus;
  readonly statusReason?: string;
  /** EC2's state of the reservation at the last reconcile. */
  readonly reservationState?: string;
  readonly approval?: Approval;
  readonly proposal?: Proposal;
  readonly intent?: PurchaseIntent;
  readonly lastExtension?: LastExtension;
  /**
   * Purchases settled as bought whose spend-ledger item is not written yet: written (idempotently) right after the
   * write that settles them, and retried every run until the ledger has them. They count against the budget meanwhile.
   */
  readonly unledgered?: readonly SpendEntry[];
  /** The new block bought to follow this one. */
  readonly replacedBy?: ReplacementLink;
  /** On a record created for a replacement: the block it follows. */
  readonly replacementOf?: ReplacementLink;
  /** Set while the manager knows the block's end leaves a gap (shown by `capacity status` and `timeline`). */
  readonly gap?: KnownGap;
  readonly notifications?: Partial<Record<NotificationKind, NotificationMark>>;
  /** Purchases EC2 rejected for one block end, in a row (cleared when a purchase goes through). */
  readonly rejectedPurchases?: RejectedPurchases;
  /** When the linked node group is scaled to zero (40 min before the real end). */
  readonly nodeGroupScaleDownAt?: string;
  /** Node count the manager last set on the linked node group. */
  readonly nodeGroupAppliedSize?: number;
  readonly lastReconciledAt?: string;
  /** DynamoDB TTL (epoch seconds) once a record's block is gone. */
  readonly expiresAt?: number;
  /** Optimistic-lock counter; every write is conditional on it. */
  readonly version: number;
}

export type CapacityRecord = RecordSpec & RecordState;

/** Policy fields that decide what may be bought without asking anyone again. */
export type MoneyPolicy = Pick<
  RecordSpec,
  | "requireApproval"
  | "maxUpfrontFeeUsd"
  | "extendByHours"
  | "extendBeforeHours"
  | "allowReplacement"
  | "replacementAvailabilityZones"
  | "replacementDurationHours"
>;

/** A change of the money policy; `maxUpfrontFeeUsd: null` removes the cap. */
export interface MoneyPolicyChanges {
  readonly requireApproval?: boolean;
  readonly maxUpfrontFeeUsd?: number | null;
  readonly extendByHours?: number;
  readonly extendBeforeHours?: number;
  readonly allowReplacement?: boolean;
  readonly replacementAvailabilityZones?: readonly string[];
  readonly replacementDurationHours?: number;
}

/** Record fields a decision may set; `null` removes an optional field. History entries are written beside it. */
export type RecordChanges = {
  readonly [K in Exclude<keyof CapacityRecord, "PK" | "version" | "createdAt">]?: CapacityRecord[K] | (undefined extends CapacityRecord[K] ? null : never);
};

/** What EC2 says about a reservation (DescribeCapacityReservations). */
export interface ReservationView {
  readonly capacityReservationId: string;
  readonly state: string;
  readonly reservationType?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly instanceType?: string;
  readonly availabilityZone?: string;
  readonly instanceCount?: number;
  readonly tenancy?: string;
  readonly platform?: string;
}

export type ExtensionStatus = "payment-pending" | "payment-failed" | "payment-succeeded";

/** One entry of DescribeCapacityBlockExtensionHistory. */
export interface ExtensionView {
  readonly capacityReservationId: string;
  readonly offeringId: string;
  readonly status: ExtensionStatus;
  readonly durationHours?: number;
  readonly purchaseDate?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly feeUsd?: number;
}

/** One DescribeCapacityBlockExtensionOfferings result. */
export interface OfferingView {
  readonly offeringId: string;
  readonly durationHours: number;
  /** Parsed upfront fee; undefined when EC2 sent something that is not a number. */
  readonly feeUsd: number | undefined;
  readonly currency?: string;
  readonly startDate?: string;
  readonly endDate?: string;
}

/** One DescribeCapacityBlockOfferings result: a new block on sale. */
export interface NewBlockOfferingView {
  readonly offeringId: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly availabilityZone: string;
  readonly startDate: string;
  readonly endDate: string;
  readonly durationHours: number;
  /** Parsed upfront fee; undefined when EC2 sent something that is not a number. */
  readonly feeUsd: number | undefined;
  readonly currency?: string;
}

/** What one DescribeCapacityBlockOfferings search asks for; records sharing it share one search per run. */
export interface NewBlockQuery {
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly durationHours: number;
}

/** Outcome of one PurchaseCapacityBlockExtension call, as classified by the EC2 adapter. */
export type PurchaseOutcome =
  | { readonly kind: "purchased"; readonly extension?: ExtensionView; readonly reservation?: ReservationView }
  /** EC2 refused before buying (validation, unknown offering, throttling): nothing was bought. */
  | { readonly kind: "rejected"; readonly code: string; readonly message: string }
  /** Timeout, network error or 5xx: the purchase may have gone through. */
  | { readonly kind: "unknown"; readonly message: string };
