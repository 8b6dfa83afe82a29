import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/config/schema";
import { customCapacityManagerInput, WEB_ACL_ARN } from "../../support/capacity-manager";
import { expectRejected, type Input } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

function withManager(section: Input): Input {
  return { ...baseEnvironmentInput(), capacity_manager: section };
}

const WEB_ACL = WEB_ACL_ARN;

describe("capacity_manager schema", () => {
  it("leaves the manager out when the environment file has neither the section nor capacity blocks", () => {
    // GIVEN an environment without capacity_manager and without blocks  WHEN parsed  THEN there is no manager config
    expect(environmentSchema.parse({ ...baseEnvironmentInput(), capacity_blocks: [] }).capacity_manager).toBeUndefined();
  });

  it("deploys the manager with its defaults wherever capacity blocks are declared, without the section", () => {
    // GIVEN blocks and no capacity_manager section  WHEN parsed  THEN the manager is on, in tracking mode
    const manager = environmentSchema.parse(baseEnvironmentInput()).capacity_manager;
    expect(manager).toEqual(environmentSchema.parse(withManager({})).capacity_manager);
    expect(manager).toMatchObject({ enabled: true, extensions_enabled: false, allow_new_purchases: false, extend: { require_approval: true } });
  });

  it("turns the manager off with enabled = false, blocks or not", () => {
    expect(environmentSchema.parse(withManager({ enabled: false })).capacity_manager).toBeUndefined();
  });

  it("gives each block the manager's extension defaults unless the block sets its own", () => {
    // GIVEN defaults in capacity_manager.extend and one block overriding two of them
    const base = baseEnvironmentInput();
    const [block] = base.capacity_blocks as Input[];
    const input = {
      ...base,
      capacity_manager: { extend: { before_hours: 36, max_upfront_fee_usd: 5000 } },
      capacity_blocks: [block, { ...block, name: "p5-b", reservation_id: "cr-0fedcba9876543210", extend: { by_hours: 48, require_approval: false } }],
    };
    // WHEN parsed  THEN every block's policy is complete
    const blocks = environmentSchema.parse(input).capacity_blocks;
    expect(blocks.map((b) => b.extend)).toEqual([
      { before_hours: 36, by_hours: 24, require_approval: true, max_upfront_fee_usd: 5000 },
      { before_hours: 36, by_hours: 48, require_approval: false, max_upfront_fee_usd: 5000 },
    ]);
  });

  it("fails when a block buys its extension less than 13 hours ahead (payment can take 12 h)", async () => {
    const base = baseEnvironmentInput();
    const [block] = base.capacity_blocks as Input[];
    await expectRejected({ ...base, capacity_blocks: [{ ...block, extend: { before_hours: 12 } }] }, "capacity_blocks[0].extend.before_hours", /at least 13/);
  });

  it("fails when an extension duration is one EC2 does not sell", async () => {
    const base = baseEnvironmentInput();
    const [block] = base.capacity_blocks as Input[];
    await expectRejected({ ...base, capacity_blocks: [{ ...block, extend: { by_hours: 36 } }] }, "capacity_blocks[0].extend.by_hours", /duration EC2 sells/);
  });

  it("fails when the default extension duration is one EC2 does not sell", async () => {
    await expectRejected(withManager({ extend: { by_hours: 15 * 24 } }), "capacity_manager.extend.by_hours", /duration EC2 sells/);
  });

  it("fails when new purchases are allowed in tracking mode (extension purchasing off)", async () => {
    await expectRejected(
      withManager({ allow_new_purchases: true }),
      "capacity_manager.allow_new_purchases",
      /needs capacity_manager\.extensions_enabled = true: in tracking mode the manager buys nothing/,
    );
    expect(await issuesOf(withManager({ extensions_enabled: true, monthly_budget_usd: 10000, allow_new_purchases: true }))).toEqual([]);
  });

  it("fails when the manager may buy (extensions_enabled = true) without a monthly budget", async () => {
    await expectRejected(
      withManager({ extensions_enabled: true }),
      "capacity_manager.monthly_budget_usd",
      /required when capacity_manager\.extensions_enabled = true: the manager may buy, and every purchase is checked against the month's budget in USD/,
    );
    expect(await issuesOf(withManager({ extensions_enabled: false }))).toEqual([]);
  });

  it("fails when the monthly budget is not a positive amount", async () => {
    await expectRejected(
      withManager({ extensions_enabled: true, monthly_budget_usd: 0 }),
      "capacity_manager.monthly_budget_usd",
      /expected a positive amount in USD/,
    );
  });

  it("fails when extensions_enabled is not a boolean", async () => {
    await expectRejected(withManager({ extensions_enabled: "yes" }), "capacity_manager.extensions_enabled", /boolean/);
  });

  it("fails when the fee cap is not positive", async () => {
    await expectRejected(withManager({ extend: { max_upfront_fee_usd: 0 } }), "capacity_manager.extend.max_upfront_fee_usd", /positive amount/);
  });

  it("fills every default from an empty block: IAM and key, every minute, no new purchases", () => {
    // GIVEN `capacity_manager = {}`  WHEN parsed  THEN the secure defaults are set
    const manager = environmentSchema.parse(withManager({})).capacity_manager;
    expect(manager).toEqual({
      enabled: true,
      extensions_enabled: false,
      extend: { before_hours: 24, by_hours: 24, require_approval: true },
      schedule_expression: "rate(1 minute)",
      approver_principal_arns: [],
      api_auth: "iam_and_key",
      throttle: { rate_limit: 10, burst_limit: 20, quota_per_day: 10_000 },
      allow_new_purchases: false,
      log_retention_days: 90,
      manage_api_gateway_account: true,
      alarms: {
        reconcile_errors: 1,
        reconcile_throttles: 5,
        dlq_messages: 1,
        expiring_without_extension: 1,
        record_failures: 3,
        notification_failures: 1,
        topic_arns: [],
        period_seconds: 300,
        evaluation_periods: 1,
      },
    });
  });

  it("accepts every option set explicitly, including a web ACL of the environment's region", async () => {
    expect(await issuesOf(withManager(customCapacityManagerInput()))).toEqual([]);
  });

  it("accepts a cron schedule", async () => {
    expect(await issuesOf(withManager({ schedule_expression: "cron(0/5 * * * ? *)" }))).toEqual([]);
  });

  it("fails when the schedule is not an EventBridge expression", async () => {
    await expectRejected(
      withManager({ schedule_expression: "every minute" }),
      "capacity_manager.schedule_expression",
      /expected an EventBridge schedule expression/,
    );
  });

  it("fails when a rate of 1 uses the plural unit, which EventBridge rejects", async () => {
    await expectRejected(withManager({ schedule_expression: "rate(1 minutes)" }), "capacity_manager.schedule_expression", /needs "minute" with 1/);
  });

  it("fails when a rate above 1 uses the singular unit", async () => {
    await expectRejected(withManager({ schedule_expression: "rate(5 minute)" }), "capacity_manager.schedule_expression", /needs "minutes" with 5/);
  });

  it("fails when a rate is zero", async () => {
    await expectRejected(withManager({ schedule_expression: "rate(0 minutes)" }), "capacity_manager.schedule_expression", /at least 1/);
  });

  it("accepts approver roles and users", async () => {
    expect(
      await issuesOf(withManager({ approver_principal_arns: ["arn:aws:iam::111122223333:role/finance/approver", "arn:aws:iam::111122223333:user/cfo"] })),
    ).toEqual([]);
  });

  it.each([
    ["a role session", "arn:aws:sts::111122223333:assumed-role/finance/alice"],
    ["the account root", "arn:aws:iam::111122223333:root"],
    ["a wildcard", "arn:aws:iam::111122223333:role/*"],
  ])("fails when an approver is %s", async (_name, arn) => {
    await expectRejected(withManager({ approver_principal_arns: [arn] }), "capacity_manager.approver_principal_arns[0]", /expected an IAM role or user ARN/);
  });

  it("fails when api_auth is not a known mode", async () => {
    await expectRejected(withManager({ api_auth: "none" }), "capacity_manager.api_auth", /expected one of iam_and_key, api_key_only/);
  });

  it("fails when the notification e-mail is not an address", async () => {
    await expectRejected(withManager({ notification_email: "oncall" }), "capacity_manager.notification_email", /expected an e-mail address/);
  });

  it("fails when the burst limit is below the rate limit", async () => {
    await expectRejected(
      withManager({ throttle: { rate_limit: 50, burst_limit: 10 } }),
      "capacity_manager.throttle.burst_limit",
      /burst_limit must be at least rate_limit, got burst_limit=10, rate_limit=50/,
    );
  });

  it("fails when the rate limit is not positive", async () => {
    await expectRejected(withManager({ throttle: { rate_limit: 0 } }), "capacity_manager.throttle.rate_limit", /Too small/i);
  });

  it("fails when the web ACL is a CloudFront (global) one", async () => {
    await expectRejected(
      withManager({ waf_web_acl_arn: WEB_ACL.replace("regional/", "global/") }),
      "capacity_manager.waf_web_acl_arn",
      /expected a REGIONAL WAFv2 web ACL ARN/,
    );
  });

  it("fails when the web ACL is in another region than the environment", async () => {
    await expectRejected(
      withManager({ waf_web_acl_arn: WEB_ACL.replace("us-east-1", "eu-west-1") }),
      "capacity_manager.waf_web_acl_arn",
      /the web ACL is in "eu-west-1" but the API is in "us-east-1"/,
    );
  });

  it("fails when the log retention is not a period CloudWatch accepts", async () => {
    await expectRejected(
      withManager({ log_retention_days: 45 }),
      "capacity_manager.log_retention_days",
      /expected a CloudWatch Logs retention period: 1, 3, 5/,
    );
  });

  it("fails when an alarm period is not a whole number of minutes", async () => {
    await expectRejected(withManager({ alarms: { period_seconds: 90 } }), "capacity_manager.alarms.period_seconds", /multiple of 60 seconds/);
  });

  it("fails when an alarm threshold is zero (it would always be in alarm)", async () => {
    await expectRejected(withManager({ alarms: { dlq_messages: 0 } }), "capacity_manager.alarms.dlq_messages", /Too small/i);
  });

  it("fails when the record-failure alarm threshold is zero", async () => {
    await expectRejected(withManager({ alarms: { record_failures: 0 } }), "capacity_manager.alarms.record_failures", /Too small/i);
  });

  it("fails when the notification-failure alarm threshold is zero", async () => {
    await expectRejected(withManager({ alarms: { notification_failures: 0 } }), "capacity_manager.alarms.notification_failures", /Too small/i);
  });

  it("fails when the alarm e-mail is not an address", async () => {
    await expectRejected(withManager({ alarms: { email: "on-call" } }), "capacity_manager.alarms.email", /expected an e-mail address/);
  });

  it("fails when an alarm topic is not an SNS topic ARN", async () => {
    await expectRejected(withManager({ alarms: { topic_arns: ["pagerduty"] } }), "capacity_manager.alarms.topic_arns[0]", /expected an SNS topic ARN/);
  });

  it("fails when an alarm topic is in another region than the alarms", async () => {
    await expectRejected(
      withManager({ alarms: { topic_arns: ["arn:aws:sns:eu-west-1:111122223333:pager"] } }),
      "capacity_manager.alarms.topic_arns[0]",
      /in "eu-west-1" but the alarms are in "us-east-1"/,
    );
  });

  it("fails when more alarm topics are named than CloudWatch takes actions", async () => {
    const topics = [1, 2, 3, 4].map((n) => `arn:aws:sns:us-east-1:111122223333:pager-${n}`);
    await expectRejected(withManager({ alarms: { topic_arns: topics } }), "capacity_manager.alarms.topic_arns", /at most 3 topics/);
  });

  it("fails when the API reserved concurrency is zero (the API would never run)", async () => {
    await expectRejected(withManager({ api_reserved_concurrency: 0 }), "capacity_manager.api_reserved_concurrency", /Too small/i);
  });

  it("fails when a key is misspelt, suggesting the right one", async () => {
    await expectRejected(withManager({ allow_new_purchase: true }), "capacity_manager.allow_new_purchase", /did you mean "allow_new_purchases"/);
  });
});
