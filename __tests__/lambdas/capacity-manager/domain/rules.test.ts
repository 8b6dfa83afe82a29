import { describe, expect, it } from "vitest";
import { isSellableDurationHours, notificationRetryDelayMs } from "../../../../lambdas/capacity-manager/domain/rules";

describe("isSellableDurationHours", () => {
  it.each([
    [24, true],
    [48, true],
    [336, true], // 14 days
    [504, true], // 21 days
    [4368, true], // 182 days
    [0, false],
    [12, false],
    [25, false],
    [360, false], // 15 days: only 7-day steps after 14 days
    [4536, false], // 189 days: beyond 182
    [24.5, false],
  ])("GIVEN %i hours THEN sellable is %s", (hours, expected) => {
    expect(isSellableDurationHours(hours)).toBe(expected);
  });
});

describe("notificationRetryDelayMs", () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [5, 16],
    [6, 30],
    [1000, 30],
  ])("GIVEN %i refused publishes in a row THEN the next attempt waits %i minutes", (failedAttempts, minutes) => {
    expect(notificationRetryDelayMs(failedAttempts)).toBe(minutes * 60_000);
  });
});
