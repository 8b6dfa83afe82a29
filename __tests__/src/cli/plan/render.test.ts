import { describe, expect, it } from "vitest";
import type { Danger } from "../../../../src/cli/plan/danger";
import { attributeDiffs, KNOWN_AFTER_APPLY, redact, SENSITIVE } from "../../../../src/cli/plan/diff";
import { DETAIL_MARKER, renderPlanReport } from "../../../../src/cli/plan/render";
import type { ChangedResource, StackSummary } from "../../../../src/cli/plan/summarize";

const ZERO = { create: 0, update: 0, replace: 0, delete: 0, forget: 0, import: 0, move: 0, deferred: 0, drift: 0, "no-op": 0 };

function stack(name: string, changes: ChangedResource[], dangers: Danger[] = []): StackSummary {
  return { stack: name, counts: { ...ZERO, create: changes.length }, changes, deferred: [], drift: [], dangers, notes: [] };
}

const creates = (count: number): ChangedResource[] =>
  Array.from({ length: count }, (_, index) => ({
    address: `aws_security_group_rule.r${index}`,
    type: "aws_security_group_rule",
    kind: "create",
    attributes: [{ path: "description", op: "+", after: `"rule ${index}"` }],
  }));

const danger = (kind: Danger["kind"], title: string, address: string): Danger => ({
  kind,
  address,
  change: "delete",
  title,
  lost: `what ${title} loses`,
  recovery: `how ${title} recovers`,
  details: [`detail of ${address}`],
});

const balanced = (text: string) => (text.match(/<details>/g)?.length ?? 0) === (text.match(/<\/details>/g)?.length ?? 0);

describe("renderPlanReport budget", () => {
  it("GIVEN no budget THEN nothing is shortened", () => {
    const report = renderPlanReport({ summaries: [stack("dev", creates(300))] });

    expect(report).not.toContain("Shortened to fit");
    expect(report).toContain("`aws_security_group_rule.r299`");
    expect(report).toContain('+ description = "rule 299"');
  });

  it("GIVEN a budget THEN diffs go first, then table rows, and the verdict, overview and every DANGER entry stay", () => {
    const dangers = [danger("kms-key", "Delete KMS key", "aws_kms_key.a")];
    const full = renderPlanReport({ summaries: [stack("dev", creates(300), dangers)] });

    const shortened = renderPlanReport({ summaries: [stack("dev", creates(300), dangers)] }, { budget: 10_000, fullReport: "[job summary](https://x.test)" });

    expect(full.length).toBeGreaterThan(10_000);
    expect(shortened.length).toBeLessThanOrEqual(10_000);
    expect(shortened).toContain(
      "> Shortened to fit 10,000 characters: attribute diffs left out, change tables shortened to 100 rows per stack. The full report: [job summary](https://x.test).",
    );
    expect(shortened).toContain(
      "- **Delete KMS key**: `aws_kms_key.a`\n  - Lost: what Delete KMS key loses\n  - Recovery: how Delete KMS key recovers\n  - detail of aws_kms_key.a",
    );
    expect(shortened).toContain("… and 200 more (in the full report).");
    expect(balanced(shortened)).toBe(true);
  });

  it("GIVEN more DANGER entries than fit THEN they are grouped by what they lose, every one counted, and detail comes back in the room left", () => {
    const dangers = [
      ...Array.from({ length: 200 }, (_, index) => danger("eks-node-group", "Delete EKS node group", `aws_eks_node_group.g${index}`)),
      ...Array.from({ length: 100 }, (_, index) => danger("kms-key", "Delete KMS key", `aws_kms_key.k${index}`)),
    ];

    const report = renderPlanReport({ summaries: [stack("prod", creates(50), dangers)] }, { budget: 6_000 });

    expect(report.length).toBeLessThanOrEqual(6_000);
    expect(report).toContain("**300 dangerous changes**");
    expect(report).toContain("- **Delete EKS node group** × 200: `aws_eks_node_group.g0`, ");
    expect(report).toContain(" and 195 more\n  - Lost: what Delete EKS node group loses");
    expect(report).toContain("- **Delete KMS key** × 100: ");
    expect(report).toContain("| 🛑 300 |");
  });

  it("GIVEN a budget smaller than the verdicts THEN the verdicts are returned whole, never cut", () => {
    const report = renderPlanReport({ summaries: [stack("prod", creates(5), [danger("kms-key", "Delete KMS key", "aws_kms_key.a")])] }, { budget: 100 });

    expect(report.length).toBeGreaterThan(100);
    expect(report).toContain("- **Delete KMS key** × 1: `aws_kms_key.a`");
    expect(report).toContain(DETAIL_MARKER);
    expect(balanced(report)).toBe(true);
  });
});

describe("renderPlanReport attribute diffs", () => {
  it("GIVEN a value holding backticks and an address holding markup THEN the fence is longer than any run inside and the summary is escaped", () => {
    const change: ChangedResource = {
      address: 'module.x["<b>"].aws_ssm_parameter.p',
      type: "aws_ssm_parameter",
      kind: "update",
      attributes: [{ path: "value", op: "~", before: '"a ``` b"', after: '"c"' }],
    };

    const report = renderPlanReport({ summaries: [stack("dev", [change])] });

    expect(report).toContain("<code>module.x[&quot;&lt;b&gt;&quot;].aws_ssm_parameter.p</code>");
    expect(report).toContain('````diff\n! value: "a ``` b" → "c"\n````');
  });
});

describe("attributeDiffs", () => {
  const base = { before: null, after: null, afterUnknown: {}, beforeSensitive: {}, afterSensitive: {}, replacePaths: [] };

  it("GIVEN an update THEN only changed leaves are listed, with replace-forcing paths marked", () => {
    const diffs = attributeDiffs({
      ...base,
      before: { name: "a", tags: { team: "x", keep: "y" }, ports: [80, 443] },
      after: { name: "b", tags: { keep: "y" }, ports: [80, 8443] },
      replacePaths: [["name"]],
    });

    expect(diffs).toEqual([
      { path: "name", op: "~", before: '"a"', after: '"b"', forcesReplacement: true },
      { path: "tags.team", op: "-", before: '"x"' },
      { path: "ports[1]", op: "~", before: "443", after: "8443" },
    ]);
  });

  it("GIVEN sensitive values on either side THEN neither value is printed, only that it changed", () => {
    const diffs = attributeDiffs({
      ...base,
      before: { password: "old-secret", config: { token: "t0k3n", plain: 1 } },
      after: { password: "new-secret", config: { token: "t0k3n-2", plain: 2 } },
      beforeSensitive: { password: true },
      afterSensitive: { password: true, config: { token: true } },
    });

    expect(JSON.stringify(diffs)).not.toMatch(/secret|t0k3n/);
    expect(diffs).toEqual([
      { path: "password", op: "~", before: SENSITIVE, after: SENSITIVE },
      { path: "config.token", op: "~", before: SENSITIVE, after: SENSITIVE },
      { path: "config.plain", op: "~", before: "1", after: "2" },
    ]);
  });

  it("GIVEN a whole object marked sensitive THEN nothing inside it is walked", () => {
    expect(attributeDiffs({ ...base, after: { a: { b: "hidden" } }, afterSensitive: true })).toEqual([{ path: "(value)", op: "+", after: SENSITIVE }]);
  });

  it("GIVEN unknown values THEN they show as known after apply, and long values are shortened with their length", () => {
    const long = "x".repeat(500);
    const diffs = attributeDiffs({ ...base, before: { id: "i-1", doc: "short" }, after: { doc: long }, afterUnknown: { id: true } });

    expect(diffs[0]).toEqual({ path: "id", op: "~", before: '"i-1"', after: KNOWN_AFTER_APPLY });
    expect(diffs[1]?.after).toMatch(/^"x{59}… \(502 chars\)$/);
  });
});

describe("redact", () => {
  it("GIVEN a value and its sensitivity mask THEN the marked leaves are gone and the rest is kept", () => {
    expect(redact({ name: "a", secret: "s", list: [{ k: "x" }, { k: "y" }] }, { secret: true, list: [{}, { k: true }] })).toEqual({
      name: "a",
      secret: undefined,
      list: [{ k: "x" }, { k: undefined }],
    });
    expect(redact("whole", true)).toBeUndefined();
  });
});
