import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Construct } from "constructs";
import { checkedName } from "../../lib/naming";

/** EC2 events that change a tracked block: matched by prefix so new event types of both families arrive too. */
export const RECONCILE_EVENT_PATTERNS = {
  "capacity-block-events": { source: ["aws.ec2"], "detail-type": [{ prefix: "Capacity Block" }] },
  "capacity-reservation-events": { source: ["aws.ec2"], "detail-type": [{ prefix: "EC2 Capacity Reservation " }] },
} as const;

/**
 * Physical name suffixes of the event rules, shorter than their construct ids (which are addresses and stay) so that
 * `blockfleet-<env>-capacity-manager-<suffix>` fits EventBridge's 64 characters with a 16-character environment name.
 * Rules and targets are stateless: the rename replaces them once on redeploy.
 */
export const RECONCILE_EVENT_RULE_NAMES = {
  "capacity-block-events": "block-events",
  "capacity-reservation-events": "reservation-events",
} as const satisfies Record<keyof typeof RECONCILE_EVENT_PATTERNS, string>;

/** EventBridge delivery: a few retries within an hour, then the dead-letter queue. */
const TARGET_RETRY_POLICY = { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 } as const;

export interface ReconcileTriggersProps {
  /** Prefix of the rule names, e.g. `blockfleet-prod-capacity-manager`. */
  readonly namePrefix: string;
  /** EventBridge schedule of the periodic run, e.g. `rate(1 minute)`. */
  readonly scheduleExpression: string;
  /** The function every rule invokes. */
  readonly reconcile: {
    /** Name of the function, for the invoke permissions. */
    readonly functionName: string;
    /** ARN of the function, the rules' target. */
    readonly functionArn: string;
  };
  /** Where undeliverable events go; each rule is allowed to send there. */
  readonly deadLetters: {
    /** ARN of the queue, the targets' dead-letter config. */
    readonly queueArn: string;
    /** Lets a rule send its undeliverable events to the queue. */
    acceptFromEventRule(ruleArn: string): void;
  };
  /** Account whose rules alone may invoke the function. */
  readonly accountId: string;
}

/**
 * What runs reconcile: the schedule and the EC2 capacity events, each a rule whose target retries and then
 * dead-letters, and whose invoke permission names that rule's ARN (no other rule or account can invoke).
 */
export class ReconcileTriggers extends Construct {
  readonly ruleArns: readonly string[];

  constructor(scope: Construct, id: string, props: ReconcileTriggersProps) {
    super(scope, id);
    const rules: Array<[string, CloudwatchEventRule]> = [
      [
        "schedule",
        new CloudwatchEventRule(this, "schedule", {
          name: checkedName("aws_cloudwatch_event_rule.name", `${props.namePrefix}-schedule`),
          description: "Reconciles every tracked capacity block",
          scheduleExpression: props.scheduleExpression,
        }),
      ],
      ...(Object.keys(RECONCILE_EVENT_PATTERNS) as Array<keyof typeof RECONCILE_EVENT_PATTERNS>).map((name): [string, CloudwatchEventRule] => [
        name,
        new CloudwatchEventRule(this, name, {
          name: checkedName("aws_cloudwatch_event_rule.name", `${props.namePrefix}-${RECONCILE_EVENT_RULE_NAMES[name]}`),
          description: `Reconciles the reservation named by ${RECONCILE_EVENT_PATTERNS[name]["detail-type"][0].prefix}* events`,
          eventPattern: JSON.stringify(RECONCILE_EVENT_PATTERNS[name]),
        }),
      ]),
    ];
    for (const [name, rule] of rules) {
      props.deadLetters.acceptFromEventRule(rule.arn);
      new CloudwatchEventTarget(this, `${name}-target`, {
        rule: rule.name,
        targetId: "reconcile",
        arn: props.reconcile.functionArn,
        retryPolicy: { ...TARGET_RETRY_POLICY },
        deadLetterConfig: { arn: props.deadLetters.queueArn },
      });
      new LambdaPermission(this, `${name}-invoke`, {
        functionName: props.reconcile.functionName,
        action: "lambda:InvokeFunction",
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
        sourceAccount: props.accountId,
      });
    }
    this.ruleArns = rules.map(([, rule]) => rule.arn);
  }
}
