import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePlanJson } from "../../../../src/cli/plan/plan-json";
import { changeKind, type StackSummary, summarizePlan } from "../../../../src/cli/plan/summarize";

const fixture = (name: string): StackSummary => {
  const file = path.join(__dirname, "fixtures", `${name}.json`);
  return summarizePlan(name, parsePlanJson(readFileSync(file, "utf8"), file));
};

describe("changeKind", () => {
  it.each([
    [["create"], "create"],
    [["update"], "update"],
    [["delete"], "delete"],
    [["delete", "create"], "replace"],
    [["create", "delete"], "replace"],
    [["read"], "read"],
    [["no-op"], "no-op"],
    [["forget"], "forget"],
  ] as const)("GIVEN actions %j THEN the change is a %s", (actions, kind) => {
    expect(changeKind(actions)).toBe(kind);
  });
});

describe("summarizePlan", () => {
  it("GIVEN a plan with creates, updates, a launch template replace and a policy attachment delete THEN it counts them and finds no danger", () => {
    const summary = fixture("clean");

    expect(summary.counts).toEqual({ create: 1, update: 2, replace: 1, delete: 1, forget: 0, import: 0, move: 0, deferred: 0, drift: 0, "no-op": 1 });
    expect(summary.dangers).toEqual([]);
    expect(summary.changes.map((change) => [change.kind, change.type])).toEqual([
      ["update", "aws_cloudwatch_log_group"],
      ["update", "aws_eks_node_group"],
      ["replace", "aws_launch_template"],
      ["delete", "aws_iam_role_policy_attachment"],
      ["create", "aws_sqs_queue"],
    ]);
  });

  it("GIVEN a plan with data source reads THEN reads are neither counted nor listed", () => {
    const summary = fixture("clean");

    expect(summary.changes.some((change) => change.address.startsWith("data."))).toBe(false);
  });

  it("GIVEN a replace THEN the reason names the attributes forcing it", () => {
    const replaced = fixture("clean").changes.find((change) => change.kind === "replace");

    expect(replaced?.reason).toBe("an attribute that can't be updated in place changed: name");
  });

  it("GIVEN a plan without resource_changes THEN the stack has no changes", () => {
    const summary = fixture("no-changes");

    expect(summary.changes).toEqual([]);
    expect(summary.counts.create + summary.counts.update + summary.counts.replace + summary.counts.delete).toBe(0);
  });

  it("GIVEN a capacity block purchase whose offering was read during the plan THEN the danger shows type, count, AZ, dates and fee", () => {
    const [danger, ...others] = fixture("capacity-block-purchase").dangers;

    expect(others).toEqual([]);
    expect(danger?.kind).toBe("capacity-block-purchase");
    expect(danger?.title).toMatch(/irreversible/);
    expect(danger?.details).toEqual([
      "Offering: cb-0123456789abcdef0",
      "Instances: 2 × p5.48xlarge in us-east-1a",
      "Dates: 2026-12-01 11:30 UTC → 2026-12-08 11:30 UTC",
      "Upfront fee: USD 10,752.00 (USD 4.00 per GPU-hour), charged at purchase",
    ]);
  });

  it("GIVEN the offering id is unknown at plan time THEN the fee is still found through the configuration's reference", () => {
    const file = path.join(__dirname, "fixtures", "capacity-block-purchase.json");
    const plan = JSON.parse(readFileSync(file, "utf8"));
    delete plan.resource_changes[0].change.after.capacity_block_offering_id;
    const summary = summarizePlan("prod-capacity", parsePlanJson(JSON.stringify(plan), file));

    expect(summary.dangers[0]?.details).toContain("Upfront fee: USD 10,752.00 (USD 4.00 per GPU-hour), charged at purchase");
  });

  it("GIVEN a capacity block replaced for another offering with no offering data THEN the danger shows the new block and says the fee is unknown", () => {
    const [danger] = fixture("capacity-block-replace").dangers;

    expect(danger?.kind).toBe("capacity-block-purchase");
    expect(danger?.change).toBe("replace");
    expect(danger?.details).toEqual([
      "Offering: cb-0bbbbbbbbbbbbbbb2",
      "Instances: 1 × p5e.48xlarge in us-west-2b",
      "Dates: 2026-12-15 11:30 UTC → 2026-12-29 11:30 UTC",
      "Upfront fee: not in the plan; check it with `blockfleet capacity offerings` before applying",
    ]);
  });

  it.each([
    ["eks-cluster-replace", "eks-cluster", "replace", "Replace EKS cluster", "vpc_config[0].subnet_ids"],
    ["eks-node-group-delete", "eks-node-group", "delete", "Delete EKS node group on a capacity block", "old instances have left the reservation"],
    ["dynamodb-table-replace", "dynamodb-table", "replace", "Replace DynamoDB table", "hash_key"],
    ["kms-key-delete", "kms-key", "delete", "Delete KMS key", "unreadable"],
    ["state-bucket-delete", "state-bucket", "delete", "Delete Terraform state bucket", "state and lock file"],
    ["state-bucket-tagged-replace", "state-bucket", "replace", "Replace Terraform state bucket", "bucket"],
  ] as const)("GIVEN %s THEN the danger is a %s %s", (name, kind, change, title, detail) => {
    const summary = fixture(name);

    expect(summary.dangers).toHaveLength(1);
    expect(summary.dangers[0]).toMatchObject({ kind, change, title });
    const danger = summary.dangers[0];
    expect([danger?.lost, danger?.recovery, ...(danger?.details ?? [])].join(" ")).toContain(detail);
  });

  it("GIVEN a delete inside a module THEN the danger keeps the full module address", () => {
    expect(fixture("dynamodb-table-replace").dangers[0]?.address).toBe("module.capacity_manager.aws_dynamodb_table.records");
  });
});

describe("parsePlanJson", () => {
  it("GIVEN a change that leaves out before, after and after_unknown THEN it still parses", () => {
    const plan = { format_version: "1.2", resource_changes: [{ address: "aws_kms_key.a", type: "aws_kms_key", change: { actions: ["delete"] } }] };

    expect(summarizePlan("minimal", parsePlanJson(JSON.stringify(plan), "plan.json")).dangers.map((danger) => danger.kind)).toEqual(["kms-key"]);
  });

  it("fails when the text is not JSON, pointing at terraform show -json", () => {
    expect(() => parsePlanJson("tfplan\u0000binary", "tfplan")).toThrow(
      /^tfplan is not JSON \(.+\); pass the output of `terraform show -json <planfile>`, not the binary plan file$/,
    );
  });

  it.each([
    ['{"password": "hunter2-secret', "a string never ends at line 1, column 29"],
    ['{"token": s3cr3t}', 'unexpected "s"'],
    ['{}\n{"password": "hunter2-secret"}', "more text after the JSON at line 2, column 1"],
    ['{"a": ', "it ends early: was the file cut off?"],
  ])("fails on broken JSON %j saying where, without quoting the input (it may hold a secret)", (text, where) => {
    expect(() => parsePlanJson(text, "plan.json")).toThrow(`plan.json is not JSON (${where}); pass the output`);
    try {
      parsePlanJson(text, "plan.json");
    } catch (error) {
      expect((error as Error).message).not.toMatch(/hunter2|s3cr3t/);
    }
  });

  it("fails when the JSON is not a plan, naming the missing field", () => {
    expect(() => parsePlanJson(JSON.stringify({ resources: [] }), "state.json")).toThrow(
      "state.json is not `terraform show -json` plan output: at format_version: Invalid input: expected string, received undefined",
    );
  });

  it("fails when a resource change has no actions, naming its path", () => {
    const plan = { format_version: "1.2", resource_changes: [{ address: "aws_vpc.a", type: "aws_vpc", change: { actions: [] } }] };

    expect(() => parsePlanJson(JSON.stringify(plan), "plan.json")).toThrow(/plan\.json .* at resource_changes\.0\.change\.actions: /);
  });
});
