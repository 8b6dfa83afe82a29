import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../../src/lib/instance-types";
import { DEFAULT_REPLACEMENT_DURATION_HOURS, HOUR_MS, MINUTE_MS } from "./rules";
import type { CapacityRecord, NewBlockOfferingView, NewBlockQuery, NewBlockTarget } from "./types";

/**
 * Replacement (rollover): when no extension within the policy is bought in time, a new block of the same type
 * and count follows the old one. Pure choices only; domain/decision/replacement.ts applies them.
 */

/** The replacement policy of a record with its defaults applied. */
export interface ReplacementPolicy {
  readonly allowed: boolean;
  readonly zones: readonly string[];
  readonly durationHours: number;
}

export function replacementPolicyOf(
  record: Pick<CapacityRecord, "allowReplacement" | "replacementAvailabilityZones" | "replacementDurationHours" | "availabilityZone">,
): ReplacementPolicy {
  const zones = record.replacementAvailabilityZones;
  return {
    allowed: record.allowReplacement === true,
    zones: zones !== undefined && zones.length > 0 ? zones : [record.availabilityZone],
    durationHours: record.replacementDurationHours ?? DEFAULT_REPLACEMENT_DURATION_HOURS,
  };
}

/** The search a record's replacement needs; records with equal keys share one DescribeCapacityBlockOfferings. */
export function newBlockQueryOf(
  record: Pick<CapacityRecord, "instanceType" | "instanceCount"> & { readonly replacementDurationHours?: number },
): NewBlockQuery {
  return {
    instanceType: record.instanceType,
    instanceCount: record.instanceCount,
    durationHours: record.replacementDurationHours ?? DEFAULT_REPLACEMENT_DURATION_HOURS,
  };
}

export const newBlockQueryKey = (q: NewBlockQuery): string => `${q.instanceType}|${q.instanceCount}|${q.durationHours}`;

/** Offerings whose start is within this of the old end count as starting at it (no gap). */
const NO_GAP_TOLERANCE_MS = MINUTE_MS;

export type ReplacementChoice =
  | { readonly kind: "found"; readonly offeringId: string; readonly feeUsd: number; readonly durationHours: number; readonly target: NewBlockTarget }
  /** Nothing within the policy: `aboveCap` counts matching offerings refused only for their fee. */
  | { readonly kind: "none"; readonly matching: number; readonly aboveCap: number };

/**
 * $ per accelerator-hour (GPU or Trainium chip) of an offering, when the type's accelerator count is known (the
 * shared instance-type facts). The choice between offerings never depends on it: same type and count, so per
 * GPU-hour ranks like per hour.
 */
export function usdPerGpuHour(instanceType: string, instanceCount: number, durationHours: number, feeUsd: number): number | undefined {
  const gpus = Object.hasOwn(CAPACITY_BLOCK_INSTANCE_TYPES, instanceType) ? CAPACITY_BLOCK_INSTANCE_TYPES[instanceType]?.accelerators : undefined;
  if (gpus === undefined || durationHours <= 0 || instanceCount <= 0) return undefined;
  return feeUsd / (gpus * instanceCount * durationHours);
}

/**
 * Chooses the replacement for a block ending at `oldEndMs`: among offerings of the same type and count, in the
 * allowed zones, for the configured duration, in USD and within `maxFeeUsd`, and not starting before `notBeforeMs`
 * (it must still be purchasable), the cheapest per GPU-hour of those starting no later than the old end (no gap);
 * if none, the one that starts earliest (smallest gap; the cheaper on a tie).
 */
export function chooseReplacement(args: {
  readonly offerings: readonly NewBlockOfferingView[];
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly policy: ReplacementPolicy;
  readonly maxFeeUsd: number | undefined;
  readonly oldEndMs: number;
  readonly notBeforeMs: number;
}): ReplacementChoice {
  const { policy, maxFeeUsd, oldEndMs } = args;
  const zones = new Set(policy.zones);
  let matching = 0;
  let aboveCap = 0;
  let bestNoGap: NewBlockOfferingView | undefined;
  let earliest: NewBlockOfferingView | undefined;
  for (const o of args.offerings) {
    if (o.instanceType !== args.instanceType || o.instanceCount !== args.instanceCount || o.durationHours !== policy.durationHours) continue;
    if (!zones.has(o.availabilityZone)) continue;
    if (o.feeUsd === undefined || !Number.isFinite(o.feeUsd) || o.feeUsd < 0) continue;
    if (o.currency !== undefined && o.currency !== "USD") continue;
    const startMs = Date.parse(o.startDate);
    if (Number.isNaN(startMs) || Number.isNaN(Date.parse(o.endDate)) || startMs < args.notBeforeMs) continue;
    matching += 1;
    if (maxFeeUsd !== undefined && o.feeUsd > maxFeeUsd) {
      aboveCap += 1;
      continue;
    }
    const fee = o.feeUsd;
    if (startMs <= oldEndMs + NO_GAP_TOLERANCE_MS) {
      // Same type, count and duration: the cheapest fee is the cheapest per GPU-hour.
      if (!bestNoGap || fee < (bestNoGap.feeUsd as number) || (fee === bestNoGap.feeUsd && o.offeringId < bestNoGap.offeringId)) bestNoGap = o;
    } else {
      const bestStart = earliest ? Date.parse(earliest.startDate) : Infinity;
      if (!earliest || startMs < bestStart || (startMs === bestStart && fee < (earliest.feeUsd as number))) earliest = o;
    }
  }
  const chosen = bestNoGap ?? earliest;
  if (!chosen) return { kind: "none", matching, aboveCap };
  const fee = chosen.feeUsd as number;
  const gapMs = Math.max(0, Date.parse(chosen.startDate) - oldEndMs);
  const perGpuHour = usdPerGpuHour(args.instanceType, args.instanceCount, chosen.durationHours, fee);
  return {
    kind: "found",
    offeringId: chosen.offeringId,
    feeUsd: fee,
    durationHours: chosen.durationHours,
    target: {
      availabilityZone: chosen.availabilityZone,
      instanceType: chosen.instanceType,
      instanceCount: chosen.instanceCount,
      startDate: new Date(Date.parse(chosen.startDate)).toISOString(),
      endDate: new Date(Date.parse(chosen.endDate)).toISOString(),
      gapHours: bestNoGap ? 0 : Math.round((gapMs / HOUR_MS) * 100) / 100,
      ...(perGpuHour !== undefined ? { usdPerGpuHour: Math.round(perGpuHour * 10_000) / 10_000 } : {}),
    },
  };
}
