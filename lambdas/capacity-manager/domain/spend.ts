/**
 * Spend ledger and monthly budget: the shared contract of every purchase the manager makes (extensions now,
 * replacements through the same path). Pure: time and amounts come in as parameters.
 *
 * Money is compared in whole cents, so a budget reached exactly is allowed and one cent over is refused, whatever
 * binary floating point makes of the dollar amounts.
 */

/** What a purchase bought: more time on the same block, or a new block that takes over from one ending. */
export const PURCHASE_KINDS = ["extension", "replacement"] as const;
export type PurchaseKind = (typeof PURCHASE_KINDS)[number];

/** The currency every fee and budget is in (EC2 quotes capacity block fees in USD; other offerings are skipped). */
export const SPEND_CURRENCY = "USD";

/** One ledger item: a purchase settled as bought. Written once per intent (append-only, idempotent). */
export interface SpendEntry {
  /** The purchase intent written before the EC2 call; the ledger's identity of the purchase. */
  readonly intentId: string;
  readonly kind: PurchaseKind;
  /** The record the purchase was made for. */
  readonly recordPk: string;
  /** The block extended (extension) or bought (replacement). */
  readonly capacityReservationId: string;
  readonly offeringId: string;
  readonly feeUsd: number;
  readonly currency: string;
  /** What the purchase covers: for an extension the old end to the new end; for a replacement the new block. */
  readonly startDate: string;
  readonly endDate: string;
  /**
   * When the manager committed the money: the intent's start. It decides the ledger month, so a retried or later
   * settled purchase always lands in the same month and item.
   */
  readonly purchasedAt: string;
  /** EC2's own purchase date, when EC2 reported it. */
  readonly ec2PurchaseDate?: string;
  readonly approvedBy?: string;
  /** Why it was bought (what the manager decided, in words). */
  readonly reason: string;
}

/** A purchase whose money is committed but not (yet) in the ledger: an intent in flight or with an unknown outcome. */
export interface CommittedPurchase {
  readonly intentId: string;
  readonly feeUsd: number;
  /** When the intent started: decides the month it counts in. */
  readonly startedAt: string;
}

/**
 * What a record holds that commits money not (yet) in the ledger (a structural view of a record). A record field that
 * holds another kind of purchase intent (a replacement's) must be counted here too, or the budget would not see it.
 */
export interface RecordSpendView {
  readonly intent?: { readonly intentId: string; readonly feeUsd: number; readonly startedAt: string };
  readonly unledgered?: readonly SpendEntry[];
}

/** The purchases records commit beyond the ledger: their intents (in flight or unknown) and unwritten ledger items. */
export function pendingPurchases(records: Iterable<RecordSpendView>): CommittedPurchase[] {
  const pending: CommittedPurchase[] = [];
  for (const record of records) {
    if (record.intent) pending.push({ intentId: record.intent.intentId, feeUsd: record.intent.feeUsd, startedAt: record.intent.startedAt });
    for (const entry of record.unledgered ?? []) pending.push({ intentId: entry.intentId, feeUsd: entry.feeUsd, startedAt: entry.purchasedAt });
  }
  return pending;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** The UTC calendar month of an instant, as `YYYY-MM`. */
export function utcMonthOf(at: Date | string): string {
  const date = typeof at === "string" ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${String(at)}`);
  return date.toISOString().slice(0, 7);
}

/** Whether `value` is a month written `YYYY-MM` (01–12). */
export function isUtcMonth(value: string): boolean {
  return MONTH.test(value);
}

/** The first instant of a `YYYY-MM` month and of the month after it (UTC midnight). */
export function utcMonthBounds(month: string): { readonly start: Date; readonly end: Date } {
  const match = MONTH.exec(month);
  if (!match) throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

/** Whether an instant falls in the UTC month `month`. */
export function inUtcMonth(at: string, month: string): boolean {
  const ms = Date.parse(at);
  return !Number.isNaN(ms) && utcMonthOf(new Date(ms)) === month;
}

export const toCents = (usd: number): number => Math.round(usd * 100);
const fromCents = (cents: number): number => cents / 100;

/**
 * What the month has committed: the ledger's purchases of the month, plus purchases not in the ledger yet (intents
 * in flight, outcomes unknown, purchases whose ledger write is pending) that started in the month. An intent counts
 * as spent until it settles; one settled as not bought drops out because its intent is gone.
 */
export function committedSpendUsd(month: string, ledger: readonly SpendEntry[], pending: readonly CommittedPurchase[]): number {
  const ledgered = new Set<string>();
  let cents = 0;
  for (const entry of ledger) {
    if (!inUtcMonth(entry.purchasedAt, month) || ledgered.has(entry.intentId)) continue;
    ledgered.add(entry.intentId);
    cents += toCents(entry.feeUsd);
  }
  for (const purchase of pending) {
    if (!inUtcMonth(purchase.startedAt, month) || ledgered.has(purchase.intentId)) continue;
    ledgered.add(purchase.intentId);
    cents += toCents(purchase.feeUsd);
  }
  return fromCents(cents);
}

export type BudgetVerdict =
  | { readonly allowed: true; readonly remainingAfterUsd: number }
  | { readonly allowed: false; readonly reason: string; readonly remainingUsd: number };

const usd = (amount: number): string => `$${amount.toFixed(2)}`;

/**
 * Whether a purchase of `feeUsd` fits the month's budget given what is already committed. Reaching the budget
 * exactly is allowed. No approval enters here: only a higher budget (a redeploy) turns a refusal into a purchase.
 */
export function budgetVerdict(input: { readonly budgetUsd: number; readonly committedUsd: number; readonly feeUsd: number }): BudgetVerdict {
  const budget = toCents(input.budgetUsd);
  const committed = toCents(input.committedUsd);
  const fee = toCents(input.feeUsd);
  const remaining = budget - committed;
  if (committed + fee <= budget) return { allowed: true, remainingAfterUsd: fromCents(remaining - fee) };
  return {
    allowed: false,
    remainingUsd: fromCents(Math.max(0, remaining)),
    reason: `the fee ${usd(fromCents(fee))} would take this month's committed spend from ${usd(fromCents(committed))} to ${usd(fromCents(committed + fee))}, over the monthly budget of ${usd(fromCents(budget))} (capacity_manager.monthly_budget_usd); no approval can override it, only a higher budget`,
  };
}

/** The month's budget state a purchase decision needs (built by the reconciler from the ledger and the records). */
export interface BudgetState {
  readonly month: string;
  readonly budgetUsd: number;
  readonly committedUsd: number;
}

export interface KindTotal {
  readonly purchases: number;
  readonly totalUsd: number;
}

export interface BlockSpend {
  readonly capacityReservationId: string;
  readonly recordPk: string;
  readonly totalUsd: number;
  readonly purchases: readonly SpendEntry[];
}

/** GET /spend?month=…: what a month cost, against its budget. */
export interface SpendSummary {
  readonly month: string;
  readonly currency: string;
  /** Absent when no budget is configured (tracking mode buys nothing). */
  readonly budgetUsd?: number;
  readonly totalUsd: number;
  readonly remainingUsd?: number;
  readonly byKind: Readonly<Record<PurchaseKind, KindTotal>>;
  /** Per block, most expensive first; purchases in time order. */
  readonly blocks: readonly BlockSpend[];
}

/** Builds the month's summary from its ledger entries (entries of other months are ignored). */
export function buildSpendSummary(input: { readonly month: string; readonly budgetUsd?: number; readonly entries: readonly SpendEntry[] }): SpendSummary {
  const { month } = input;
  const seen = new Set<string>();
  const entries = input.entries
    .filter((entry) => inUtcMonth(entry.purchasedAt, month) && !seen.has(entry.intentId) && seen.add(entry.intentId))
    .sort((a, b) => Date.parse(a.purchasedAt) - Date.parse(b.purchasedAt) || a.intentId.localeCompare(b.intentId));
  const kindCents: Record<PurchaseKind, { purchases: number; cents: number }> = {
    extension: { purchases: 0, cents: 0 },
    replacement: { purchases: 0, cents: 0 },
  };
  const blocks = new Map<string, { capacityReservationId: string; recordPk: string; cents: number; purchases: SpendEntry[] }>();
  let total = 0;
  for (const entry of entries) {
    const cents = toCents(entry.feeUsd);
    total += cents;
    kindCents[entry.kind].purchases += 1;
    kindCents[entry.kind].cents += cents;
    const key = `${entry.capacityReservationId}|${entry.recordPk}`;
    const block = blocks.get(key) ?? { capacityReservationId: entry.capacityReservationId, recordPk: entry.recordPk, cents: 0, purchases: [] };
    block.cents += cents;
    block.purchases.push(entry);
    blocks.set(key, block);
  }
  const budget = input.budgetUsd === undefined ? undefined : toCents(input.budgetUsd);
  return {
    month,
    currency: SPEND_CURRENCY,
    ...(budget !== undefined ? { budgetUsd: fromCents(budget), remainingUsd: fromCents(budget - total) } : {}),
    totalUsd: fromCents(total),
    byKind: {
      extension: { purchases: kindCents.extension.purchases, totalUsd: fromCents(kindCents.extension.cents) },
      replacement: { purchases: kindCents.replacement.purchases, totalUsd: fromCents(kindCents.replacement.cents) },
    },
    blocks: [...blocks.values()]
      .sort((a, b) => b.cents - a.cents || a.capacityReservationId.localeCompare(b.capacityReservationId))
      .map((block) => ({
        capacityReservationId: block.capacityReservationId,
        recordPk: block.recordPk,
        totalUsd: fromCents(block.cents),
        purchases: block.purchases,
      })),
  };
}
