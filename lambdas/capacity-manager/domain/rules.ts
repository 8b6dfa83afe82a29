/**
 * EC2 Capacity Block facts the manager relies on. Kept in one place so every rule
 * and every test names the same numbers.
 */
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

/** Extension offerings are sold from 56 days down to 1 hour before a block ends. */
export const OFFERINGS_OPEN_BEFORE_END_MS = 56 * 24 * HOUR_MS;
export const OFFERINGS_CLOSE_BEFORE_END_MS = 1 * HOUR_MS;

/** Payment may take up to 12 h and must clear 35 min before the end, so buy at least 13 h ahead. */
export const MIN_EXTEND_BEFORE_HOURS = 13;
export const MAX_EXTEND_BEFORE_HOURS = 56 * 24;
export const PAYMENT_MAX_MS = 12 * HOUR_MS;
export const PAYMENT_CUTOFF_BEFORE_END_MS = 35 * MINUTE_MS;

/** EKS scales a capacity-block node group to zero 40 minutes before the block ends. */
export const NODE_GROUP_SCALE_DOWN_BEFORE_END_MS = 40 * MINUTE_MS;

/** Approval requests go out this long before the purchase window opens, so people have a day to answer. */
export const APPROVAL_LEAD_MS = 24 * HOUR_MS;
/** Reminders and repeated alerts are sent at most this often. */
export const REMINDER_INTERVAL_MS = 6 * HOUR_MS;
/** A message SNS refused is published again after 1, 2, 4 … minutes, at most every 30 minutes. */
export const NOTIFICATION_RETRY_BASE_MS = 1 * MINUTE_MS;
export const NOTIFICATION_RETRY_MAX_MS = 30 * MINUTE_MS;

/** Delay before publishing again after `failedAttempts` refused publishes in a row (1 or more). */
export function notificationRetryDelayMs(failedAttempts: number): number {
  const exponent = Math.max(0, Math.min(failedAttempts - 1, 30));
  return Math.min(NOTIFICATION_RETRY_BASE_MS * 2 ** exponent, NOTIFICATION_RETRY_MAX_MS);
}
/**
 * While the manager cannot act for a block (a purchase held as unconfirmed, a reservation state that cannot be
 * extended), an alert goes out once as the end comes within each of these.
 */
export const ESCALATION_BEFORE_END_MS = [48 * HOUR_MS, 24 * HOUR_MS, 6 * HOUR_MS] as const;
/** A block ending within this horizon with no extension is reported (metric + alert). */
export const EXPIRING_HORIZON_MS = 24 * HOUR_MS;
/**
 * After a purchase whose outcome is unknown, EC2's extension history is the only truth.
 * Only when it still shows nothing after this grace period is the intent considered not bought.
 */
export const INTENT_RESOLUTION_GRACE_MS = 15 * MINUTE_MS;
/** A purchase in the history counts for an intent when made no earlier than this before the intent. */
export const PURCHASE_CLOCK_SKEW_MS = 5 * MINUTE_MS;
/** Expired or vanished records are removed by DynamoDB TTL this long after the end. */
export const RECORD_RETENTION_MS = 90 * 24 * HOUR_MS;

export const DEFAULT_EXTEND_BEFORE_HOURS = 24;
export const DEFAULT_EXTEND_BY_HOURS = 24;
/** Money safety: without an explicit opt-out a person approves every purchase. */
export const DEFAULT_REQUIRE_APPROVAL = true;

/** Durations EC2 sells for a Capacity Block (and its extensions); one home with the CLI's, in the shared facts. */
export { isSellableDurationHours } from "../../../src/lib/capacity-blocks/facts";

/** Replacement blocks last a week unless the policy says otherwise (EC2 sells 1-14 days, then weeks). */
export const DEFAULT_REPLACEMENT_DURATION_HOURS = 168;
