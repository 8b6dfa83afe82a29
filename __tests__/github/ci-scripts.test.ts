import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const planFixtures = path.join(root, "__tests__", "src", "cli", "plan", "fixtures");

/**
 * A synthesized output with a local-state bootstrap stack and two remote-state stacks, and a fake terraform that logs
 * every call and answers `show -json` with the plan fixture chosen for that stack.
 */
function givenWorkspace(plans: Record<string, string>, options: { failPlanOf?: string } = {}) {
  const workspace = mkdtempSync(path.join(tmpdir(), "blockfleet-ci-"));
  const out = path.join(workspace, "cdktf.out");
  const stacks = {
    "dev-bootstrap": { dependencies: [], backend: { local: { path: "terraform.dev-bootstrap.tfstate" } } },
    "dev-karpenter": { dependencies: ["dev-cluster"], backend: { s3: { bucket: "state", key: "dev/dev-karpenter.tfstate", region: "us-east-2" } } },
    "dev-cluster": { dependencies: ["dev-bootstrap"], backend: { s3: { bucket: "state", key: "dev/dev-cluster.tfstate", region: "us-east-2" } } },
  };
  mkdirSync(path.join(out, "stacks"), { recursive: true });
  const manifest = Object.fromEntries(
    Object.entries(stacks).map(([name, stack]) => [name, { name, dependencies: stack.dependencies, workingDirectory: `stacks/${name}` }]),
  );
  writeFileSync(path.join(out, "manifest.json"), JSON.stringify({ version: "0.21.0", stacks: manifest }));
  for (const [name, stack] of Object.entries(stacks)) {
    mkdirSync(path.join(out, "stacks", name));
    writeFileSync(path.join(out, "stacks", name, "cdk.tf.json"), JSON.stringify({ terraform: { backend: stack.backend } }));
  }
  const plansDir = path.join(workspace, "plans");
  mkdirSync(plansDir);
  for (const [stack, fixture] of Object.entries(plans)) copyFileSync(path.join(planFixtures, `${fixture}.json`), path.join(plansDir, `${stack}.json`));
  const terraform = path.join(workspace, "fake-terraform");
  writeFileSync(
    terraform,
    [
      "#!/usr/bin/env bash",
      'dir="${1#-chdir=}"; stack="$(basename "$dir")"; shift',
      'echo "$stack $*" >> "$FAKE_LOG"',
      'if [[ "$1" == "plan" && "$stack" == "${FAKE_FAIL_PLAN_OF:-}" ]]; then echo "Error: Invalid provider configuration" >&2; exit 1; fi',
      'if [[ "$1" == "show" ]]; then cat "$FAKE_PLANS/$stack.json"; fi',
      "exit 0",
    ].join("\n"),
  );
  chmodSync(terraform, 0o755);
  const log = path.join(workspace, "terraform.log");
  const run = (script: string, args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync("bash", [path.join(root, ".github", "scripts", script), ...args], {
      cwd: workspace,
      encoding: "utf8",
      env: {
        ...process.env,
        TERRAFORM_BINARY_NAME: terraform,
        FAKE_LOG: log,
        FAKE_PLANS: plansDir,
        FAKE_FAIL_PLAN_OF: options.failPlanOf ?? "",
        GITHUB_STEP_SUMMARY: path.join(workspace, "step-summary.md"),
        ...env,
      },
    });
    const calls = existsSync(log) ? readFileSync(log, "utf8").trimEnd().split("\n") : [];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls, workspace };
  };
  return { run, workspace };
}

describe(".github/scripts/plan-environment.sh", () => {
  it("GIVEN clean plans THEN it plans the remote-state stacks in dependency order without locking and reports both", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "no-changes" });

    const result = run("plan-environment.sh", ["dev", "report.md"]);
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");

    expect(result.status).toBe(0);
    expect(result.calls.filter((call) => call.includes(" plan "))).toEqual([
      "dev-cluster plan -input=false -no-color -lock=false -out=tfplan",
      "dev-karpenter plan -input=false -no-color -lock=false -out=tfplan",
    ]);
    expect(result.calls.some((call) => call.startsWith("dev-bootstrap"))).toBe(false);
    expect(report).toMatch(/^# Terraform plan: dev\n\n✅ No dangerous changes in 2 stacks\./);
    expect(report).toContain("## `dev-cluster`");
    expect(report).toContain("## `dev-karpenter`");
  });

  it("GIVEN a capacity block purchase THEN it exits 2 with the DANGER in the report, and 0 when ALLOW_DANGER is set", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "capacity-block-purchase" });

    const blocked = run("plan-environment.sh", ["dev", "report.md"]);
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");
    const allowed = run("plan-environment.sh", ["dev", "report.md"], { ALLOW_DANGER: "true" });

    expect(blocked.status).toBe(2);
    expect(report).toContain("### 🛑 DANGER");
    expect(report).toContain("Upfront fee: USD 10,752.00");
    expect(allowed.status).toBe(0);
  });

  it("GIVEN a plan too large for its comment budget THEN the report keeps the DANGER within the budget and links to the full report in the job summary", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "kms-key-delete", "dev-karpenter": "clean" });
    const kmsDelete = JSON.parse(readFileSync(path.join(planFixtures, "kms-key-delete.json"), "utf8"));
    const rules = Array.from({ length: 600 }, (_, index) => ({
      address: `aws_security_group_rule.rule_${index}`,
      mode: "managed",
      type: "aws_security_group_rule",
      change: { actions: ["create"], before: null, after: { description: `rule ${index}` }, after_unknown: { id: true } },
    }));
    writeFileSync(
      path.join(workspace, "plans", "dev-cluster.json"),
      JSON.stringify({ ...kmsDelete, resource_changes: [...kmsDelete.resource_changes, ...rules] }),
    );

    const result = run("plan-environment.sh", ["dev", "report.md"], {
      PLAN_COMMENT_BUDGET: "8000",
      GITHUB_SERVER_URL: "https://github.test",
      GITHUB_REPOSITORY: "acme/blockfleet",
      GITHUB_RUN_ID: "42",
    });
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");
    const summary = readFileSync(path.join(workspace, "step-summary.md"), "utf8");

    expect(result.status).toBe(2);
    expect(report.length).toBeLessThanOrEqual(8000);
    expect(report).toContain("### 🛑 DANGER in `dev-cluster`\n\n- **Delete KMS key**");
    expect(report).toContain("The full report: the job summary of `plan dev` in the [workflow run](https://github.test/acme/blockfleet/actions/runs/42).");
    expect(summary).toContain("`aws_security_group_rule.rule_599`");
    expect(readFileSync(path.join(workspace, "report.full.md"), "utf8")).toBe(summary);
    expect(summary).toContain("## `dev-karpenter`");
  });

  it("GIVEN terraform shows something that is no plan for every stack THEN it exits 1 and the report says why", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "clean" });
    for (const stack of ["dev-cluster", "dev-karpenter"]) writeFileSync(path.join(workspace, "plans", `${stack}.json`), "Error: no plan\n");

    const result = run("plan-environment.sh", ["dev", "report.md"]);
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");

    expect(result.status).toBe(1);
    expect(report).toMatch(/^# Terraform plan: dev\n\nNo plan could be summarized:\n\n```\nblockfleet: plan-summary: .*dev-cluster\.json is not JSON/);
    expect(result.stderr).toContain("dev-karpenter.json is not JSON");
  });

  it("GIVEN a shortened report outside GitHub Actions THEN it points to the full report file written beside it", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "clean" });

    const result = run("plan-environment.sh", ["dev", "report.md"], { PLAN_COMMENT_BUDGET: "1000", GITHUB_RUN_ID: "" });
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");

    expect(result.status).toBe(0);
    expect(report).toContain("The full report: `report.full.md`.");
    expect(readFileSync(path.join(workspace, "report.full.md"), "utf8")).toContain("### Attribute changes");
  });

  it("GIVEN a stack that fails to plan THEN the others are still summarized and the failure is reported with its log", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "clean" }, { failPlanOf: "dev-cluster" });

    const result = run("plan-environment.sh", ["dev", "report.md"]);
    const report = readFileSync(path.join(workspace, "report.md"), "utf8");

    expect(result.status).toBe(1);
    expect(report).toContain("## `dev-karpenter`");
    expect(report).toContain("## ❌ Plan failed");
    expect(report).toMatch(/<summary><code>dev-cluster<\/code><\/summary>\n\n```\n[\s\S]*Error: Invalid provider configuration/);
  });
});

describe(".github/scripts/deploy-environment.sh", () => {
  it("GIVEN clean plans THEN it applies each stack's reviewed plan file, in dependency order, after planning it", () => {
    const { run, workspace } = givenWorkspace({ "dev-cluster": "clean", "dev-karpenter": "no-changes" });

    const result = run("deploy-environment.sh", ["dev"]);

    expect(result.status).toBe(0);
    expect(result.calls.map((call) => call.split(" ").slice(0, 2).join(" "))).toEqual([
      "dev-cluster init",
      "dev-cluster plan",
      "dev-cluster show",
      "dev-cluster apply",
      "dev-karpenter init",
      "dev-karpenter plan",
      "dev-karpenter show",
      "dev-karpenter apply",
    ]);
    expect(result.calls).toContain("dev-cluster apply -input=false -no-color tfplan");
    expect(readFileSync(path.join(workspace, "step-summary.md"), "utf8")).toContain("# Deploy dev-cluster");
  });

  it("GIVEN a dangerous plan THEN nothing of that stack or later ones is applied (a capacity block is never bought unreviewed)", () => {
    const { run } = givenWorkspace({ "dev-cluster": "capacity-block-purchase", "dev-karpenter": "clean" });

    const result = run("deploy-environment.sh", ["dev"]);

    expect(result.status).toBe(2);
    expect(result.calls.filter((call) => call.includes(" apply "))).toEqual([]);
    expect(result.calls.some((call) => call.startsWith("dev-karpenter"))).toBe(false);
    expect(result.stdout).toContain("::error::dev-cluster: the plan has dangerous changes (exit 2); nothing of dev-cluster was applied.");
  });

  it("GIVEN a dangerous plan and ALLOW_DANGER THEN it applies", () => {
    const { run } = givenWorkspace({ "dev-cluster": "capacity-block-purchase", "dev-karpenter": "clean" });

    const result = run("deploy-environment.sh", ["dev"], { ALLOW_DANGER: "true" });

    expect(result.status).toBe(0);
    expect(result.calls.filter((call) => call.includes(" apply ")).map((call) => call.split(" ")[0])).toEqual(["dev-cluster", "dev-karpenter"]);
  });
});

describe("both scripts", () => {
  it.each(["plan-environment.sh", "deploy-environment.sh"])("fails in %s when there is no synthesized output, before running terraform", (script) => {
    const { run, workspace } = givenWorkspace({});
    rmSync(path.join(workspace, "cdktf.out", "manifest.json"));

    const result = run(script, ["dev", "report.md"]);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain("cdktf.out has no manifest.json; run `blockfleet synth` first");
    expect(result.calls).toEqual([]);
  });
});
