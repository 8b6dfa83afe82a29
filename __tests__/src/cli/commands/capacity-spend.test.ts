/**
 * `blockfleet capacity spend`: the demo account offline, and the real path against the manager's journal table on
 * dynalite (the same Query the command makes in an account), reached through the SDK's standard endpoint variable.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DynamoSpendLedger } from "../../../../lambdas/capacity-manager/adapters/dynamodb-ledger";
import { createDocumentClient } from "../../../../lambdas/capacity-manager/adapters/dynamodb-store";
import { journalTableName } from "../../../../src/cli/capacity/spend";
import { DEMO_ENVIRONMENTS_DIR } from "../../../../src/cli/demo/account";
import { runCli } from "../../../../src/cli/main";
import { type LocalDynamo, startDynalite } from "../../../lambdas/capacity-manager/dynalite";
import { captureIo } from "../test-io";

const NOW = new Date("2026-11-22T12:00:00Z");

const run = async (argv: string[], env: Record<string, string> = {}, cwd?: string) => {
  const io = captureIo({ now: NOW, env, ...(cwd ? { cwd } : {}) });
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe("capacity spend --demo", () => {
  it("GIVEN the demo account THEN it shows the month's extensions per block against the demo budget", async () => {
    const { code, out, err } = await run(["capacity", "spend", "--demo"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("Spend of demo in 2026-11 (UTC), from demo account (simulated)");
    expect(out).toMatch(/Budget {8}\$60,000\.00/);
    expect(out).toMatch(/BLOCK +RECORD +KIND +PURCHASED \(UTC\)/);
    expect(out).toContain("p5-training.cr-0de300000000000a1");
    // The extension whose payment failed was never settled as bought.
    expect(out).not.toContain("cr-0de300000000000c3");
  });

  it("GIVEN --json THEN it prints the GET /spend shape with the environment", async () => {
    const { code, out } = await run(["capacity", "spend", "--demo", "--json"]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as {
      environment: string;
      month: string;
      budgetUsd: number;
      totalUsd: number;
      remainingUsd: number;
      byKind: { extension: { purchases: number } };
      blocks: unknown[];
    };
    expect(json).toMatchObject({
      environment: "demo",
      month: "2026-11",
      currency: "USD",
      budgetUsd: 60000,
      byKind: { extension: { purchases: 2 }, replacement: { purchases: 0 } },
    });
    expect(json.remainingUsd).toBeCloseTo(json.budgetUsd - json.totalUsd, 2);
    expect(json.blocks).toHaveLength(2);
  });

  it("GIVEN an earlier month THEN it says there were no purchases", async () => {
    const { code, out } = await run(["capacity", "spend", "--demo", "--month", "2026-01"]);
    expect(code).toBe(0);
    expect(out).toContain("No purchases this month.");
  });

  it("fails when --month is not YYYY-MM, naming the flag", async () => {
    const { code, err } = await run(["capacity", "spend", "--demo", "--month", "2026-13"]);
    expect(code).toBe(1);
    expect(err).toContain('capacity spend: --month must be a UTC month written YYYY-MM (such as 2026-12), got "2026-13"');
  });

  it("fails when --env is missing without --demo", async () => {
    const { code, err } = await run(["capacity", "spend"]);
    expect(code).toBe(1);
    expect(err).toContain("capacity spend: --env is required");
  });

  it("GIVEN --help THEN it explains the command, its flags and where it reads", async () => {
    const { code, out } = await run(["capacity", "spend", "--help"]);
    expect(code).toBe(0);
    expect(out).toContain("Usage: blockfleet capacity spend --env E [--month YYYY-MM] [--json]");
    expect(out).toContain("one DynamoDB Query on the manager's journal table");
  });
});

describe("capacity spend --env (the journal table on dynalite)", () => {
  let dynamo: LocalDynamo;
  let dir: string;
  beforeAll(async () => {
    dynamo = await startDynalite();
    const table = journalTableName("staging");
    await dynamo.createTable(table.replace(/-journal$/, ""));
    dir = mkdtempSync(path.join(tmpdir(), "blockfleet-spend-"));
    copyFileSync(path.join(DEMO_ENVIRONMENTS_DIR, "demo.tfvars"), path.join(dir, "staging.tfvars"));
    writeFileSync(
      path.join(dir, "untracked.tfvars"),
      readFileSync(path.join(DEMO_ENVIRONMENTS_DIR, "demo.tfvars"), "utf8").replace(
        /capacity_manager = \{[^}]*\}/,
        "capacity_manager = {\n  enabled = false\n}",
      ),
    );
    const ledger = new DynamoSpendLedger(createDocumentClient(dynamo.client), table);
    await ledger.append({
      intentId: "cr-0de300000000000a1|2026-11-20T11:30:00.000Z|v7",
      kind: "extension",
      recordPk: "p5-training.cr-0de300000000000a1",
      capacityReservationId: "cr-0de300000000000a1",
      offeringId: "cbe-0123456789abcdef0",
      feeUsd: 14784,
      currency: "USD",
      startDate: "2026-11-20T11:30:00.000Z",
      endDate: "2026-11-27T11:30:00.000Z",
      purchasedAt: "2026-11-19T10:00:00.000Z",
      approvedBy: "arn:aws:iam::123456789012:role/finance-approver",
      reason: "extend by 168 h; approved",
    });
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await dynamo.stop();
  });

  it("GIVEN a ledger item in the month THEN it reads it with the caller's credentials and totals it against the file's budget", async () => {
    const { code, out, err } = await run(["capacity", "spend", "--env", "staging", "--dir", dir, "--json"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ environment: "staging", month: "2026-11", budgetUsd: 60000, totalUsd: 14784, remainingUsd: 45216 });
    const text = await run(["capacity", "spend", "--env", "staging", "--dir", dir]);
    expect(text.out).toContain(`from DynamoDB ${journalTableName("staging")} (us-east-1)`);
    expect(text.out).toContain("arn:aws:iam::123456789012:role/finance-approver");
  });

  it("fails when the environment deploys no capacity manager", async () => {
    const { code, err } = await run(["capacity", "spend", "--env", "untracked", "--dir", dir]);
    expect(code).toBe(1);
    expect(err).toContain('capacity spend: environment "untracked" deploys no capacity manager');
  });

  it("fails when the table cannot be read, saying where it looked", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9");
    try {
      const { code, err } = await run(["capacity", "spend", "--env", "staging", "--dir", dir]);
      expect(code).toBe(1);
      expect(err).toContain(`capacity spend: could not read the spend ledger from DynamoDB ${journalTableName("staging")} (us-east-1)`);
    } finally {
      vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    }
  });
});
