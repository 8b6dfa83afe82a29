/**
 * Purchases EC2 rejects (IAM, quota, the offering gone): counted per block end so a purchase that keeps failing
 * escalates instead of retrying quietly until the block expires.
 */
import type { RejectedPurchases } from "./types";

/** Purchases rejected in a row for the same end after which the gap is reported (each run still tries again). */
export const REPEATED_REJECTIONS = 3;

/** The count after one more rejection for `forEndDate`; a rejection for another end starts again at 1. */
export function nextRejectedPurchases(previous: RejectedPurchases | undefined, forEndDate: string, code: string, at: string): RejectedPurchases {
  const count = previous?.forEndDate === forEndDate ? previous.count + 1 : 1;
  return { forEndDate, count, lastCode: code, lastAt: at };
}
