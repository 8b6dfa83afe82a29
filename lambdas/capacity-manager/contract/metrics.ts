/**
 * Metric contract of the capacity manager. Alarms are built on these names, so they are stable.
 * Metrics are written as CloudWatch Embedded Metric Format log lines by Powertools Metrics (see ./log.ts; no
 * CloudWatch client).
 */
export const METRIC_NAMESPACE = "Blockfleet/CapacityManager";

export const METRICS = {
  /** A tracked block ends within 24 h and nothing extends it. */
  ExpiringWithoutExtension: "ExpiringWithoutExtension",
  /** A record could not be reconciled (throttling, write conflict, timeout…). */
  RecordFailures: "RecordFailures",
  RecordsReconciled: "RecordsReconciled",
  PurchasesAttempted: "PurchasesAttempted",
  PurchasesSucceeded: "PurchasesSucceeded",
  PurchasesRejected: "PurchasesRejected",
  /** Purchase calls whose outcome is unknown (timeout/5xx) and is resolved from EC2 history. */
  PurchasesUnknown: "PurchasesUnknown",
  /**
   * Records held as PURCHASE_UNCONFIRMED (a purchase still unknown after the grace period), counted in every run
   * while the hold lasts (0 when none), so its alarm stays in ALARM until an approver checks EC2 and clears it.
   */
  PurchasesUnconfirmed: "PurchasesUnconfirmed",
  ApprovalsRequested: "ApprovalsRequested",
  AwaitingApproval: "AwaitingApproval",
  NoOfferingWithinCap: "NoOfferingWithinCap",
  PaymentFailed: "PaymentFailed",
  ReservationsNotFound: "ReservationsNotFound",
  NodeGroupsScaled: "NodeGroupsScaled",
  WriteConflicts: "WriteConflicts",
  /** Publishes SNS refused (each attempt); the message is retried with backoff and alarmed on. */
  NotificationFailures: "NotificationFailures",
  /** Publishes of a message SNS refused before (retries, not new requests). */
  NotificationRetries: "NotificationRetries",
  Ec2Calls: "Ec2Calls",
  /** The declared-blocks parameter could not be read or parsed: declared blocks are neither added nor released. */
  DeclaredBlocksUnavailable: "DeclaredBlocksUnavailable",
  /** Declared blocks whose record could not be created or updated this run (retried the next run). */
  DeclaredSyncFailures: "DeclaredSyncFailures",
  /**
   * Ledger items of purchases settled as bought that could not be written this run (each attempt). The purchase
   * stays on its record (`unledgered`, counted against the budget) and is written again by the next run.
   */
  LedgerWriteFailures: "LedgerWriteFailures",
  /** Purchases not made because they would take the UTC month's committed spend over the monthly budget. */
  PurchasesOverBudget: "PurchasesOverBudget",
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** Dimension sets used in every metric line (one: the whole service). */
export const METRIC_DIMENSIONS = [["Service"]] as const;
export const METRIC_SERVICE = "capacity-manager";
