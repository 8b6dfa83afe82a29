import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, loadConfig } from "../../../lambdas/capacity-manager/config";

describe("loadConfig", () => {
  it("GIVEN the tables only THEN no topic and the documented defaults", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal" })).toEqual({ tableName: "cbm", journalTableName: "cbm-journal", topicArn: undefined, ...CONFIG_DEFAULTS });
  });

  it("fails when JOURNAL_TABLE_NAME is missing", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm" })).toThrowError("capacity manager configuration: JOURNAL_TABLE_NAME: JOURNAL_TABLE_NAME must be set to the capacity manager's journal table (record history)");
  });

  it("GIVEN a topic THEN it is used; an empty TOPIC_ARN means none", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:cbm-alerts" }).topicArn).toBe("arn:aws:sns:eu-west-1:123456789012:cbm-alerts");
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "" }).topicArn).toBeUndefined();
  });

  it("fails when TABLE_NAME is missing", () => {
    expect(() => loadConfig({ JOURNAL_TABLE_NAME: "cbm-journal" })).toThrowError("capacity manager configuration: TABLE_NAME: TABLE_NAME must be set to the capacity manager's DynamoDB table");
  });

  it("fails when TOPIC_ARN is not an SNS topic ARN", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", TOPIC_ARN: "my-topic" })).toThrowError(/TOPIC_ARN: TOPIC_ARN must be an SNS topic ARN/);
  });

  it("GIVEN DECLARED_BLOCKS_PARAMETER THEN reconcile reads declared blocks from it", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "/blockfleet/dev/capacity-manager/declared-blocks" }).declaredBlocksParameter).toBe("/blockfleet/dev/capacity-manager/declared-blocks");
    expect(loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "" }).declaredBlocksParameter).toBeUndefined();
  });

  it("fails when DECLARED_BLOCKS_PARAMETER is not a parameter name", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", JOURNAL_TABLE_NAME: "cbm-journal", DECLARED_BLOCKS_PARAMETER: "declared blocks" })).toThrowError(/DECLARED_BLOCKS_PARAMETER must be an SSM parameter name/);
  });
});
