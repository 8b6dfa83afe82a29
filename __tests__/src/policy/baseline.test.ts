import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runGate } from "../../../src/policy/engine";
import { ALL_RULES } from "../../../src/policy/rules";
import { secureStacks, TODAY, toStacks } from "./fixtures";

describe("policy gate on the secure fixture", () => {
  it("passes every rule, so each failing fixture below differs by exactly what it breaks", async () => {
    // GIVEN the hand-written secure output WHEN the whole gate runs
    const result = await runGate({ stacks: toStacks(secureStacks()), today: TODAY });
    // THEN nothing is reported
    expect(result.findings.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`)).toEqual([]);
  });

  it("has unique rule ids in the BF-<GROUP>-<NNN> form and Checkov ids in Checkov's form", () => {
    const ids = ALL_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of ALL_RULES) {
      expect(rule.id).toMatch(/^BF-[A-Z0-9]+-\d{3}$/);
      for (const checkov of rule.checkovId.split(", ").filter(Boolean)) expect(checkov).toMatch(/^CKV2?_AWS_\d+$/);
      expect(rule.fix.length).toBeGreaterThan(10);
    }
  });

  it("maps no Checkov id that Checkov has retired, so security teams can look each one up", () => {
    // Checkov removed these as duplicates (CKV_AWS_151 of CKV_AWS_58, …) or deleted them; they match no current check.
    const retired = new Set(["CKV_AWS_4", "CKV_AWS_125", "CKV_AWS_128", "CKV_AWS_132", "CKV_AWS_151"]);
    const mapped = ALL_RULES.flatMap((rule) =>
      rule.checkovId
        .split(", ")
        .filter(Boolean)
        .map((checkov) => `${rule.id} ${checkov}`),
    );
    expect(mapped.filter((entry) => retired.has(entry.split(" ")[1]!))).toEqual([]);
  });
});

describe("policy gate documentation", () => {
  it("lists every rule with its Checkov id in src/policy/README.md", () => {
    const readme = readFileSync(resolve(__dirname, "../../../src/policy/README.md"), "utf8");
    for (const rule of ALL_RULES) expect(readme).toContain(`| ${rule.id} | ${rule.checkovId || "—"} | ${rule.title} |`);
  });
});
