/** Test support: capacity_manager sections of environment files shared by the schema and stack tests. */

/** A REGIONAL web ACL in the base environment's region (us-east-1). */
export const WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/blockfleet/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

/** An existing paging topic in the base environment's account and region. */
export const PAGER_TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:pagerduty-gpu";

/** Every option of `capacity_manager` away from its default. */
export function customCapacityManagerInput(): Record<string, unknown> {
  return {
    schedule_expression: "rate(5 minutes)",
    notification_email: "gpu-oncall@example.com",
    approver_principal_arns: ["arn:aws:iam::111122223333:role/finance-approver"],
    api_auth: "api_key_only",
    throttle: { rate_limit: 2, burst_limit: 4, quota_per_day: 500 },
    waf_web_acl_arn: WEB_ACL_ARN,
    extensions_enabled: true,
    monthly_budget_usd: 25000,
    allow_new_purchases: true,
    log_retention_days: 365,
    api_reserved_concurrency: 3,
    manage_api_gateway_account: false,
    alarms: {
      reconcile_errors: 2,
      reconcile_throttles: 10,
      dlq_messages: 3,
      expiring_without_extension: 1,
      record_failures: 5,
      notification_failures: 2,
      email: "gpu-pager@example.com",
      topic_arns: [PAGER_TOPIC_ARN],
      period_seconds: 600,
      evaluation_periods: 2,
    },
  };
}
