/**
 * The decision draft: what one decision accumulates (field changes, history, actions) and the notification
 * throttling every alert goes through (new content at once, reminders at most every REMINDER_INTERVAL_MS, refused
 * publishes on their backoff, once-only alerts until delivered).
 */
import { REMINDER_INTERVAL_MS } from "../rules";
import type {
  CapacityRecord,
  HistoryEntry,
  HistoryKind,
  NewBlockQuery,
  NotificationKind,
  NotificationMark,
  PurchaseIntent,
  RecordChanges,
  RecordStatus,
} from "../types";
import type { Notice } from "./messages";

/** A side effect the reconciler performs after the record write that announces it. */
export type Action =
  | { readonly kind: "purchase"; readonly intent: PurchaseIntent }
  /**
   * Track a new block bought as a replacement as its own record (created before the write that links the old
   * record to it; an existing record of that PK means it is tracked already).
   */
  | { readonly kind: "trackNewBlock"; readonly record: CapacityRecord; readonly history: readonly HistoryEntry[] }
  | {
      readonly kind: "notify";
      readonly notification: NotificationKind;
      readonly subject: string;
      readonly message: string;
      /** Sent once, without reminders: the reconciler records its delivery (`deliveredAt`). */
      readonly once?: boolean;
      /** Publishes SNS refused before this one (a retry of the same message, not a new request). */
      readonly retry?: number;
    }
  | {
      readonly kind: "scaleNodeGroup";
      readonly clusterName: string;
      readonly nodegroupName: string;
      readonly desiredSize: number;
      readonly reason: string;
    };

export interface Decision {
  /** Fields to write (conditionally on the record's version). Empty: nothing changed. */
  readonly changes: RecordChanges;
  readonly history: readonly HistoryEntry[];
  readonly actions: readonly Action[];
  /** Set when the decision needs extension offerings: fetch them and decide again. */
  readonly needsOfferings?: { readonly durationHours: number };
  /** Set when the decision needs new-block offerings (a replacement): fetch them (once per query per run) and decide again. */
  readonly needsNewBlockOfferings?: NewBlockQuery;
  /** The block ends within 24 h and nothing extends it. */
  readonly expiringWithoutExtension: boolean;
}

/** Mutable accumulator behind one decision. */
export class Draft {
  readonly changes: Record<string, unknown> = {};
  readonly history: HistoryEntry[] = [];
  readonly actions: Action[] = [];
  private notifications: Partial<Record<NotificationKind, NotificationMark>>;
  private notificationsChanged = false;
  needsOfferings?: { durationHours: number };
  needsNewBlockOfferings?: NewBlockQuery;
  expiringWithoutExtension = false;

  constructor(
    readonly record: CapacityRecord,
    readonly now: Date,
    readonly notificationsEnabled: boolean,
  ) {
    this.notifications = { ...(record.notifications ?? {}) };
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  set<K extends keyof RecordChanges>(field: K, value: RecordChanges[K]): void {
    const current = (this.record as unknown as Record<string, unknown>)[field];
    // Removing a field the record does not have, or setting the stored value, writes nothing.
    if ((value === null && current === undefined) || sameValue(current, value)) {
      delete this.changes[field];
      return;
    }
    this.changes[field] = value;
  }

  /** The status this decision settled on (also when equal to the stored one, so no change is written). */
  decided: RecordStatus | undefined;

  /** The reason given with `decided`. */
  decidedReason: string | undefined;

  status(status: RecordStatus, reason: string): void {
    this.decided = status;
    this.decidedReason = reason;
    this.set("status", status);
    this.set("statusReason", reason);
  }

  /** Appends history once per status change (so a record that waits for hours does not grow). */
  historyOnStatusChange(kind: HistoryKind, detail: string, extra: Partial<HistoryEntry> = {}): void {
    if (this.record.status === this.changes["status"] || this.changes["status"] === undefined) return;
    this.append(kind, detail, extra);
  }

  append(kind: HistoryKind, detail: string, extra: Partial<HistoryEntry> = {}): void {
    this.history.push({ at: this.nowIso, kind, detail, ...extra });
  }

  /**
   * Notifies at once for a new `key` or a fee above the one last shown, then at most every REMINDER_INTERVAL_MS (6 hours).
   * Returns whether it notified.
   */
  notify(kind: NotificationKind, key: string, { subject, message }: Notice, feeUsd?: number): boolean {
    return this.send(kind, key, subject, message, REMINDER_INTERVAL_MS, feeUsd);
  }

  /**
   * Notifies once per `key`, without reminders. Until its delivery is recorded it is sent again by the next
   * run (SNS refused it, or the write that marked it lost its reply), so it is sent at least once.
   */
  notifyOnce(kind: NotificationKind, key: string, { subject, message }: Notice): boolean {
    const mark = this.notifications[kind];
    if (!this.notificationsEnabled || (mark?.key === key && mark.deliveredAt !== undefined)) return false;
    if (mark?.key === key && this.waitingToRetry(mark)) return false;
    this.mark(kind, key, subject, message, undefined, true);
    return true;
  }

  /** A refused publish of this very message waits for its retry time (the backoff the reconciler set). */
  private waitingToRetry(mark: NotificationMark): boolean {
    return (mark.failedAttempts ?? 0) > 0 && mark.retryAt !== undefined && this.now.getTime() < Date.parse(mark.retryAt);
  }

  private send(kind: NotificationKind, key: string, subject: string, message: string, repeatAfterMs: number, feeUsd?: number): boolean {
    if (!this.notificationsEnabled) return false;
    const mark = this.notifications[kind];
    const feeRose = feeUsd !== undefined && mark?.feeUsd !== undefined && feeUsd > mark.feeUsd;
    if (mark && mark.key === key && !feeRose) {
      // The same message: a refused publish is retried on its backoff, a delivered one reminded after the interval.
      if ((mark.failedAttempts ?? 0) > 0) {
        if (this.waitingToRetry(mark)) return false;
      } else if (this.now.getTime() - Date.parse(mark.at) < repeatAfterMs) {
        return false;
      }
    }
    // A higher fee is a new request (shown to approvers anew), not a retry of the refused one.
    this.mark(kind, key, subject, message, feeUsd, false, feeRose);
    return true;
  }

  private mark(kind: NotificationKind, key: string, subject: string, message: string, feeUsd: number | undefined, once: boolean, newContent = false): void {
    const previous = this.notifications[kind];
    // Retrying the same message keeps the count of refused publishes, so the backoff grows and the retry is told apart.
    const retry = !newContent && previous?.key === key && (previous.failedAttempts ?? 0) > 0 ? previous.failedAttempts : undefined;
    this.notifications[kind] = { at: this.nowIso, key, ...(feeUsd !== undefined ? { feeUsd } : {}), ...(retry !== undefined ? { failedAttempts: retry } : {}) };
    this.notificationsChanged = true;
    this.actions.push({ kind: "notify", notification: kind, subject, message, ...(once ? { once } : {}), ...(retry !== undefined ? { retry } : {}) });
  }

  finish(): Decision {
    if (this.notificationsChanged) this.changes["notifications"] = this.notifications;
    // Only records that changed are written, so a quiet minute costs no writes.
    if (Object.keys(this.changes).length > 0 || this.history.length > 0) this.changes["lastReconciledAt"] = this.nowIso;
    return {
      changes: this.changes as RecordChanges,
      history: this.history,
      actions: this.actions,
      ...(this.needsOfferings ? { needsOfferings: this.needsOfferings } : {}),
      ...(this.needsNewBlockOfferings ? { needsNewBlockOfferings: this.needsNewBlockOfferings } : {}),
      expiringWithoutExtension: this.expiringWithoutExtension,
    };
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}
