/** Table-driven rule tests: each case breaks (or legitimately varies) the secure fixture and names what the rule reports. */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/policy/model";
import { findingsOf, secureStacks } from "./fixtures";

export interface RuleCase {
  readonly rule: string;
  /** Completes "fails when …" or "passes when …". */
  readonly when: string;
  readonly change: (stacks: Record<string, JsonObject>) => void;
  /** Exact `address: message` lines; [] for a passing case. */
  readonly expected: readonly string[];
  /** Evaluation date. @default TODAY */
  readonly today?: Date;
}

export function describeRuleCases(title: string, cases: readonly RuleCase[]): void {
  describe(title, () => {
    it.each(cases.map((ruleCase) => ({ ...ruleCase, name: `${ruleCase.rule} ${ruleCase.expected.length > 0 ? "fails" : "passes"} when ${ruleCase.when}` })))(
      "$name",
      async ({ rule, change, expected, today }) => {
        // GIVEN the secure fixture with one change
        const stacks = secureStacks();
        change(stacks);
        // WHEN the rule runs THEN it reports exactly the expected findings
        expect(await findingsOf(rule, stacks, [], today)).toEqual(expected);
      },
    );
    it("covers every rule it names with a passing and a failing case", () => {
      for (const rule of new Set(cases.map((ruleCase) => ruleCase.rule))) {
        expect(cases.some((ruleCase) => ruleCase.rule === rule && ruleCase.expected.length > 0), `${rule} failing case`).toBe(true);
        expect(cases.some((ruleCase) => ruleCase.rule === rule && ruleCase.expected.length === 0), `${rule} passing case`).toBe(true);
      }
    });
  });
}
