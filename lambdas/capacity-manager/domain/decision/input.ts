/** What one decision is given: the record, EC2's view of its reservation, and everything else it may weigh. */
import type { BudgetState } from "../spend";
import type { CapacityRecord, ExtensionView, NewBlockOfferingView, OfferingView, ReservationView } from "../types";

export interface DecideInput {
  readonly record: CapacityRecord;
  /** undefined: EC2 does not know the reservation. */
  readonly reservation: ReservationView | undefined;
  /** Extension history of this reservation (empty when it was not needed). */
  readonly extensions: readonly ExtensionView[];
  /** Offerings for `record.extendByHours`; undefined when not fetched yet. */
  readonly offerings?: readonly OfferingView[];
  /** New-block offerings for the record's replacement query; undefined when not fetched yet. */
  readonly newBlockOfferings?: readonly NewBlockOfferingView[];
  /**
   * For a record holding a replacement intent: the reservations EC2 finds tagged `blockfleet.io/intent-id` with
   * it (empty: none). undefined when they were not looked up: the intent is then not settled this run.
   */
  readonly intentReservations?: readonly ReservationView[];
  /**
   * The environment lets the manager buy new blocks (`allow_new_purchases`, and a market to buy them from).
   * Without it a record's `allowReplacement` buys nothing and the gap is reported instead.
   * @default false
   */
  readonly newPurchasesEnabled?: boolean;
  /** For a record replaced by a new block: that block's reservation as EC2 reports it (undefined: unknown). */
  readonly replacedByReservation?: ReservationView;
  readonly now: Date;
  /** False when no SNS topic is configured: nobody can be told, so nothing is auto-approved either. */
  readonly notificationsEnabled: boolean;
  /**
   * False in tracking mode (`capacity_manager.extensions_enabled = false`): nothing is proposed or bought, the block
   * is tracked, its node group scaled and its coming end alerted on. A purchase already under way is still confirmed.
   * @default true
   */
  readonly extensionsEnabled?: boolean;
  /**
   * An EC2 "Capacity Block … Expiration Warning" event arrived for this reservation, about the
   * block end `endDate` (a stale warning for an end that was since extended is ignored).
   */
  readonly expirationWarning?: { readonly endDate?: string };
  /**
   * PK of the record that owns this reservation's decisions when several records track it (see
   * `reservationOwners`). Two owners would each buy an extension for the same end.
   */
  readonly duplicateOf?: string;
  /**
   * The UTC month's budget and what is already committed in it (ledger, intents in flight or unknown, purchases whose
   * ledger item is pending). Set, every purchase is checked against it; no approval overrides a refusal.
   * @default undefined — no budget (tracking mode: nothing is bought)
   */
  readonly budget?: BudgetState;
}
