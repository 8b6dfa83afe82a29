import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRIC_SERVICE, METRICS } from "../../../lambdas/capacity-manager/contract/metrics";
import { checkedName } from "../../lib/naming";

/** Thresholds (counts within one period) and the period itself. */
export interface AlarmSettings {
  /** Failed reconcile invocations (Lambda's Errors metric) within one period. */
  readonly reconcileErrors: number;
  /** Throttled reconcile invocations within one period (its reserved concurrency is 1, so overlapping runs are). */
  readonly reconcileThrottles: number;
  /** Messages visible in the dead-letter queue (events and invocations that failed every attempt). */
  readonly dlqMessages: number;
  /** Tracked blocks ending within 24 h that nothing extends, as reconcile counts them. */
  readonly expiringWithoutExtension: number;
  /** Records that failed to reconcile within one period (a persistently failing record fails every run). */
  readonly recordFailures: number;
  /** Publishes SNS refused within one period (approval requests and alerts not reaching people). */
  readonly notificationFailures: number;
  /** Length of one period, in seconds. */
  readonly periodSeconds: number;
  /** Periods in a row over the threshold before an alarm fires. */
  readonly evaluationPeriods: number;
}

export interface ManagerAlarmsProps {
  /** Alarm names start with it (the topic policy lets exactly these publish). */
  readonly alarmNamePrefix: string;
  /**
   * Topics every alarm (and its return to OK) is sent to. Give at least one that does not share the notification
   * topic's failure (its own key, its own subscribers), or an alarm about broken notifications reaches nobody.
   */
  readonly actionArns: readonly string[];
  /** Function whose errors and throttles are watched. */
  readonly reconcileFunctionName: string;
  /** Queue whose visible messages are watched. */
  readonly deadLetterQueueName: string;
  /** Thresholds and period of every alarm. */
  readonly settings: AlarmSettings;
}

interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: "Sum" | "Maximum";
  readonly threshold: number;
  /**
   * No data means nothing failed (and no block is expiring); reconcile not running shows as no Invocations.
   * A gauge emitted every run keeps its state when data is missing instead.
   */
  readonly treatMissingData?: "notBreaching" | "ignore";
}

/**
 * What an on-call engineer must hear about: reconcile failing or starved, lost events, a block about to lapse, a
 * purchase EC2 hasn't confirmed, records that cannot be reconciled, notifications SNS refuses.
 */
export class ManagerAlarms extends Construct {
  readonly alarmNames: readonly string[];

  constructor(scope: Construct, id: string, props: ManagerAlarmsProps) {
    super(scope, id);
    const { settings } = props;
    // CloudWatch takes at most 5 actions per state (ok_actions MaxItems 5 in hashicorp/terraform-provider-aws
    // internal/service/cloudwatch/metric_alarm.go; PutMetricAlarm allows 5 AlarmActions).
    if (props.actionArns.length === 0 || props.actionArns.length > 5) {
      throw new Error(`manager alarms "${props.alarmNamePrefix}": actionArns must name 1 to 5 topics, got ${JSON.stringify(props.actionArns)}`);
    }
    const serviceDimensions = Object.fromEntries(METRIC_DIMENSIONS[0].map((name) => [name, METRIC_SERVICE]));
    const specs: AlarmSpec[] = [
      {
        id: "reconcile-errors",
        description: "Reconcile invocations failed: blocks may not be extended. Check the function's logs.",
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: props.reconcileFunctionName },
        statistic: "Sum",
        threshold: settings.reconcileErrors,
      },
      {
        id: "reconcile-throttles",
        description: "Reconcile invocations throttled (reserved concurrency 1): runs overlap or take too long.",
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        dimensions: { FunctionName: props.reconcileFunctionName },
        statistic: "Sum",
        threshold: settings.reconcileThrottles,
      },
      {
        id: "dead-letters",
        description: "Events or invocations failed every retry and wait in the dead-letter queue.",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: props.deadLetterQueueName },
        statistic: "Maximum",
        threshold: settings.dlqMessages,
      },
      {
        id: "expiring-without-extension",
        description: "A tracked capacity block ends within 24 h and nothing extends it: approve, raise the fee cap, or plan the end.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.ExpiringWithoutExtension,
        dimensions: serviceDimensions,
        statistic: "Maximum",
        threshold: settings.expiringWithoutExtension,
      },
      {
        id: "purchases-unconfirmed",
        // Any one is worth a page: the block is held, nothing will extend it until a person checks EC2 and clears it.
        // The metric counts the held records in every run, so the alarm stays in ALARM until the hold is cleared.
        description:
          "An extension purchase has no confirmation from EC2 after 15 minutes; the block is held until an approver checks and clears it (PATCH clearUnconfirmedPurchase). Stays in ALARM while any block is held.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.PurchasesUnconfirmed,
        dimensions: serviceDimensions,
        statistic: "Maximum",
        threshold: 1,
        treatMissingData: "ignore",
      },
      {
        id: "purchases-rejected",
        // Any one is worth a look: the purchase did not happen and the manager tries again every run until it does.
        description:
          "EC2 rejected a capacity purchase (extension or replacement): IAM, quotas, or the offering gone. The manager retries every run; the record's statusReason and history (PURCHASE_REJECTED) carry EC2's error. Fix it before the block's approve-by time.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.PurchasesRejected,
        dimensions: serviceDimensions,
        statistic: "Sum",
        threshold: 1,
      },
      {
        id: "record-failures",
        description:
          'Records failed to reconcile (throttling, conflicts, timeouts, a record that cannot be written): failing records are not extended. Check the function\'s logs for "record reconcile failed".',
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.RecordFailures,
        dimensions: serviceDimensions,
        statistic: "Sum",
        threshold: settings.recordFailures,
      },
      {
        id: "notification-failures",
        description:
          "SNS refused approval requests or alerts (topic, key or policy broken): people are not being asked or told. The manager retries with backoff; fix the notification topic.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.NotificationFailures,
        dimensions: serviceDimensions,
        statistic: "Sum",
        threshold: settings.notificationFailures,
      },
      {
        id: "ledger-write-failures",
        // Any one: a purchase was made but the spend ledger does not show it yet (the budget still counts it).
        description:
          "A purchase settled as bought could not be written to the spend ledger; reconcile retries every run and the budget counts it meanwhile. Check the function's logs for \"ledger write failed\" (journal table, its key or the role's policy).",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.LedgerWriteFailures,
        dimensions: serviceDimensions,
        statistic: "Sum",
        threshold: 1,
      },
      {
        id: "purchases-over-budget",
        description:
          'A purchase was not made because it would exceed capacity_manager.monthly_budget_usd this UTC month; no approval overrides it. Raise the budget and redeploy, or let the block end (see the runbook, "Monthly budget").',
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.PurchasesOverBudget,
        dimensions: serviceDimensions,
        statistic: "Sum",
        threshold: 1,
      },
      {
        id: "declared-blocks-unavailable",
        // Three failed reads in a period, not one: a throttled read is retried by the next run anyway.
        description:
          "Reconcile cannot read or parse the declared-blocks SSM parameter: blocks added to the environment file are not tracked (no node group scaling, no expiry alerts) until it can.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.DeclaredBlocksUnavailable,
        dimensions: Object.fromEntries(METRIC_DIMENSIONS[0].map((name) => [name, METRIC_SERVICE])),
        statistic: "Sum",
        threshold: 3,
      },
      {
        id: "declared-sync-failures",
        description: "Records of declared capacity blocks could not be created or updated several times: check the reconcile logs for the PK.",
        namespace: METRIC_NAMESPACE,
        metricName: METRICS.DeclaredSyncFailures,
        dimensions: Object.fromEntries(METRIC_DIMENSIONS[0].map((name) => [name, METRIC_SERVICE])),
        statistic: "Sum",
        threshold: 3,
      },
    ];
    this.alarmNames = specs.map((spec) => {
      const alarm = new CloudwatchMetricAlarm(this, spec.id, {
        alarmName: checkedName("aws_cloudwatch_metric_alarm.alarm_name", `${props.alarmNamePrefix}${spec.id}`),
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions: spec.dimensions,
        statistic: spec.statistic,
        period: settings.periodSeconds,
        evaluationPeriods: settings.evaluationPeriods,
        threshold: spec.threshold,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: spec.treatMissingData ?? "notBreaching",
        alarmActions: [...props.actionArns],
        okActions: [...props.actionArns],
      });
      return alarm.alarmName;
    });
  }
}
