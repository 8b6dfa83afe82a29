/** Table-driven rule tests: each case breaks (or legitimately varies) the secure fixture and names what the rule reports. */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../src/policy/model";
import type { Rule } from "../../../src/policy/rules";
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

/** Runs the cases of one rule module; every rule of the module must have a passing and a failing case. */
export function describeRuleCases(title: string, rules: readonly Rule[], cases: readonly RuleCase[]): void {
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
    it("has a passing and a failing case for every rule of the module, and no case for another module's rule", () => {
      const ids = rules.map((rule) => rule.id);
      for (const id of ids) {
        expect(
          cases.some((ruleCase) => ruleCase.rule === id && ruleCase.expected.length > 0),
          `${id} failing case`,
        ).toBe(true);
        expect(
          cases.some((ruleCase) => ruleCase.rule === id && ruleCase.expected.length === 0),
          `${id} passing case`,
        ).toBe(true);
      }
      expect(cases.filter((ruleCase) => !ids.includes(ruleCase.rule)).map((ruleCase) => ruleCase.rule)).toEqual([]);
    });
  });
}
