import { METRICS, type MetricName } from "../contract/metrics";
import { type Action, applyPurchaseOutcome, type DecideInput, type Decision, decide, needsExtensionHistory } from "../domain/decision";
import { type DeclaredBlock, syncDeclared } from "../domain/declared";
import { reservationOwners } from "../domain/records";
import { newBlockQueryKey } from "../domain/replace";
import { EXPIRING_HORIZON_MS, notificationRetryDelayMs } from "../domain/rules";
import { type BudgetState, committedSpendUsd, pendingPurchases, toCents, utcMonthOf } from "../domain/spend";
import type { CapacityRecord, ExtensionView, NewBlockOfferingView, NewBlockQuery, NotificationKind, ReservationView } from "../domain/types";
import type { Logger } from "../runtime/log";
import { RecordExistsError, VersionConflictError } from "./errors";
import {
  type CapacityApi,
  type DeclaredBlocksSource,
  type NewBlockMarket,
  type NodeGroupScaler,
  type Notifier,
  type RecordStore,
  readLedgerMonth,
  type SpendLedger,
} from "./ports";

export interface ReconcilerDeps {
  readonly store: RecordStore;
  readonly ec2: CapacityApi;
  /** Absent when no SNS topic is configured. */
  readonly notifier: Notifier | undefined;
  readonly scaler: NodeGroupScaler;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** Records reconciled at once. */
  readonly concurrency: number;
  /**
   * The blocks environment files declare, read at the start of every run.
   * @default none: only records created through the API are reconciled
   */
  readonly declared?: DeclaredBlocksSource;
  /**
   * Buy (or ask approval for) extensions. False is tracking mode: decide() proposes and buys nothing.
   * @default true (the deployed function always sets it from EXTENSIONS_ENABLED, which defaults to false)
   */
  readonly extensionsEnabled?: boolean;
  /**
   * Buying new blocks as replacements, with the tags every new block carries (the environment's Karpenter
   * reservation tags, the consumer tag and the environment tag; the intent tag is added per purchase).
   * @default none: the environment buys no new blocks (`allow_new_purchases = false`), so a replacement is never bought
   */
  readonly newBlocks?: { readonly market: NewBlockMarket; readonly tags: Readonly<Record<string, string>> };
  /**
   * Where purchases settled as bought are written (append-only). Absent, they stay on their records (`unledgered`).
   * @default none
   */
  readonly ledger?: SpendLedger;
  /**
   * Most purchases may commit per UTC calendar month (MONTHLY_BUDGET_USD); needs `ledger`. Absent: no budget check
   * (the deployed function always has one when it may buy: the configuration requires it).
   * @default none
   */
  readonly monthlyBudgetUsd?: number;
}

/**
 * The month's budget for one run: what was committed when the run first needed it (ledger plus every record's
 * intents and unwritten ledger items), and every purchase this run decided since. Checking and reserving happen in
 * one synchronous step after the last await, so two records of one run can't both take the last of the budget;
 * reconcile runs alone (reserved concurrency 1), so runs don't race each other.
 */
class RunBudget {
  private committedCents: number;

  constructor(
    readonly month: string,
    readonly budgetUsd: number,
    committedUsd: number,
  ) {
    this.committedCents = toCents(committedUsd);
  }

  state(): BudgetState {
    return { month: this.month, budgetUsd: this.budgetUsd, committedUsd: this.committedCents / 100 };
  }

  reserve(feeUsd: number): void {
    this.committedCents += toCents(feeUsd);
  }
}

/** What one run shares between its records. */
interface RunContext {
  readonly now: Date;
  /** Every record, when the run read them all (a scheduled run); event runs read them only if a budget is needed. */
  readonly allRecords: readonly CapacityRecord[] | undefined;
  budget?: Promise<RunBudget>;
  loadedBudget?: RunBudget;
}

export interface ReconcileSummary {
  readonly records: number;
  readonly failures: number;
  readonly purchases: number;
  readonly expiringWithoutExtension: number;
}

type Counts = Partial<Record<MetricName, number>>;

/** Runs `task` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Reconciles tracked records against EC2: reads the truth in batches, asks the domain per record,
 * and performs its decisions. A failing record is logged and counted; only a failure to read the
 * table or EC2 as a whole stops the run (and is thrown).
 */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** Scheduled run over every record. */
  async reconcileAll(): Promise<ReconcileSummary> {
    const records: CapacityRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.scan(cursor ? { cursor } : {});
      records.push(...page.records);
      cursor = page.cursor;
    } while (cursor);
    const followed = await this.followDeclared(records);
    return this.reconcileRecords(followed, undefined, followed);
  }

  /** Event-driven run for the records of one reservation. */
  async reconcileReservation(capacityReservationId: string, expirationWarning?: { endDate?: string }): Promise<ReconcileSummary> {
    const records = await this.followDeclared(await this.deps.store.findByReservationId(capacityReservationId), capacityReservationId);
    if (records.length === 0) {
      this.deps.logger.info("event for an untracked reservation", { capacityReservationId });
      return { records: 0, failures: 0, purchases: 0, expiringWithoutExtension: 0 };
    }
    return this.reconcileRecords(records, expirationWarning, undefined);
  }

  /**
   * Makes the stored records follow the declared set (domain/declared.ts) before anything is decided. If the set
   * cannot be read, or a write fails, the records stay as stored and the run goes on: nothing is released on doubt.
   */
  private async followDeclared(records: CapacityRecord[], onlyReservationId?: string): Promise<CapacityRecord[]> {
    const { declared, store, logger, clock } = this.deps;
    if (!declared) return records;
    let blocks: readonly DeclaredBlock[] | undefined;
    try {
      blocks = await declared.read();
    } catch (error) {
      logger.error("declared blocks unavailable; records stay as stored", { error });
      logger.metrics({ [METRICS.DeclaredBlocksUnavailable]: 1 });
      return records;
    }
    if (blocks === undefined) return records;
    const writes = syncDeclared({ records, declared: blocks, now: clock(), ...(onlyReservationId !== undefined ? { onlyReservationId } : {}) });
    const byPk = new Map(records.map((record) => [record.PK, record]));
    let failures = 0;
    for (const write of writes) {
      const PK = write.kind === "create" ? write.record.PK : write.PK;
      try {
        if (write.kind === "create") {
          await store.create(write.record, write.history);
          byPk.set(PK, write.record);
        } else {
          byPk.set(PK, await store.update(PK, write.expectedVersion, write.changes, write.history));
        }
        const record = byPk.get(PK)!;
        logger.info(write.kind === "create" ? "declared block tracked" : "record follows the environment file", {
          PK,
          capacityReservationId: record.capacityReservationId,
          status: record.status,
        });
      } catch (error) {
        failures += 1;
        logger.error("declared block not synced; the next run tries again", { PK, error });
      }
    }
    if (failures > 0) logger.metrics({ [METRICS.DeclaredSyncFailures]: failures });
    return [...byPk.values()];
  }

  private async reconcileRecords(
    all: readonly CapacityRecord[],
    expirationWarning: { endDate?: string } | undefined,
    allRecords: readonly CapacityRecord[] | undefined,
  ): Promise<ReconcileSummary> {
    const { ec2, logger, clock } = this.deps;
    // Blocks removed from an environment file are kept for their history only.
    const records = all.filter((record) => record.status !== "UNTRACKED");
    const counts: Counts = {};
    const count = (name: MetricName, by = 1): void => {
      counts[name] = (counts[name] ?? 0) + by;
    };
    // One instant for the whole run: whether a record's history is read and what is decided for it must
    // agree, or a record crossing into its window mid-run would be decided without the history.
    const now = clock();
    const run: RunContext = { now, allRecords };
    const duplicateOf = reservationOwners(records);
    // Replaced records also need their follower's state: a new block whose payment failed leaves a gap again.
    const followers = records.flatMap((r) => (r.replacedBy ? [r.replacedBy.capacityReservationId] : []));
    const lookup = await ec2.describeReservations([...records.map((r) => r.capacityReservationId), ...followers]);
    const intentReservations = await this.lookUpReplacementIntents(records);
    // One DescribeCapacityBlockOfferings per (type, count, duration) and run, however many records need it.
    const newBlockSearches = new Map<string, Promise<NewBlockOfferingView[]>>();
    const searchNewBlocks = (query: NewBlockQuery): Promise<NewBlockOfferingView[]> => {
      const market = this.deps.newBlocks?.market;
      if (!market) return Promise.resolve([]);
      const key = newBlockQueryKey(query);
      let search = newBlockSearches.get(key);
      if (!search) {
        search = market.describeNewBlockOfferings(query, now);
        newBlockSearches.set(key, search);
      }
      return search;
    };
    const historyIds = new Set(
      records.filter((r) => needsExtensionHistory(r, lookup.found.get(r.capacityReservationId), now)).map((r) => r.capacityReservationId),
    );
    let history: ExtensionView[] = [];
    let historyError: unknown;
    try {
      history = historyIds.size > 0 ? await ec2.describeExtensionHistory([...historyIds]) : [];
    } catch (error) {
      // Without the history no purchase decision is safe: those records fail this run, the others go on.
      historyError = error;
      logger.error("extension history unavailable", { records: historyIds.size, error });
    }
    const byReservation = new Map<string, ExtensionView[]>();
    for (const e of history) {
      const list = byReservation.get(e.capacityReservationId) ?? [];
      list.push(e);
      byReservation.set(e.capacityReservationId, list);
    }

    let failures = 0;
    let purchases = 0;
    let expiring = 0;
    await forEachLimited(records, this.deps.concurrency, async (record) => {
      const ids = { PK: record.PK, capacityReservationId: record.capacityReservationId };
      const counted = { held: false };
      try {
        if (historyError !== undefined && historyIds.has(record.capacityReservationId)) throw historyError;
        const result = await this.reconcileRecord(
          {
            record,
            reservation: lookup.found.get(record.capacityReservationId),
            extensions: byReservation.get(record.capacityReservationId) ?? [],
            now,
            notificationsEnabled: this.deps.notifier !== undefined,
            extensionsEnabled: this.deps.extensionsEnabled ?? true,
            newPurchasesEnabled: this.deps.newBlocks !== undefined,
            ...(record.intent?.replacement && intentReservations ? { intentReservations: intentReservations.get(record.intent.intentId) ?? [] } : {}),
            ...(record.replacedBy && lookup.found.has(record.replacedBy.capacityReservationId)
              ? { replacedByReservation: lookup.found.get(record.replacedBy.capacityReservationId) as ReservationView }
              : {}),
            ...(expirationWarning ? { expirationWarning } : {}),
            ...(duplicateOf.has(record.PK) ? { duplicateOf: duplicateOf.get(record.PK) as string } : {}),
          },
          count,
          counted,
          run,
          searchNewBlocks,
        );
        if (result.purchased) purchases += 1;
        if (result.expiringWithoutExtension) expiring += 1;
      } catch (error) {
        failures += 1;
        if (error instanceof VersionConflictError) count(METRICS.WriteConflicts);
        // A record that cannot be reconciled cannot be extended either: within 24 h of its end it counts as
        // expiring, and a hold it carries still counts as held, so neither alarm goes quiet while it fails.
        const endMs = Date.parse(lookup.found.get(record.capacityReservationId)?.endDate ?? record.endDate);
        const endsSoon = endMs > now.getTime() && endMs - now.getTime() <= EXPIRING_HORIZON_MS;
        if (endsSoon) expiring += 1;
        if (!counted.held && record.status === "PURCHASE_UNCONFIRMED") count(METRICS.PurchasesUnconfirmed);
        logger.error("record reconcile failed", { ...ids, endsWithin24h: endsSoon, error });
      }
    });
    count(METRICS.RecordsReconciled, records.length);
    count(METRICS.RecordFailures, failures);
    count(METRICS.ExpiringWithoutExtension, expiring);
    // Emitted every run (0 when nothing is held), so the alarm stays in ALARM exactly while a hold lasts.
    count(METRICS.PurchasesUnconfirmed, 0);
    logger.metrics(counts);
    logger.info("reconcile finished", { records: records.length, failures, purchases, expiringWithoutExtension: expiring });
    return { records: records.length, failures, purchases, expiringWithoutExtension: expiring };
  }

  /** Decides one record (fetching offerings only when the decision asks for them) and performs the decision. */
  private async reconcileRecord(
    input: DecideInput,
    count: (name: MetricName, by?: number) => void,
    counted: { held: boolean },
    run: RunContext,
    searchNewBlocks: (query: NewBlockQuery) => Promise<NewBlockOfferingView[]>,
  ): Promise<{ purchased: boolean; expiringWithoutExtension: boolean }> {
    const { ec2, store, logger } = this.deps;
    const { record, reservation } = input;
    // Every decide() reads the budget as it stands at that moment (never a copy from before an await).
    const withBudget = (i: DecideInput): DecideInput => (run.loadedBudget ? { ...i, budget: run.loadedBudget.state() } : i);
    let decided: DecideInput = input;
    let decision: Decision = decide(withBudget(decided));
    if (decision.needsOfferings) {
      const offerings = await ec2.describeExtensionOfferings(record.capacityReservationId, decision.needsOfferings.durationHours);
      decided = { ...input, offerings };
      decision = decide(withBudget(decided));
    }
    if (decision.needsNewBlockOfferings) {
      decided = { ...decided, newBlockOfferings: await searchNewBlocks(decision.needsNewBlockOfferings) };
      decision = decide(withBudget(decided));
    }
    if (this.deps.monthlyBudgetUsd !== undefined && run.loadedBudget === undefined && needsBudget(decision)) {
      // Loaded once per run, when the first record wants to buy or ask; a failure fails the record (nothing bought).
      await this.loadBudget(run);
      decision = decide(withBudget(decided));
    }
    // No await since the last decide(): the fee is reserved in the same step as the check that allowed it.
    for (const action of decision.actions) {
      if (action.kind === "purchase") run.loadedBudget?.reserve(action.intent.feeUsd);
    }
    countDecision(decision, reservation, count);
    // A replacement intent whose tag lookup failed (or cannot run) is not settled: the run counts as a record failure.
    if (record.intent?.replacement && input.intentReservations === undefined) count(METRICS.RecordFailures);
    // Every run while held, not once: the unconfirmed-purchase alarm stays in ALARM until the hold is cleared.
    // (A record whose run throws after this point is counted here, not again by the caller.)
    if ((decision.changes.status ?? record.status) === "PURCHASE_UNCONFIRMED") count(METRICS.PurchasesUnconfirmed);
    counted.held = true;
    const ids = { PK: record.PK, capacityReservationId: record.capacityReservationId };
    if (Object.keys(decision.changes).length === 0 && decision.history.length === 0 && decision.actions.length === 0) {
      await this.writeLedger(record, count);
      return { purchased: false, expiringWithoutExtension: decision.expiringWithoutExtension };
    }

    let current = record;
    // The new block is tracked before the old record points at it, so a failed write never leaves a link to nothing.
    for (const action of decision.actions) {
      if (action.kind === "trackNewBlock") await this.trackNewBlock(action);
    }
    if (Object.keys(decision.changes).length > 0 || decision.history.length > 0) {
      // The conditional write is the lease: only the reconciler that wins it performs the actions.
      current = await store.update(record.PK, record.version, decision.changes, decision.history);
      logger.info("record decided", { ...ids, status: current.status, reason: current.statusReason, actions: decision.actions.map((a) => a.kind) });
    }

    // Notifications first: the write above marked them as sent, so a failing purchase write or node group
    // call after them must not swallow them. Publishing never throws.
    for (const action of decision.actions) {
      if (action.kind === "notify") current = await this.notify(current, action, count);
    }
    let purchased = false;
    for (const action of decision.actions) {
      if (action.kind !== "purchase") continue;
      current = await this.purchase(current, action, count);
      purchased = current.lastExtension?.intentId === action.intent.intentId || current.replacedBy?.intentId === action.intent.intentId;
    }
    current = await this.writeLedger(current, count);
    for (const action of decision.actions) {
      if (action.kind === "scaleNodeGroup") current = await this.scale(current, action, count);
    }
    return { purchased, expiringWithoutExtension: decision.expiringWithoutExtension };
  }

  /** Reads the month's committed spend once per run (ledger Query, plus intents and unwritten items of every record). */
  private async loadBudget(run: RunContext): Promise<RunBudget> {
    const { ledger, store, monthlyBudgetUsd } = this.deps;
    if (monthlyBudgetUsd === undefined) throw new Error("no monthly budget configured");
    if (!ledger) throw new Error("a monthly budget needs the spend ledger");
    run.budget ??= (async () => {
      const month = utcMonthOf(run.now);
      let records = run.allRecords;
      if (records === undefined) {
        const read: CapacityRecord[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.scan(cursor ? { cursor } : {});
          read.push(...page.records);
          cursor = page.cursor;
        } while (cursor);
        records = read;
      }
      const entries = await readLedgerMonth(ledger, month);
      const budget = new RunBudget(month, monthlyBudgetUsd, committedSpendUsd(month, entries, pendingPurchases(records)));
      run.loadedBudget = budget;
      this.deps.logger.info("monthly budget", { ...budget.state() });
      return budget;
    })();
    try {
      return await run.budget;
    } catch (error) {
      // The next record that needs it tries again.
      delete run.budget;
      throw error;
    }
  }

  /**
   * Writes the record's purchases that are settled as bought but not in the ledger yet (put only if absent, so a
   * retry never writes twice), then takes them off the record. A failure is counted and logged; the record keeps
   * them (still counted against the budget) and the next run writes them.
   */
  private async writeLedger(record: CapacityRecord, count: (name: MetricName, by?: number) => void): Promise<CapacityRecord> {
    const { ledger, store, logger } = this.deps;
    const pending = record.unledgered ?? [];
    if (!ledger || pending.length === 0) return record;
    const written = new Set<string>();
    for (const entry of pending) {
      try {
        const result = await ledger.append(entry);
        written.add(entry.intentId);
        logger.info(result === "written" ? "ledger entry written" : "ledger entry already present", {
          PK: record.PK,
          capacityReservationId: record.capacityReservationId,
          intentId: entry.intentId,
          kind: entry.kind,
          feeUsd: entry.feeUsd,
        });
      } catch (error) {
        count(METRICS.LedgerWriteFailures);
        logger.error("ledger write failed; the next run writes it again", {
          PK: record.PK,
          capacityReservationId: record.capacityReservationId,
          intentId: entry.intentId,
          error,
        });
      }
    }
    if (written.size === 0) return record;
    const remaining = pending.filter((entry) => !written.has(entry.intentId));
    try {
      return await store.update(record.PK, record.version, { unledgered: remaining.length > 0 ? remaining : null }, []);
    } catch (error) {
      // The items are in the ledger; the next run finds them there ("exists") and clears the record then.
      logger.warn("ledger entries written but not cleared from the record", { PK: record.PK, capacityReservationId: record.capacityReservationId, error });
      return record;
    }
  }

  private async purchase(record: CapacityRecord, action: Extract<Action, { kind: "purchase" }>, count: (name: MetricName) => void): Promise<CapacityRecord> {
    const { ec2, store, logger, clock } = this.deps;
    const ids = { PK: record.PK, capacityReservationId: record.capacityReservationId, intentId: action.intent.intentId };
    count(METRICS.PurchasesAttempted);
    const newBlocks = this.deps.newBlocks;
    const outcome = action.intent.replacement
      ? newBlocks
        ? await newBlocks.market.purchaseNewBlock(action.intent, newBlocks.tags)
        : ({ kind: "rejected", code: "NewPurchasesNotAllowed", message: "this environment buys no new blocks (allow_new_purchases = false)" } as const)
      : await ec2.purchaseExtension(record.capacityReservationId, action.intent);
    if (outcome.kind === "purchased") count(METRICS.PurchasesSucceeded);
    if (outcome.kind === "rejected") count(METRICS.PurchasesRejected);
    if (outcome.kind === "unknown") count(METRICS.PurchasesUnknown);
    logger.info("purchase call finished", { ...ids, outcome: outcome.kind, offeringId: action.intent.offeringId, feeUsd: action.intent.feeUsd });
    const after = applyPurchaseOutcome(record, action.intent, outcome, clock());
    for (const next of after.actions) {
      if (next.kind === "trackNewBlock") await this.trackNewBlock(next);
    }
    // If this write fails the record keeps its intent; the next run reads EC2's history instead of buying.
    return store.update(record.PK, record.version, after.changes, after.history);
  }

  /** Creates the record of a new block bought as a replacement; one already there (an earlier run) is kept. */
  private async trackNewBlock(action: Extract<Action, { kind: "trackNewBlock" }>): Promise<void> {
    try {
      await this.deps.store.create(action.record, action.history);
      this.deps.logger.info("replacement block tracked", {
        PK: action.record.PK,
        capacityReservationId: action.record.capacityReservationId,
        replaces: action.record.replacementOf?.capacityReservationId,
      });
    } catch (error) {
      if (!(error instanceof RecordExistsError)) throw error;
    }
  }

  /**
   * Reservations tagged with the intents of replacement purchases in flight. undefined when the lookup failed:
   * those intents are not settled this run (and nothing is bought for them).
   */
  private async lookUpReplacementIntents(records: readonly CapacityRecord[]): Promise<ReadonlyMap<string, readonly ReservationView[]> | undefined> {
    const ids = records.flatMap((r) => (r.intent?.replacement ? [r.intent.intentId] : []));
    if (ids.length === 0) return new Map();
    const market = this.deps.newBlocks?.market;
    if (!market) return undefined;
    try {
      return await market.findReservationsByIntent(ids);
    } catch (error) {
      this.deps.logger.error("replacement intents not looked up; settled next run", { intents: ids.length, error });
      return undefined;
    }
  }

  /**
   * Publishes a notification the decision already marked as sent. A refused publish keeps the mark (so the same
   * request is never counted or recorded as a new one) and records the failure: the decision retries it after
   * 1, 2, 4 … minutes (at most 30), and every refused publish is counted in `NotificationFailures`.
   */
  private async notify(record: CapacityRecord, action: Extract<Action, { kind: "notify" }>, count: (name: MetricName) => void): Promise<CapacityRecord> {
    const { notifier, logger } = this.deps;
    if (!notifier) return record;
    if (action.retry !== undefined) count(METRICS.NotificationRetries);
    else if (action.notification === "APPROVAL_REQUEST") count(METRICS.ApprovalsRequested);
    const ids = { PK: record.PK, capacityReservationId: record.capacityReservationId, notification: action.notification };
    try {
      await notifier.publish(action.subject, action.message, {
        kind: action.notification,
        PK: record.PK,
        capacityReservationId: record.capacityReservationId,
      });
      return action.once || action.retry !== undefined ? await this.recordDelivery(record, action.notification, action.once === true) : record;
    } catch (error) {
      count(METRICS.NotificationFailures);
      logger.error("notification failed", { ...ids, failedAttempts: (action.retry ?? 0) + 1, error });
    }
    return this.recordRefusedPublish(record, action.notification);
  }

  /** Counts a refused publish on the mark and sets when it is retried. */
  private async recordRefusedPublish(record: CapacityRecord, kind: NotificationKind): Promise<CapacityRecord> {
    const { store, logger, clock } = this.deps;
    const mark = record.notifications?.[kind];
    if (!mark) return record;
    const failedAttempts = (mark.failedAttempts ?? 0) + 1;
    const retryAt = new Date(clock().getTime() + notificationRetryDelayMs(failedAttempts)).toISOString();
    try {
      return await store.update(record.PK, record.version, { notifications: { ...record.notifications, [kind]: { ...mark, failedAttempts, retryAt } } }, []);
    } catch (error) {
      // Another writer got there first: the message waits for the reminder interval (or, sent once, the next run).
      logger.warn("refused notification not recorded for retry", {
        PK: record.PK,
        capacityReservationId: record.capacityReservationId,
        notification: kind,
        error,
      });
      return record;
    }
  }

  /**
   * Records that SNS accepted a once-only alert (`deliveredAt`) or a retried message (the failure count goes).
   * If this write fails a once-only alert is sent again by the next run (at least once).
   */
  private async recordDelivery(record: CapacityRecord, kind: NotificationKind, once: boolean): Promise<CapacityRecord> {
    const { store, logger, clock } = this.deps;
    const mark = record.notifications?.[kind];
    if (!mark) return record;
    const { failedAttempts: _failed, retryAt: _retryAt, ...delivered } = mark;
    try {
      return await store.update(
        record.PK,
        record.version,
        { notifications: { ...record.notifications, [kind]: once ? { ...delivered, deliveredAt: clock().toISOString() } : delivered } },
        [],
      );
    } catch (error) {
      logger.warn("notification delivery not recorded; the next run sends it again", {
        PK: record.PK,
        capacityReservationId: record.capacityReservationId,
        notification: kind,
        error,
      });
      return record;
    }
  }

  private async scale(record: CapacityRecord, action: Extract<Action, { kind: "scaleNodeGroup" }>, count: (name: MetricName) => void): Promise<CapacityRecord> {
    const { scaler, store, logger, clock } = this.deps;
    const result = await scaler.ensureDesiredSize(action.clusterName, action.nodegroupName, action.desiredSize);
    if (!result.changed && record.nodeGroupAppliedSize === action.desiredSize) return record;
    if (result.changed) {
      count(METRICS.NodeGroupsScaled);
      logger.info("node group scaled", {
        PK: record.PK,
        capacityReservationId: record.capacityReservationId,
        nodegroup: action.nodegroupName,
        from: result.previous,
        to: action.desiredSize,
        reason: action.reason,
      });
    }
    const at = clock().toISOString();
    return store.update(
      record.PK,
      record.version,
      { nodeGroupAppliedSize: action.desiredSize, lastReconciledAt: at },
      result.changed
        ? [
            {
              at,
              kind: "NODE_GROUP_SCALED",
              detail: `${action.clusterName}/${action.nodegroupName}: ${result.previous ?? "?"} -> ${action.desiredSize} (${action.reason})`,
            },
          ]
        : [],
    );
  }
}

/** Whether a decision buys or asks for approval: both need the month's budget (to check it, or to say it's short). */
function needsBudget(decision: Decision): boolean {
  return decision.actions.some((a) => a.kind === "purchase" || (a.kind === "notify" && a.notification === "APPROVAL_REQUEST"));
}

function countDecision(decision: Decision, reservation: ReservationView | undefined, count: (name: MetricName) => void): void {
  const status = decision.changes.status;
  if (
    decision.history.some((h) => h.kind === "OVER_BUDGET") ||
    decision.actions.some((a) => a.kind === "notify" && a.notification === "OVER_BUDGET" && a.retry === undefined)
  ) {
    count(METRICS.PurchasesOverBudget);
  }
  if (!reservation) count(METRICS.ReservationsNotFound);
  if (status === "AWAITING_APPROVAL") count(METRICS.AwaitingApproval);
  if (status === "NO_OFFERING") count(METRICS.NoOfferingWithinCap);
  if (decision.history.some((h) => h.kind === "PAYMENT_FAILED")) count(METRICS.PaymentFailed);
}
