/**
 * The `capacity_manager = { … }` section of an environment file: the Lambda service that tracks, extends and
 * approves capacity blocks. Absent means the environment has no `<env>-capacity-manager` stack. Every key has a
 * default, so `capacity_manager = {}` deploys the secure setup.
 */
import { z } from "zod";
import {
  DEFAULT_EXTEND_BEFORE_HOURS,
  DEFAULT_EXTEND_BY_HOURS,
  DEFAULT_REPLACEMENT_DURATION_HOURS,
  DEFAULT_REQUIRE_APPROVAL,
  isSellableDurationHours,
  MAX_EXTEND_BEFORE_HOURS,
  MIN_EXTEND_BEFORE_HOURS,
} from "../../lambdas/capacity-manager/domain/rules";
import { isLogRetentionDays, LOG_RETENTION_MESSAGE } from "../lib/log-retention";
import { refuseDuplicatePrincipals } from "./unique-principals";

/** `rate(1 minute)`, `rate(5 minutes)`: EventBridge wants the singular unit for 1 and the plural otherwise. */
const RATE_EXPRESSION = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
/** `cron(minutes hours day-of-month month day-of-week year)`: six fields. */
const CRON_EXPRESSION = /^cron\((\S+ ){5}\S+\)$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
/** IAM roles and users (not sessions, not root): what API Gateway's aws:PrincipalArn is for a SigV4 caller. */
const APPROVER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const REGIONAL_WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:([a-z0-9-]+):\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]{36}$/;

/** How API callers are authorized. */
export const API_AUTH_MODES = ["iam_and_key", "api_key_only"] as const;
export type ApiAuthMode = (typeof API_AUTH_MODES)[number];

const scheduleExpression = z.string().superRefine((value, ctx) => {
  const rate = RATE_EXPRESSION.exec(value);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = rate[2]!;
    const singular = !unit.endsWith("s");
    if (amount < 1) ctx.addIssue({ code: "custom", message: `a rate must be at least 1, got "${value}"` });
    else if (singular !== (amount === 1)) {
      ctx.addIssue({
        code: "custom",
        message: `EventBridge needs "${amount === 1 ? unit.replace(/s$/, "") : `${unit}s`}" with ${amount}: "${value}" is rejected at deploy`,
      });
    }
    return;
  }
  if (!CRON_EXPRESSION.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: 'expected an EventBridge schedule expression such as "rate(1 minute)", "rate(5 minutes)" or "cron(0/5 * * * ? *)"',
    });
  }
});

const logRetentionDays = z.number().int().refine(isLogRetentionDays, { message: LOG_RETENTION_MESSAGE });

const throttleSchema = z
  .strictObject({
    /** Steady-state requests per second, for the stage and for the usage plan of the API key. */
    rate_limit: z.number().positive().max(10_000).default(10),
    /** Requests above the rate absorbed at once. */
    burst_limit: z.number().int().min(1).max(5_000).default(20),
    /** Requests per day allowed to the API key (usage plan quota). */
    quota_per_day: z.number().int().min(1).max(10_000_000).default(10_000),
  })
  .superRefine((throttle, ctx) => {
    if (throttle.burst_limit < throttle.rate_limit) {
      ctx.addIssue({
        code: "custom",
        path: ["burst_limit"],
        message: `burst_limit must be at least rate_limit, got burst_limit=${throttle.burst_limit}, rate_limit=${throttle.rate_limit}`,
      });
    }
  });

const alarmsSchema = z.strictObject({
  /** Reconcile invocations that failed within one period before alarming. */
  reconcile_errors: z.number().int().min(1).default(1),
  /** Throttled reconcile invocations within one period (reserved concurrency is 1, so overlaps are throttled). */
  reconcile_throttles: z.number().int().min(1).default(5),
  /** Messages waiting in the dead-letter queue. */
  dlq_messages: z.number().int().min(1).default(1),
  /** Tracked blocks ending within 24 h with no extension (the manager's `ExpiringWithoutExtension` metric). */
  expiring_without_extension: z.number().int().min(1).default(1),
  /** Records that failed to reconcile within one period (`RecordFailures`; a record failing every run gives 5 in 5 minutes). */
  record_failures: z.number().int().min(1).default(3),
  /** Publishes SNS refused within one period (`NotificationFailures`: approval requests and alerts not delivered). */
  notification_failures: z.number().int().min(1).default(1),
  /**
   * Subscribed to the alarm topic, a second topic with its own KMS key: alarms (broken notifications included) reach
   * this address even when the notification topic or its key is what failed. The address must confirm the subscription.
   */
  email: z.email({ message: "expected an e-mail address" }).optional(),
  /**
   * Existing SNS topics in the environment's region (a pager integration) that get every alarm too. At most 3: an
   * alarm takes 5 actions (ok_actions MaxItems 5 in hashicorp/terraform-provider-aws
   * internal/service/cloudwatch/metric_alarm.go), and the alarm and notification topics are two of them.
   */
  topic_arns: z
    .array(z.string().regex(SNS_TOPIC_ARN, { message: "expected an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)" }))
    .max(3, { message: "at most 3 topics (an alarm takes 5 actions; the alarm and notification topics are two)" })
    .default([]),
  period_seconds: z
    .number()
    .int()
    .min(60)
    .max(86_400)
    .refine((value) => value % 60 === 0, { message: "expected a multiple of 60 seconds (CloudWatch metric periods)" })
    .default(300),
  evaluation_periods: z.number().int().min(1).max(288).default(1),
});

/**
 * The extension money policy fields, with the API's rules (the same constants the manager's API validates with):
 * a lead EC2's payment window allows and a duration EC2 sells.
 */
export const extendPolicyFields = {
  /** Buy the extension this many hours before the block's real end (payment may take 12 h and must clear 35 min before it). */
  before_hours: z
    .number()
    .int({ message: "expected a whole number of hours" })
    .min(MIN_EXTEND_BEFORE_HOURS, { message: `must be at least ${MIN_EXTEND_BEFORE_HOURS}: payment can take 12 h and must clear 35 min before the end` })
    .max(MAX_EXTEND_BEFORE_HOURS, { message: `must be at most ${MAX_EXTEND_BEFORE_HOURS}: extension offerings open 56 days before the end` }),
  /** Hours each extension adds. */
  by_hours: z.number().refine(isSellableDurationHours, {
    message: "expected a duration EC2 sells: 24 h steps up to 336 (14 days), then 168 h (7-day) steps up to 4368 (182 days)",
  }),
  /** A person approves each purchase (PATCH /{PK}) before the manager buys it. */
  require_approval: z.boolean(),
  /** Highest upfront fee paid for one extension, in USD; absent means no cap. */
  max_upfront_fee_usd: z.number().positive({ message: "expected a positive amount in USD" }).max(100_000_000),
};

/**
 * `capacity_blocks[].extend.replace`: when no extension within the policy is bought in time, buy a new block of the
 * same type and count (a replacement). Needs `capacity_manager.allow_new_purchases = true`.
 */
export const replacePolicySchema = z.strictObject({
  /** Buy a replacement when no extension is bought in time. */
  enabled: z.boolean().default(false),
  /** Zones (of the environment's `availability_zones`) a replacement may be bought in. @default the block's own zone */
  availability_zones: z.array(z.string()).min(1, { message: "list at least one zone, or leave availability_zones out for the block's own zone" }).optional(),
  /** Duration of the replacement block. */
  duration_hours: z
    .number()
    .refine(isSellableDurationHours, {
      message: "expected a duration EC2 sells: 24 h steps up to 336 (14 days), then 168 h (7-day) steps up to 4368 (182 days)",
    })
    .default(DEFAULT_REPLACEMENT_DURATION_HOURS),
});

/** `capacity_manager.extend`: the defaults every declared block's `extend` starts from. */
const extendDefaultsSchema = z.strictObject({
  before_hours: extendPolicyFields.before_hours.default(DEFAULT_EXTEND_BEFORE_HOURS),
  by_hours: extendPolicyFields.by_hours.default(DEFAULT_EXTEND_BY_HOURS),
  require_approval: extendPolicyFields.require_approval.default(DEFAULT_REQUIRE_APPROVAL),
  max_upfront_fee_usd: extendPolicyFields.max_upfront_fee_usd.optional(),
});

export const capacityManagerSchema = z.strictObject({
  /**
   * Deploy the manager. It is deployed in tracking mode (node group scaling, expiry alerts, status; no purchases)
   * wherever capacity blocks are declared, also without this section; `false` turns it off.
   */
  enabled: z.boolean().default(true),
  /**
   * Let the manager buy extensions (each approved as its block's `extend.require_approval` says). Off is tracking
   * mode: nothing is proposed or bought and reconcile's role has no purchase permission at all.
   */
  extensions_enabled: z.boolean().default(false),
  /**
   * Most the manager may commit in one UTC calendar month, in USD, extensions and replacements together. A purchase
   * that would take the month's committed spend (the spend ledger plus purchases in flight) over it is not made, and
   * no approval overrides that; only a higher budget (a redeploy) does. Required when `extensions_enabled = true`.
   */
  monthly_budget_usd: z.number().positive({ message: "expected a positive amount in USD" }).max(100_000_000).optional(),
  /** Extension policy of every declared block that does not set its own `capacity_blocks[].extend`. */
  extend: extendDefaultsSchema.prefault({}),
  /** When reconcile runs besides EC2 events. */
  schedule_expression: scheduleExpression.default("rate(1 minute)"),
  /** Subscribed to the manager's topic (approvals, alerts, alarms); the address must confirm the subscription. */
  notification_email: z.email({ message: "expected an e-mail address" }).optional(),
  /**
   * IAM roles or users who may approve purchases (PATCH /{PK}: spends money). The API's resource policy denies PATCH
   * to every other principal and the API function refuses anyone else, API keys included. Empty: nobody can approve,
   * so records that require approval are never extended. In `api_key_only` mode the approver API key approves instead.
   */
  approver_principal_arns: z
    .array(
      z.string().regex(APPROVER_ARN, { message: "expected an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), not a session, root or wildcard" }),
    )
    .superRefine(refuseDuplicatePrincipals("capacity_manager.approver_principal_arns", "list each approver once"))
    .default([]),
  /**
   * `iam_and_key`: every method needs SigV4 (AWS_IAM) and the API key. `api_key_only`: the key alone authorizes,
   * like the Capacity Block Manager sample's curl workflow — anyone holding the key can approve purchases, so synth
   * warns about it.
   */
  api_auth: z.enum(API_AUTH_MODES, { message: `expected one of ${API_AUTH_MODES.join(", ")}` }).default("iam_and_key"),
  throttle: throttleSchema.default(() => throttleSchema.parse({})),
  /** A REGIONAL WAFv2 web ACL (same region as the environment) attached to the API stage. */
  waf_web_acl_arn: z
    .string()
    .regex(REGIONAL_WEB_ACL_ARN, { message: "expected a REGIONAL WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)" })
    .optional(),
  /** Lets reconcile buy new capacity blocks (ec2:PurchaseCapacityBlock); needs `extensions_enabled = true`. */
  allow_new_purchases: z.boolean().default(false),
  log_retention_days: logRetentionDays.default(90),
  /**
   * Concurrent API invocations to reserve (and cap). Unset, the API shares the account's unreserved pool, bounded by
   * the API Gateway throttle: Lambda refuses any reservation that leaves the account under 100 unreserved executions,
   * which with the default quota of 1,000 leaves little room. Reconcile always reserves 1 (it must run alone).
   */
  api_reserved_concurrency: z.number().int().min(1).max(1_000).optional(),
  /**
   * Set API Gateway's account-wide CloudWatch Logs role for this region, which access and execution logging need.
   * Turn off when another stack of the account already manages `aws_api_gateway_account` in this region.
   */
  manage_api_gateway_account: z.boolean().default(true),
  alarms: alarmsSchema.default(() => alarmsSchema.parse({})),
});

export type CapacityManagerConfig = z.output<typeof capacityManagerSchema>;

/** How the manager acts on an environment's blocks: absent, tracking only, or buying extensions. */
export type CapacityManagerMode = "not_deployed" | "tracking" | "extending";

export function capacityManagerMode(manager: CapacityManagerConfig | undefined): CapacityManagerMode {
  if (manager === undefined) return "not_deployed";
  return manager.extensions_enabled ? "extending" : "tracking";
}

/** One line (at most 80 columns) naming the mode and the key that sets it, as `capacity status` prints it. */
export const CAPACITY_MANAGER_MODE_LINES: Readonly<Record<CapacityManagerMode, string>> = {
  not_deployed: "Capacity manager: not deployed in this environment",
  tracking: "Capacity manager: tracking mode (capacity_manager.extensions_enabled = false)",
  extending: "Capacity manager: buys extensions (capacity_manager.extensions_enabled = true)",
};

/** Rules that need the rest of the environment. Each names the field it blames. */
export function checkCapacityManager(
  env: { readonly region: string; readonly capacity_manager?: CapacityManagerConfig | undefined },
  ctx: z.RefinementCtx,
): void {
  for (const [index, topicArn] of (env.capacity_manager?.alarms.topic_arns ?? []).entries()) {
    const topicRegion = SNS_TOPIC_ARN.exec(topicArn)?.[1];
    if (topicRegion !== undefined && topicRegion !== env.region) {
      ctx.addIssue({
        code: "custom",
        path: ["capacity_manager", "alarms", "topic_arns", index],
        message: `the topic is in "${topicRegion}" but the alarms are in "${env.region}"; CloudWatch alarm actions publish to topics of their own region`,
      });
    }
  }
  if (env.capacity_manager?.allow_new_purchases === true && !env.capacity_manager.extensions_enabled) {
    ctx.addIssue({
      code: "custom",
      path: ["capacity_manager", "allow_new_purchases"],
      message: "needs capacity_manager.extensions_enabled = true: in tracking mode the manager buys nothing",
    });
  }
  if (env.capacity_manager?.extensions_enabled === true && env.capacity_manager.monthly_budget_usd === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["capacity_manager", "monthly_budget_usd"],
      message: "required when capacity_manager.extensions_enabled = true: the manager may buy, and every purchase is checked against the month's budget in USD",
    });
  }
  const arn = env.capacity_manager?.waf_web_acl_arn;
  const aclRegion = arn ? REGIONAL_WEB_ACL_ARN.exec(arn)?.[1] : undefined;
  if (aclRegion !== undefined && aclRegion !== env.region) {
    ctx.addIssue({
      code: "custom",
      path: ["capacity_manager", "waf_web_acl_arn"],
      message: `the web ACL is in "${aclRegion}" but the API is in "${env.region}"; a regional web ACL only attaches to resources of its own region`,
    });
  }
}
