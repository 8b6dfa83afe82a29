import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stackNameFromPath } from "../../../../src/cli/commands/plan-summary";
import { runCli } from "../../../../src/cli/main";
import { captureIo } from "../test-io";

const fixtures = path.join(__dirname, "..", "plan", "fixtures");
const fixture = (name: string) => path.join(fixtures, `${name}.json`);

describe("blockfleet plan-summary", () => {
  it("GIVEN a clean plan THEN it prints the report and exits 0", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", fixture("clean")], io);

    expect(code).toBe(0);
    expect(io.out()).toContain("✅ No dangerous changes in 1 stack.");
    expect(io.out()).toContain("## `clean`");
    expect(io.out()).toContain("**1 to create, 2 to update, 1 to replace, 1 to delete** · 1 unchanged");
    expect(io.out()).toContain("| ♻️ replace -/+ (destroy first) | `aws_launch_template.p5_block_a_launch_template_3A4B5C6D` | aws_launch_template |");
    expect(io.out()).not.toContain("DANGER");
    expect(io.err()).toBe("");
  });

  it("GIVEN a capacity block purchase THEN it exits 2 and the DANGER section shows the fee", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", fixture("capacity-block-purchase")], io);

    expect(code).toBe(2);
    expect(io.out()).toContain("> [!CAUTION]\n> **1 dangerous change** in `capacity-block-purchase`.");
    expect(io.out()).toContain("### 🛑 DANGER in `capacity-block-purchase`");
    expect(io.out()).toContain(
      "  - Lost: the upfront fee of USD 10,752.00, charged at purchase\n  - Recovery: none: a capacity block can't be cancelled, refunded or resold",
    );
    expect(io.out()).toContain("  - Upfront fee: USD 10,752.00 (USD 4.00 per GPU-hour), charged at purchase");
  });

  it("GIVEN danger and --allow-danger THEN it still reports the danger but exits 0", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", "--allow-danger", fixture("kms-key-delete")], io);

    expect(code).toBe(0);
    expect(io.out()).toContain("**Delete KMS key**: `aws_kms_key.cluster_secrets_key_6F7A8B9C`");
  });

  it("GIVEN several plans THEN it reports each stack and an overview row per stack", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", fixture("clean"), fixture("eks-cluster-replace"), fixture("state-bucket-delete")], io);

    expect(code).toBe(2);
    expect(io.out()).toContain("**2 dangerous changes** in `eks-cluster-replace`, `state-bucket-delete`.");
    expect(io.out()).toContain("| `clean` | 1 | 2 | 1 | 1 | 0 | 0 | 0 | 0 | 0 | — |");
    expect(io.out()).toContain("| `eks-cluster-replace` | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 🛑 1 |");
    expect(io.out().match(/^## `/gm)).toHaveLength(3);
    expect(io.out().match(/^## 🛑 Dangerous changes$/gm)).toHaveLength(1);
  });

  it.each([["--json"], ["--format", "json"]])("GIVEN %s THEN it prints one JSON document for other tools to gate on", async (...flags) => {
    const io = captureIo();

    const code = await runCli(["plan-summary", ...flags, "--stack", "prod-cluster", fixture("eks-node-group-delete")], io);
    const document = JSON.parse(io.out());

    expect(code).toBe(2);
    expect(document).toMatchObject({ version: 1, exitCode: 2, dangerCount: 1, unreadable: [] });
    expect(document.stacks[0].stack).toBe("prod-cluster");
    expect(document.stacks[0].dangers[0]).toMatchObject({ kind: "eks-node-group", change: "delete", lost: expect.any(String), recovery: expect.any(String) });
  });

  it.each(["--budget", "--full-report-budget"])("fails when %s is not a whole number of 1 or more", async (flag) => {
    const io = captureIo();

    expect(await runCli(["plan-summary", flag, "lots", fixture("clean")], io)).toBe(1);
    expect(io.err()).toBe(`blockfleet: plan-summary: ${flag} must be a whole number of 1 or more, got "lots"\n`);
    expect(io.out()).toBe("");
  });

  it("fails when --format is neither markdown nor json", async () => {
    const io = captureIo();

    expect(await runCli(["plan-summary", "--format", "yaml", fixture("clean")], io)).toBe(1);
    expect(io.err()).toBe('blockfleet: plan-summary: --format must be one of markdown, json, got "yaml"\n');
  });

  it("GIVEN --title THEN it heads the report", async () => {
    const io = captureIo();

    await runCli(["plan-summary", "--title", "Plan for prod", fixture("clean")], io);

    expect(io.out().startsWith("# Plan for prod\n\n✅ No dangerous changes")).toBe(true);
  });

  it("GIVEN - as the file THEN it reads the plan from stdin", async () => {
    const io = captureIo({ stdin: readFileSync(fixture("clean"), "utf8") });

    const code = await runCli(["plan-summary", "-", "--stack", "dev-cluster"], io);

    expect(code).toBe(0);
    expect(io.out()).toContain("## `dev-cluster`");
  });

  it("GIVEN a plan piped from Windows PowerShell (UTF-16 LE with BOM) to the real process THEN it reads it", () => {
    const bin = path.join(__dirname, "..", "..", "..", "..", "bin", "blockfleet.cjs");
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(fixture("clean"), "utf8"), "utf16le")]);

    const result = spawnSync(process.execPath, [bin, "plan-summary", "-", "--stack", "dev-cluster"], { encoding: "utf8", input: utf16 });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("**1 to create, 2 to update, 1 to replace, 1 to delete** · 1 unchanged");
  });

  it("GIVEN a stack folder holding plan.json THEN the stack is named after the folder", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "blockfleet-plan-"));
    mkdirSync(path.join(root, "stacks", "prod-cluster"), { recursive: true });
    writeFileSync(path.join(root, "stacks", "prod-cluster", "plan.json"), readFileSync(fixture("clean")));
    const io = captureIo({ cwd: root });

    await runCli(["plan-summary", "stacks/prod-cluster/plan.json"], io);

    expect(io.out()).toContain("## `prod-cluster`");
  });

  it("fails when the file is missing, with one line and exit 1", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", "missing-plan.json"], io);

    expect(code).toBe(1);
    expect(io.err()).toBe("blockfleet: plan-summary: cannot read missing-plan.json: no such file\n");
    expect(io.out()).toBe("");
  });

  it("fails when the file is a binary plan, with one line saying so and exit 1", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "blockfleet-plan-"));
    writeFileSync(path.join(root, "tfplan"), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]));
    const io = captureIo({ cwd: root });

    const code = await runCli(["plan-summary", "tfplan"], io);

    expect(code).toBe(1);
    expect(io.err()).toBe("blockfleet: plan-summary: tfplan is a binary plan file, not JSON; pass the output of `terraform show -json <planfile>`\n");
    expect(io.out()).toBe("");
  });

  it("GIVEN one unreadable file among readable plans THEN the others are summarized, the bad one has its own section, and the exit code is theirs", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "blockfleet-plan-"));
    writeFileSync(path.join(root, "dev-broken.json"), "{ not json");
    const io = captureIo({ cwd: root });

    const code = await runCli(["plan-summary", "dev-broken.json", fixture("clean"), fixture("kms-key-delete")], io);

    expect(code).toBe(2);
    expect(io.out()).toContain("**1 plan file could not be read**");
    expect(io.out()).toMatch(/## ⚠️ Plans that could not be read\n\n- `dev-broken\.json`: dev-broken\.json is not JSON/);
    expect(io.out()).toContain("## `clean`");
    expect(io.out()).toContain("### 🛑 DANGER in `kms-key-delete`");
    expect(io.err()).toMatch(/^blockfleet: plan-summary: dev-broken\.json is not JSON .*\n$/);
  });

  it("fails with exit 1 when no file could be summarized, one line per file", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", "missing-a.json", "missing-b.json"], io);

    expect(code).toBe(1);
    expect(io.err()).toBe(
      "blockfleet: plan-summary: cannot read missing-a.json: no such file\nblockfleet: plan-summary: cannot read missing-b.json: no such file\n",
    );
    expect(io.out()).toBe("");
  });

  it("fails when --stack is given with several files", async () => {
    const io = captureIo();

    const code = await runCli(["plan-summary", "--stack", "x", fixture("clean"), fixture("kms-key-delete")], io);

    expect(code).toBe(1);
    expect(io.err()).toBe("blockfleet: plan-summary: --stack names a single plan, but 2 files were given\n");
  });

  it("fails when no file is given", async () => {
    const io = captureIo();

    expect(await runCli(["plan-summary"], io)).toBe(1);
    expect(io.err()).toContain("give at least one plan JSON file");
  });
});

describe("stackNameFromPath", () => {
  it.each([
    ["plans/prod-cluster.json", "prod-cluster"],
    ["prod-karpenter.plan.json", "prod-karpenter"],
    ["dev-bootstrap.tfplan.json", "dev-bootstrap"],
    ["cdktf.out/stacks/dev-cluster/plan.json", "dev-cluster"],
    ["cdktf.out/stacks/dev-cluster/tfplan.json", "dev-cluster"],
  ])("GIVEN %s THEN the stack is %s", (file, stack) => {
    expect(stackNameFromPath(file)).toBe(stack);
  });
});
