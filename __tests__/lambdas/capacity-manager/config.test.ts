import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, loadConfig } from "../../../lambdas/capacity-manager/runtime/config";

describe("loadConfig", () => {
  it("GIVEN the tables only THEN no topic and the documented defaults", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal" })).toEqual({
      tableName: "cbm",
      journalTableName: "cbm-journal",
      topicArn: undefined,
      ...CONFIG_DEFAULTS,
      extensionsEnabled: false,
      access: { mode: "iam_and_key", approverPrincipalArns: [], apiKeyIds: {} },
    });
  });

  it("GIVEN EXTENSIONS_ENABLED=true THEN extensions may be bought; unset is tracking mode", () => {
    expect(
      loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", EXTENSIONS_ENABLED: "true", MONTHLY_BUDGET_USD: "60000" }).extensionsEnabled,
    ).toBe(true);
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", EXTENSIONS_ENABLED: "false" }).extensionsEnabled).toBe(false);
  });

  it("fails when EXTENSIONS_ENABLED is neither true nor false", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", EXTENSIONS_ENABLED: "yes" })).toThrowError(
      /EXTENSIONS_ENABLED: EXTENSIONS_ENABLED must be "true" or "false"/,
    );
  });

  it("GIVEN MONTHLY_BUDGET_USD THEN purchases are checked against it; tracking mode needs none", () => {
    expect(
      loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", EXTENSIONS_ENABLED: "true", MONTHLY_BUDGET_USD: "2500.50" }).monthlyBudgetUsd,
    ).toBe(2500.5);
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal" })).not.toHaveProperty("monthlyBudgetUsd");
  });

  it("fails when extensions are enabled without MONTHLY_BUDGET_USD", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", EXTENSIONS_ENABLED: "true" })).toThrowError(
      "capacity manager configuration: MONTHLY_BUDGET_USD: must be set when EXTENSIONS_ENABLED is true (every purchase is checked against the month's budget)",
    );
  });

  it.each(["0", "-5", "lots", "1e5", "10.001"])("fails when MONTHLY_BUDGET_USD is %s (not a positive amount)", (value) => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", MONTHLY_BUDGET_USD: value })).toThrowError(
      /MONTHLY_BUDGET_USD: MONTHLY_BUDGET_USD must be a positive amount in USD such as "60000" or "2500.50"/,
    );
  });

  it("fails when JOURNAL_TABLE_NAME is missing", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm" })).toThrowError(
      "capacity manager configuration: JOURNAL_TABLE_NAME: JOURNAL_TABLE_NAME must be set to the capacity manager's journal table (record history)",
    );
  });

  it("GIVEN approvers, a mode and key ids THEN the API knows who may approve and which key is which", () => {
    const config = loadConfig({
      TABLE_NAME: "cbm",
      JOURNAL_TABLE_NAME: "cbm-journal",
      API_AUTH_MODE: "api_key_only",
      APPROVER_PRINCIPAL_ARNS: "arn:aws:iam::123456789012:role/finance, arn:aws:iam::123456789012:user/ops/alice",
      API_KEY_ID_READ: "k-read",
      API_KEY_ID_WRITE: "k-write",
      API_KEY_ID_APPROVE: "k-approve",
    });
    expect(config.access).toEqual({
      mode: "api_key_only",
      approverPrincipalArns: ["arn:aws:iam::123456789012:role/finance", "arn:aws:iam::123456789012:user/ops/alice"],
      apiKeyIds: { read: "k-read", write: "k-write", approve: "k-approve" },
    });
  });

  it("fails when APPROVER_PRINCIPAL_ARNS holds something other than an IAM role or user ARN", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", APPROVER_PRINCIPAL_ARNS: "arn:aws:iam::123456789012:root" })).toThrowError(
      /APPROVER_PRINCIPAL_ARNS\.0: APPROVER_PRINCIPAL_ARNS must list IAM role or user ARNs/,
    );
  });

  it("fails when API_AUTH_MODE is unknown", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", API_AUTH_MODE: "open" })).toThrowError(
      /API_AUTH_MODE: API_AUTH_MODE must be "iam_and_key" or "api_key_only"/,
    );
  });

  it("GIVEN a topic THEN it is used; an empty TOPIC_ARN means none", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:cbm-alerts" }).topicArn).toBe(
      "arn:aws:sns:eu-west-1:123456789012:cbm-alerts",
    );
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "" }).topicArn).toBeUndefined();
  });

  it("fails when TABLE_NAME is missing", () => {
    expect(() => loadConfig({ JOURNAL_TABLE_NAME: "cbm-journal" })).toThrowError(
      "capacity manager configuration: TABLE_NAME: TABLE_NAME must be set to the capacity manager's DynamoDB table",
    );
  });

  it("fails when TOPIC_ARN is not an SNS topic ARN", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "my-topic" })).toThrowError(
      /TOPIC_ARN: TOPIC_ARN must be an SNS topic ARN/,
    );
  });

  it("GIVEN DECLARED_BLOCKS_PARAMETER THEN reconcile reads declared blocks from it", () => {
    expect(
      loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "/blockfleet/dev/capacity-manager/declared-blocks" })
        .declaredBlocksParameter,
    ).toBe("/blockfleet/dev/capacity-manager/declared-blocks");
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "" }).declaredBlocksParameter).toBeUndefined();
  });

  it("fails when DECLARED_BLOCKS_PARAMETER is not a parameter name", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "declared blocks" })).toThrowError(
      /DECLARED_BLOCKS_PARAMETER must be an SSM parameter name/,
    );
  });
});
