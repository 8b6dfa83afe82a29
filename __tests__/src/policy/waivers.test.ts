import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runGate } from "../../../src/policy/engine";
import { formatReport } from "../../../src/policy/report";
import { ALL_RULES } from "../../../src/policy/rules";
import { loadWaivers, type Waiver } from "../../../src/policy/waivers";
import { patch, secureStacks, TODAY, toStacks } from "./fixtures";

const PURCHASE = "test-cluster/aws_ec2_capacity_block_reservation.p5";

/** The secure fixture plus one capacity-block purchase, the finding waivers are tested against. */
function withPurchase() {
  const stacks = secureStacks();
  patch(stacks["test-cluster"]!, "resource.aws_ec2_capacity_block_reservation.p5", { capacity_block_offering_id: "cbr-0123456789abcdef0" });
  return toStacks(stacks);
}

const waiver = (overrides: Partial<Waiver> = {}): Waiver => ({
  rule: "BF-CB-006",
  resource: PURCHASE,
  reason: "approved in CHG-1234 for the December training run",
  expires: "2026-12-31",
  ...overrides,
});

describe("waivers", () => {
  it("a valid waiver moves its finding out of the failures and says why", async () => {
    // GIVEN a purchase and a waiver for it WHEN the gate runs
    const result = await runGate({ stacks: withPurchase(), waivers: [waiver()], today: TODAY });
    // THEN the finding is kept as waived, nothing fails, the waiver counts as used
    expect(result.failures).toEqual([]);
    expect(result.findings.map((finding) => [finding.ruleId, finding.address, finding.waivedBy?.reason])).toEqual([
      ["BF-CB-006", PURCHASE, "approved in CHG-1234 for the December training run"],
    ]);
    expect(result.unusedWaivers).toEqual([]);
    expect(formatReport(result, 2)).toContain("waived until 2026-12-31: approved in CHG-1234");
  });

  it("a waiver stays valid through its expiry date and `*` in its resource matches any text", async () => {
    const result = await runGate({
      stacks: withPurchase(),
      waivers: [waiver({ resource: "*-cluster/aws_ec2_capacity_block_reservation.*", expires: "2026-11-22" })],
      today: TODAY,
    });
    expect(result.failures).toEqual([]);
  });

  it("fails when the only matching waiver has expired, naming the expiry date", async () => {
    const result = await runGate({ stacks: withPurchase(), waivers: [waiver({ expires: "2026-11-21" })], today: TODAY });
    expect(result.failures.map((finding) => finding.message)).toEqual([
      'applying this purchases capacity block offering "cbr-0123456789abcdef0", which cannot be cancelled or refunded [waiver expired on 2026-11-21]',
    ]);
    expect(result.unusedWaivers).toEqual([]);
  });

  it("fails when an expired waiver matches no finding any more, reporting the waiver itself", async () => {
    // GIVEN an expired waiver whose finding is gone (the secure fixture buys nothing)
    const expired = waiver({ expires: "2026-11-21" });
    // WHEN the gate runs
    const result = await runGate({ stacks: toStacks(secureStacks()), waivers: [expired], today: TODAY });
    // THEN the waiver is a failing finding of its own, with how to fix it, and not merely a stale-waiver warning
    expect(result.failures.map((finding) => [finding.ruleId, finding.address, finding.message, finding.fix])).toEqual([
      [
        "BF-WAIVER-001",
        `waiver BF-CB-006 ${PURCHASE}`,
        "waiver expired on 2026-11-21 and matches no finding (reason given: approved in CHG-1234 for the December training run)",
        "delete the waiver if the finding is fixed; otherwise review the exception again and set a new expires date",
      ],
    ]);
    expect(result.unusedWaivers).toEqual([]);
    expect(formatReport(result, 2).split("\n").at(-1)).toBe("policy gate FAILED: 1 finding(s) in 2 stack(s), 0 waived");
  });

  it("reports a waiver that matches no finding as a warning without failing", async () => {
    // GIVEN a waiver for a rule that finds nothing in the secure fixture
    const stale = waiver({ rule: "BF-IAM-006", resource: "test-cluster/aws_iam_role.controller" });
    const result = await runGate({ stacks: toStacks(secureStacks()), waivers: [stale], today: TODAY });
    // THEN the gate passes and the report warns about the stale waiver
    expect(result.failures).toEqual([]);
    expect(result.unusedWaivers).toEqual([stale]);
    expect(formatReport(result, 2)).toContain(
      "warning: waiver BF-IAM-006 for test-cluster/aws_iam_role.controller (expires 2026-12-31) matches no finding; remove it",
    );
  });

  it("does not let a waiver for one rule cover another rule on the same resource", async () => {
    const result = await runGate({ stacks: withPurchase(), waivers: [waiver({ rule: "BF-CB-001" })], rules: ALL_RULES, today: TODAY });
    expect(result.failures.map((finding) => finding.ruleId)).toEqual(["BF-CB-006"]);
  });

  describe("the waiver file", () => {
    const dir = mkdtempSync(join(tmpdir(), "blockfleet-waivers-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (content: unknown): string => {
      const file = join(dir, `w-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
      return file;
    };

    it("loads valid waivers and treats a missing file as none", () => {
      expect(loadWaivers(write({ waivers: [waiver()] }))).toEqual([waiver()]);
      expect(loadWaivers(join(dir, "absent.json"))).toEqual([]);
    });

    it("fails when an entry lacks a reason, has a bad date or an unknown key, naming each path", () => {
      const file = write({ waivers: [{ rule: "BF-CB-006", resource: PURCHASE, expires: "2026-02-30", owner: "me" }] });
      expect(() => loadWaivers(file)).toThrow(
        [
          `${file}: invalid waiver file`,
          "  waivers.0.reason: Invalid input: expected string, received undefined",
          "  waivers.0.expires: expected an ISO date (YYYY-MM-DD)",
          '  waivers.0: Unrecognized key: "owner"',
        ].join("\n"),
      );
    });

    it("fails when a waiver's resource does not name a resource type, so it cannot silence a rule everywhere", () => {
      const file = write({ waivers: [waiver({ resource: "*" }), waiver({ resource: "prod-cluster/*" })] });
      const expected =
        "expected a resource address <stack>/<type>.<name> such as prod-cluster/aws_iam_role.karpenter (* may replace parts of the stack or name, not the type)";
      expect(() => loadWaivers(file)).toThrow(
        [`${file}: invalid waiver file`, `  waivers.0.resource: ${expected}`, `  waivers.1.resource: ${expected}`].join("\n"),
      );
    });

    it("fails when the file is not JSON", () => {
      expect(() => loadWaivers(write("{ waivers: "))).toThrow(/not valid JSON/);
    });
  });
});
