/**
 * The decision's texts state its rules from the rule constants and the capacity-block facts, never a copy of a
 * number: an UltraServer block (p6e-gb200) loses its instances 60 minutes before its end, an instance-type block
 * (p5) 30 minutes (EC2 User Guide, "Capacity Blocks for ML"; src/lib/capacity-blocks/facts.ts terminationLeadMs).
 */
import { describe, expect, it } from "vitest";
import { type Action, type DecideInput, type Decision, decide } from "../../../../lambdas/capacity-manager/domain/decision";
import { nodeGroupScaleDownReason, OFFERINGS_CLOSED_TEXT } from "../../../../lambdas/capacity-manager/domain/decision/messages";
import type { CapacityRecord } from "../../../../lambdas/capacity-manager/domain/types";
import { aRecord, aReservation, at, END, END_ISO, HOUR, MINUTE } from "../fixtures";

const P5 = "p5.48xlarge";
const GB200 = "p6e-gb200.36xlarge";

function input(instanceType: string, overrides: Partial<DecideInput> & { record?: CapacityRecord } = {}): DecideInput {
  return {
    record: aRecord({ instanceType }),
    reservation: aReservation({ instanceType }),
    extensions: [],
    now: at(10 * HOUR),
    notificationsEnabled: true,
    ...overrides,
  };
}

const notices = (d: Decision) => d.actions.filter((a): a is Extract<Action, { kind: "notify" }> => a.kind === "notify");

describe("decision messages: the termination lead is the instance family's", () => {
  it.each([
    [P5, 30],
    [GB200, 60],
  ])("GIVEN a %s block EC2 warned about THEN the status says instances are terminated %i minutes before", (instanceType, minutes) => {
    const decision = decide(input(instanceType, { now: at(50 * MINUTE), expirationWarning: { endDate: END_ISO } }));
    expect(decision.changes.statusReason).toBe(`EC2 warned that the block ends at ${END_ISO}; instances are terminated ${minutes} minutes before`);
  });

  it.each([
    [P5, 30],
    [GB200, 60],
  ])("GIVEN a %s block within 24 h of its end with no offering THEN the expiring alert says %i minutes", (instanceType, minutes) => {
    const decision = decide(input(instanceType, { offerings: [] }));
    const expiring = notices(decision).find((n) => n.notification === "EXPIRING");
    expect(expiring?.subject).toBe("Capacity block cr-0123456789abcdef0 expires within 24 h");
    expect(expiring?.message).toContain(`Instances are terminated ${minutes} minutes before the end.`);
  });

  it.each([
    [P5, 30],
    [GB200, 60],
  ])("GIVEN a %s block in tracking mode within 6 h of its end THEN the escalation says %i minutes", (instanceType, minutes) => {
    const decision = decide(input(instanceType, { now: at(5 * HOUR), extensionsEnabled: false }));
    const escalation = notices(decision).find((n) => n.notification === "EXPIRING");
    expect(escalation?.subject).toBe("Capacity block cr-0123456789abcdef0 ends within 6 h: tracking mode, manager cannot extend it");
    expect(escalation?.message).toContain(`Ends: ${END_ISO} (within 6 h); instances are terminated ${minutes} minutes before.`);
  });

  it.each([
    [P5, 30],
    [GB200, 60],
  ])("GIVEN a %s purchase held as unconfirmed THEN the hold alert gives the deadline rules and %i min", (instanceType, minutes) => {
    const intent = {
      intentId: "cr|end|v3",
      offeringId: "cbeo-aaaa",
      durationHours: 24,
      feeUsd: 1000,
      forEndDate: END_ISO,
      startedAt: at(20 * HOUR).toISOString(),
    };
    const decision = decide(input(instanceType, { record: aRecord({ instanceType, status: "PURCHASING", intent }), now: at(20 * HOUR - 16 * MINUTE) }));
    const held = notices(decision).find((n) => n.notification === "PURCHASE_UNCONFIRMED");
    expect(held?.message).toContain(`(payment can take 12 h and must clear 35 min before the end); instances are terminated ${minutes} min before ${END_ISO}.`);
  });
});

describe("decision messages: the other rule texts come from the constants", () => {
  it("GIVEN the node-group scale-down reason THEN it names NODE_GROUP_SCALE_DOWN_BEFORE_END_MS (40 minutes)", () => {
    expect(nodeGroupScaleDownReason(END.getTime())).toBe(`block ends at ${END_ISO}; scale to 0 40 minutes before`);
  });

  it("GIVEN the last hour before the end THEN the reason names OFFERINGS_CLOSE_BEFORE_END_MS as the last hour", () => {
    expect(OFFERINGS_CLOSED_TEXT).toBe("EC2 sells no extension in the last hour");
    const decision = decide(input(P5, { now: at(30 * MINUTE) }));
    expect(decision.changes.statusReason).toBe(`block ends at ${END_ISO} with no extension (EC2 sells no extension in the last hour)`);
  });
});
