import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { CapacityManagerConfig } from "../src/config/capacity-manager-schema";
import { CapacityManager } from "../src/constructs/capacity-manager";
import { declaredBlocksParameterName } from "../src/constructs/capacity-manager/declared-blocks";
import { awsContext } from "../src/lib/aws-context";
import { environmentNewBlockTags } from "../src/lib/tags";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";

/**
 * `<env>-capacity-manager`: the Lambda service that tracks, extends and approves the environment's capacity blocks,
 * with its REST API. Created wherever the environment declares capacity blocks or has a `capacity_manager` section,
 * unless `capacity_manager.enabled = false`.
 */
export class CapacityManagerStack extends EnvironmentStack {
  readonly manager: CapacityManager;

  constructor(scope: Construct, props: Omit<EnvironmentStackProps, "stateBackend"> & { readonly manager: CapacityManagerConfig }) {
    super(scope, "capacity-manager", props);
    const { config, names } = this;
    const settings = props.manager;
    this.manager = new CapacityManager(this, "capacity-manager", {
      namePrefix: names.resource("capacity-manager"),
      environment: this.environment,
      aws: awsContext(this, config.region),
      clusterName: names.clusterName,
      // Written by the cluster stack, which deploys first.
      declaredBlocksParameterName: declaredBlocksParameterName(this.environment),
      approverPrincipalArns: settings.approver_principal_arns,
      reservationIds: config.capacity_blocks.map((block) => block.reservation_id),
      scheduleExpression: settings.schedule_expression,
      notificationEmail: settings.notification_email,
      alarmEmail: settings.alarms.email,
      alarmTopicArns: settings.alarms.topic_arns,
      apiAuth: settings.api_auth,
      throttleRateLimit: settings.throttle.rate_limit,
      throttleBurstLimit: settings.throttle.burst_limit,
      quotaPerDay: settings.throttle.quota_per_day,
      wafWebAclArn: settings.waf_web_acl_arn,
      extensionsEnabled: settings.extensions_enabled,
      monthlyBudgetUsd: settings.monthly_budget_usd,
      allowNewPurchases: settings.allow_new_purchases,
      // The same tags `capacity offerings --env` prints, so Karpenter's gpu-capacity-block pool selects a replacement.
      ...(environmentNewBlockTags(this.environment, config) !== undefined ? { newBlockTags: config.node_pools.gpu_capacity_block.reservation_tags } : {}),
      logRetentionDays: settings.log_retention_days,
      apiReservedConcurrency: settings.api_reserved_concurrency,
      manageApiGatewayAccount: settings.manage_api_gateway_account,
      alarms: {
        reconcileErrors: settings.alarms.reconcile_errors,
        reconcileThrottles: settings.alarms.reconcile_throttles,
        dlqMessages: settings.alarms.dlq_messages,
        expiringWithoutExtension: settings.alarms.expiring_without_extension,
        recordFailures: settings.alarms.record_failures,
        notificationFailures: settings.alarms.notification_failures,
        periodSeconds: settings.alarms.period_seconds,
        evaluationPeriods: settings.alarms.evaluation_periods,
      },
    });

    const manager = this.manager;
    new TerraformOutput(this, "api_url", { value: manager.apiUrl });
    new TerraformOutput(this, "api_key_secret_names", {
      value: manager.apiKeySecretNames,
      description: "Secrets Manager secret of each API key (read, write, approve)",
    });
    new TerraformOutput(this, "table_name", { value: manager.tableName });
    new TerraformOutput(this, "topic_arn", { value: manager.topicArn });
    new TerraformOutput(this, "alarm_topic_arn", {
      value: manager.alarmTopicArn,
      description: "Every alarm of the manager, on its own KMS key (subscribe on-call here)",
    });
    new TerraformOutput(this, "journal_table_name", { value: manager.journalTableName });
    new TerraformOutput(this, "api_execute_arns", {
      value: manager.executeArns,
      description: "execute-api:Invoke resources per permission; approve (PATCH /{PK}) spends money",
    });
    new TerraformOutput(this, "caller_policy_arns", {
      value: manager.callerPolicyArns,
      description: "Managed policies to attach to API callers, per permission",
    });
  }
}
