import { describe, expect, it } from "vitest";
import { DEAD_NEW_BLOCK_STATES, EXTENDABLE_STATES, TERMINAL_STATES, terminalStatus } from "../../../../lambdas/capacity-manager/domain/decision/lifecycle";
import { RESERVATION_STATE_PHASES, reservationPhase } from "../../../../src/lib/capacity-blocks/facts";

describe("decision lifecycle: reservation states agree with the capacity-block facts", () => {
  it("GIVEN the terminal states THEN none of them is a live phase (a live block is never closed)", () => {
    for (const state of Object.keys(TERMINAL_STATES)) expect(reservationPhase(state), state).not.toBe("live");
  });

  it("GIVEN the extendable states THEN each is live, and they are exactly active and scheduled", () => {
    expect([...EXTENDABLE_STATES].sort()).toEqual(["active", "scheduled"]);
    for (const state of EXTENDABLE_STATES) expect(reservationPhase(state)).toBe("live");
  });

  it("GIVEN a new block's dead states THEN none is live", () => {
    for (const state of DEAD_NEW_BLOCK_STATES) expect(reservationPhase(state)).not.toBe("live");
  });

  it.each(Object.keys(RESERVATION_STATE_PHASES))("GIVEN state %s THEN terminalStatus matches TERMINAL_STATES", (state) => {
    expect(terminalStatus(state)).toBe((TERMINAL_STATES as Record<string, string | undefined>)[state]);
  });

  it("GIVEN a string that is no state (or an Object.prototype key) THEN it ends nothing", () => {
    expect(terminalStatus("toString")).toBeUndefined();
    expect(terminalStatus("gone")).toBeUndefined();
  });
});
