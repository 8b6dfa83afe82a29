import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, loadConfig } from "../../../lambdas/capacity-manager/config";

describe("loadConfig", () => {
  it("GIVEN TABLE_NAME only THEN no topic and the documented defaults", () => {
    expect(loadConfig({ TABLE_NAME: "cbm" })).toEqual({ tableName: "cbm", topicArn: undefined, ...CONFIG_DEFAULTS });
  });

  it("GIVEN a topic THEN it is used; an empty TOPIC_ARN means none", () => {
    expect(loadConfig({ TABLE_NAME: "cbm", TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:cbm-alerts" }).topicArn).toBe("arn:aws:sns:eu-west-1:123456789012:cbm-alerts");
    expect(loadConfig({ TABLE_NAME: "cbm", TOPIC_ARN: "" }).topicArn).toBeUndefined();
  });

  it("fails when TABLE_NAME is missing", () => {
    expect(() => loadConfig({})).toThrowError("capacity manager configuration: TABLE_NAME: TABLE_NAME must be set to the capacity manager's DynamoDB table");
  });

  it("fails when TOPIC_ARN is not an SNS topic ARN", () => {
    expect(() => loadConfig({ TABLE_NAME: "cbm", TOPIC_ARN: "my-topic" })).toThrowError(/TOPIC_ARN: TOPIC_ARN must be an SNS topic ARN/);
  });
});
