import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Annotations } from "cdktf";
import { Construct } from "constructs";
import { API_PERMISSIONS } from "../../../lambdas/capacity-manager/contract/access";
import type { ApiAuthMode } from "../../config/capacity-manager-schema";
import type { AwsContext } from "../../lib/aws-context";
import { buildCapacityManagerBundles, type LambdaBundle } from "../../lib/bundling/bundle";
import { GrantedStatements, type PolicyStatement, policyDocument } from "../../lib/iam";
import { checkedName } from "../../lib/naming";
import { CAPACITY_CONSUMER_TAG, INTENT_ID_TAG, KARPENTER_CONSUMER_TAG_VALUE, newBlockReservationTags, RESERVATION_ENVIRONMENT_TAG } from "../../lib/tags";
import { EncryptionKey } from "../kms-key";
import { type AlarmSettings, ManagerAlarms } from "./alarms";
import { type ApiPermission, RecordsApi } from "./api";
import { ApiKeys } from "./api-keys";
import { DeadLetterQueue } from "./dead-letter-queue";
import { ManagerFunction } from "./function";
import { NotificationTopic } from "./notifications";
import { JournalTable, RecordsTable } from "./table";
import { ReconcileTriggers } from "./triggers";

export { RESERVATION_ENVIRONMENT_TAG } from "../../lib/tags";
export { API_STAGE_NAME, executeApiResource, permissionOf } from "./api";

/** Tag every capacity-block node group carries (see CapacityBlockNodeGroup); reconcile resizes only those. */
export const CAPACITY_BLOCK_NODE_GROUP_TAG = "blockfleet.io/capacity-reservation-id";

/**
 * Reconcile decides purchases: two runs at once could both buy, so it never runs concurrently. The reservation comes
 * out of the account's concurrency quota: Lambda refuses it when it would leave fewer than 100 unreserved executions,
 * so the account needs an unreserved quota of at least 101 (the default quota is 1,000; new accounts may start lower).
 */
export const RECONCILE_RESERVED_CONCURRENCY = 1;

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = {
  reconcileErrors: 1,
  reconcileThrottles: 5,
  dlqMessages: 1,
  expiringWithoutExtension: 1,
  recordFailures: 3,
  notificationFailures: 1,
  periodSeconds: 300,
  evaluationPeriods: 1,
};

export interface CapacityManagerProps {
  /** Prefix of every physical name, e.g. `blockfleet-prod-capacity-manager`. */
  readonly namePrefix: string;
  /** SSM parameters live under `/blockfleet/<environment>/`. */
  readonly environment: string;
  /** Account, partition, region and deploying identity the manager is built for. */
  readonly aws: AwsContext;
  /** The EKS cluster whose node groups reconcile may scale (records link node groups by name). */
  readonly clusterName: string;
  /**
   * IAM roles and users who may approve purchases (PATCH /{PK}); everyone else is refused by the API's resource
   * policy and by the function.
   * @default [] — nobody can approve
   */
  readonly approverPrincipalArns?: readonly string[];
  /**
   * Capacity reservations of this environment (the environment file's blocks): reconcile may extend these, and
   * reservations tagged `blockfleet.io/environment = <environment>`, and no others.
   * @default [] — tagged reservations only
   */
  readonly reservationIds?: readonly string[];
  /**
   * EventBridge schedule of the periodic reconcile run (EC2 capacity events trigger it in between).
   * @default "rate(1 minute)"
   */
  readonly scheduleExpression?: string;
  /**
   * Subscribed to the notification topic.
   * @default none
   */
  readonly notificationEmail?: string;
  /**
   * Subscribed to the alarm topic: a second topic with its own KMS key, so alarms (notification failures
   * included) still reach people when the notification topic or its key is what broke.
   * @default none
   */
  readonly alarmEmail?: string;
  /**
   * Existing SNS topics (e.g. a paging integration) that receive every alarm as well.
   * @default []
   */
  readonly alarmTopicArns?: readonly string[];
  /**
   * How the API authorizes: `iam_and_key` (AWS_IAM on every method plus the API key) or `api_key_only` (the key
   * alone, warned about at synth).
   * @default "iam_and_key"
   */
  readonly apiAuth?: ApiAuthMode;
  /**
   * Requests per second, for the API's stage and each API key's usage plan.
   * @default 10
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst of requests, for the API's stage and each API key's usage plan; at least `throttleRateLimit`.
   * @default 20
   */
  readonly throttleBurstLimit?: number;
  /**
   * Requests per day each API key's usage plan allows.
   * @default 10000
   */
  readonly quotaPerDay?: number;
  /**
   * A regional WAFv2 web ACL to attach to the API's stage.
   * @default none
   */
  readonly wafWebAclArn?: string;
  /**
   * Let reconcile buy extensions (each approved as its record requires). Off is tracking mode: reconcile scales node
   * groups, alerts on expiry and reports status, and its role has no purchase permission at all.
   * @default false
   */
  readonly extensionsEnabled?: boolean;
  /**
   * Most reconcile may commit per UTC calendar month, in USD (extensions and replacements together), passed to both
   * functions as MONTHLY_BUDGET_USD. Required with `extensionsEnabled`.
   * @default none (tracking mode buys nothing)
   */
  readonly monthlyBudgetUsd?: number;
  /**
   * Let reconcile buy new capacity blocks, not only extend them. Needs `extensionsEnabled`.
   * @default false
   */
  readonly allowNewPurchases?: boolean;
  /**
   * Tags every new block reconcile buys carries besides its intent tag (see `newBlockReservationTags` in
   * src/lib/tags.ts: Karpenter's reservation tags, the consumer tag, the environment tag). Used only with
   * `allowNewPurchases`; the IAM grant requires the consumer and environment tags on every purchase.
   * @default the consumer and environment tags only
   */
  readonly newBlockTags?: Readonly<Record<string, string>>;
  /**
   * Days the functions' and the API's logs are kept.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Concurrent executions reserved for the API function (and its cap); API Gateway's throttle bounds it otherwise.
   * @default undefined — no reservation, so the account's unreserved minimum of 100 is never in the way
   */
  readonly apiReservedConcurrency?: number;
  /**
   * Manage API Gateway's account-wide CloudWatch logging role for the region (the API's execution logs need it). Turn
   * off where another stack of the account and region already manages it: there is one per account and region.
   * @default true
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * Alarm thresholds and period.
   * @default DEFAULT_ALARM_SETTINGS
   */
  readonly alarms?: AlarmSettings;
  /**
   * SSM parameter with the blocks the environment file declares (written by the cluster stack); reconcile reads it
   * every run and may only read it.
   * @default none: only blocks tracked through the API
   */
  readonly declaredBlocksParameterName?: string;
  /**
   * Built handler code.
   * @default bundled from lambdas/capacity-manager/handlers at synth
   */
  readonly bundles?: {
    /** The reconcile handler's bundle. */
    readonly reconcile: LambdaBundle;
    /** The API handler's bundle. */
    readonly api: LambdaBundle;
  };
}

/**
 * The capacity manager service: records table, reconcile (schedule and EC2 events) and API functions, the REST
 * API with its key in Secrets Manager, notifications, dead letters and alarms — one KMS key for all of it.
 */
export class CapacityManager extends Construct {
  readonly tableName: string;
  readonly journalTableName: string;
  readonly topicArn: string;
  /** Where alarms go besides the notification topic (own key, own subscription). */
  readonly alarmTopicArn: string;
  readonly apiUrl: string;
  /** Secrets Manager secret holding the API key, per permission. */
  readonly apiKeySecretNames: Readonly<Record<ApiPermission, string>>;
  readonly deadLetterQueueArn: string;
  readonly reconcileRoleArn: string;
  readonly apiRoleArn: string;
  /** Execute-api ARN patterns per caller permission (approve = PATCH /{PK}). */
  readonly executeArns: Readonly<Record<ApiPermission, readonly string[]>>;
  /** Managed policies to attach to API callers, per permission. */
  readonly callerPolicyArns: Readonly<Record<ApiPermission, string>>;

  constructor(scope: Construct, id: string, props: CapacityManagerProps) {
    super(scope, id);
    const scheduleExpression = props.scheduleExpression ?? "rate(1 minute)";
    const apiAuth = props.apiAuth ?? "iam_and_key";
    const extensionsEnabled = props.extensionsEnabled ?? false;
    const allowNewPurchases = props.allowNewPurchases ?? false;
    if (allowNewPurchases && !extensionsEnabled) {
      throw new Error(`${props.namePrefix}: allowNewPurchases needs extensionsEnabled (tracking mode buys nothing)`);
    }
    const monthlyBudgetUsd = props.monthlyBudgetUsd;
    if (monthlyBudgetUsd !== undefined && !(Number.isFinite(monthlyBudgetUsd) && monthlyBudgetUsd > 0)) {
      throw new Error(`${props.namePrefix}: monthlyBudgetUsd must be a positive amount in USD, got ${monthlyBudgetUsd}`);
    }
    if (extensionsEnabled && monthlyBudgetUsd === undefined) {
      throw new Error(`${props.namePrefix}: extensionsEnabled needs monthlyBudgetUsd (every purchase is checked against the month's budget)`);
    }
    const budgetEnvironment: Record<string, string> = monthlyBudgetUsd !== undefined ? { MONTHLY_BUDGET_USD: String(monthlyBudgetUsd) } : {};
    const logRetentionDays = props.logRetentionDays ?? 90;
    const apiReservedConcurrency = props.apiReservedConcurrency;
    const throttleRateLimit = props.throttleRateLimit ?? 10;
    const throttleBurstLimit = props.throttleBurstLimit ?? 20;
    const quotaPerDay = props.quotaPerDay ?? 10_000;
    const manageApiGatewayAccount = props.manageApiGatewayAccount ?? true;
    const alarms = props.alarms ?? DEFAULT_ALARM_SETTINGS;
    const alarmTopicArns = props.alarmTopicArns ?? [];
    const bundles = props.bundles ?? buildCapacityManagerBundles();
    const approverPrincipalArns = props.approverPrincipalArns ?? [];
    const reservationIds = props.reservationIds ?? [];
    const { accountId, partition, region } = props.aws;
    const prefix = props.namePrefix;
    const alarmNamePrefix = `${prefix}-`;

    const key = new EncryptionKey(this, "key", {
      aliasName: prefix,
      description: `Capacity manager ${prefix}: records, logs, topic, dead letters, API key`,
      aws: props.aws,
      // Services that encrypt on their own behalf: log delivery, EventBridge dead letters, alarms to the topic.
      servicePrincipals: [`logs.${region}.amazonaws.com`, "events.amazonaws.com", "cloudwatch.amazonaws.com"],
    });
    const table = new RecordsTable(this, "records", { tableName: prefix, kmsKeyArn: key.keyArn, region });
    const journal = new JournalTable(this, "journal", { tableName: `${prefix}-journal`, kmsKeyArn: key.keyArn, region });
    const topic = new NotificationTopic(this, "notifications", {
      topicName: prefix,
      kmsKeyArn: key.keyArn,
      aws: props.aws,
      alarmNamePrefix,
      email: props.notificationEmail,
    });
    // Alarms also go to a topic that shares nothing with the notification topic that may be failing: its own key
    // (CloudWatch may use it) and its own subscription.
    const alarmKey = new EncryptionKey(this, "alarm-key", {
      aliasName: `${prefix}-alarms`,
      description: `Capacity manager ${prefix}: alarm topic (kept apart from the notification topic's key)`,
      aws: props.aws,
      servicePrincipals: ["cloudwatch.amazonaws.com"],
    });
    const alarmTopic = new NotificationTopic(this, "alarm-topic", {
      topicName: `${prefix}-alarms`,
      kmsKeyArn: alarmKey.keyArn,
      aws: props.aws,
      alarmNamePrefix,
      email: props.alarmEmail,
    });
    const deadLetters = new DeadLetterQueue(this, "dead-letters", { queueName: `${prefix}-dlq`, kmsKeyArn: key.keyArn, region });

    const reconcile = new ManagerFunction(this, "reconcile", {
      functionName: `${prefix}-reconcile`,
      description: "Reconciles tracked capacity blocks with EC2: extends, asks for approval, alerts, scales node groups",
      bundle: bundles.reconcile,
      environment: {
        TABLE_NAME: table.tableName,
        JOURNAL_TABLE_NAME: journal.tableName,
        TOPIC_ARN: topic.topicArn,
        EXTENSIONS_ENABLED: String(extensionsEnabled),
        ...budgetEnvironment,
        ...(props.declaredBlocksParameterName !== undefined ? { DECLARED_BLOCKS_PARAMETER: props.declaredBlocksParameterName } : {}),
        // Present only where new blocks may be bought: reconcile buys replacements only then.
        ...(allowNewPurchases ? { NEW_BLOCK_TAGS: JSON.stringify(newBlockReservationTags(props.environment, props.newBlockTags)) } : {}),
      },
      reservedConcurrency: RECONCILE_RESERVED_CONCURRENCY,
      memorySize: 512,
      timeoutSeconds: 120,
      logRetentionDays,
      logsKmsKeyArn: key.keyArn,
      // Stale events are dropped to the queue: the next scheduled run re-reads EC2 anyway.
      asyncInvocation: { onFailureQueue: deadLetters, maximumEventAgeSeconds: 300, maximumRetryAttempts: 1 },
    });
    table.grantReadWrite(reconcile);
    journal.grantReadWrite(reconcile);
    topic.grantPublish(reconcile);
    for (const statement of reconcileCapacityStatements({
      accountId,
      partition,
      region,
      clusterName: props.clusterName,
      extensionsEnabled,
      allowNewPurchases,
      environment: props.environment,
      reservationIds,
    })) {
      reconcile.addToRolePolicy(statement);
    }
    if (props.declaredBlocksParameterName !== undefined) {
      // A String parameter (no secret, no KMS key): reading it is all reconcile may do with it.
      reconcile.addToRolePolicy({
        Sid: "ReadDeclaredBlocks",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `arn:${partition}:ssm:${region}:${accountId}:parameter${props.declaredBlocksParameterName}`,
      });
    }

    const apiKeys = new ApiKeys(this, "api-keys", {
      namePrefix: prefix,
      secretPrefix: `blockfleet/${props.environment}/capacity-manager/api-key`,
      kmsKeyArn: key.keyArn,
    });
    const apiFunction = new ManagerFunction(this, "api", {
      functionName: `${prefix}-api`,
      description: "REST API of the capacity manager: records, approvals, import",
      bundle: bundles.api,
      // Who may approve, and which key is which (lambdas/capacity-manager/contract/access.ts): ids, never key values.
      environment: {
        TABLE_NAME: table.tableName,
        JOURNAL_TABLE_NAME: journal.tableName,
        API_AUTH_MODE: apiAuth,
        // Only to say so when approving in tracking mode; the API function can't buy either way.
        EXTENSIONS_ENABLED: String(extensionsEnabled),
        // GET /spend shows the month's spend against it.
        ...budgetEnvironment,
        APPROVER_PRINCIPAL_ARNS: approverPrincipalArns.join(","),
        API_KEY_ID_READ: apiKeys.keyIds.read,
        API_KEY_ID_WRITE: apiKeys.keyIds.write,
        API_KEY_ID_APPROVE: apiKeys.keyIds.approve,
      },
      reservedConcurrency: apiReservedConcurrency,
      // API Gateway gives up on an integration after 29 s.
      timeoutSeconds: 28,
      logRetentionDays,
      logsKmsKeyArn: key.keyArn,
    });
    table.grantReadWrite(apiFunction);
    journal.grantReadWrite(apiFunction);
    // Import lists the account's blocks; nothing here can spend money.
    apiFunction.addToRolePolicy({ Sid: "ListCapacityForImport", Effect: "Allow", Action: "ec2:DescribeCapacityReservations", Resource: "*" });

    // Records are written by the manager's two functions only: an "approved" record written by anyone else would be
    // acted on by reconcile. The table's resource policy denies item writes to other principals, and the key policy
    // denies them the table's key through DynamoDB; the identity running Terraform keeps the key (table creation and
    // restores) but not the writes.
    const writers = [reconcile.roleArn, apiFunction.roleArn];
    table.allowWritesOnlyBy(writers);
    journal.allowWritesOnlyBy(writers);
    const deployer = new DataAwsIamSessionContext(this, "deployer", { arn: props.aws.callerArn }).issuerArn;
    key.denyUseThroughServiceExcept("RecordsKeyOnlyForTheManager", `dynamodb.${region}.amazonaws.com`, [...writers, deployer]);
    new ReconcileTriggers(this, "triggers", { namePrefix: prefix, scheduleExpression, reconcile, deadLetters, accountId });

    const api = new RecordsApi(this, "rest-api", {
      apiName: prefix,
      aws: props.aws,
      handler: apiFunction,
      logsKmsKeyArn: key.keyArn,
      logRetentionDays,
      throttleRateLimit,
      throttleBurstLimit,
      quotaPerDay,
      authMode: apiAuth,
      apiKeyIds: apiKeys.keyIds,
      approverPrincipalArns,
      wafWebAclArn: props.wafWebAclArn,
      manageAccountLoggingRole: manageApiGatewayAccount,
    });

    const urlParameter = new SsmParameter(this, "api-url-parameter", {
      name: checkedName("aws_ssm_parameter.name", `/blockfleet/${props.environment}/api-url`),
      type: "String",
      value: api.invokeUrl,
      description: `Base URL of ${prefix}`,
    });
    const secretNameParameters = {} as Record<ApiPermission, SsmParameter>;
    for (const permission of API_PERMISSIONS) {
      secretNameParameters[permission] = new SsmParameter(this, `api-key-secret-name-parameter-${permission}`, {
        name: checkedName("aws_ssm_parameter.name", `/blockfleet/${props.environment}/api-key-secret-name-${permission}`),
        type: "String",
        value: apiKeys.secretNames[permission],
        description: `Secrets Manager secret holding the ${permission} API key of ${prefix}`,
      });
    }

    const purposes: Record<ApiPermission, string> = {
      read: "list and read tracked capacity blocks",
      write: "track, change, delete and import capacity blocks (no approvals)",
      approve: "approve capacity block extension purchases (spends money)",
    };
    const callerPolicyArns = {} as Record<ApiPermission, string>;
    for (const permission of ["read", "write", "approve"] as const) {
      // Each caller invokes its permission's routes, finds the API and reads its own permission's key, never another's.
      const caller = new GrantedStatements();
      api.grantInvoke(caller, permission);
      caller.addToRolePolicy({
        Sid: "FindApi",
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: [urlParameter.arn, secretNameParameters[permission].arn],
      });
      apiKeys.grantRead(caller, permission);
      key.grantUseThrough(caller, { sid: "DecryptApiKey", service: "secretsmanager" });
      const policy = new IamPolicy(this, `caller-${permission}`, {
        name: checkedName("aws_iam_policy.name", `${prefix}-${permission}`),
        description: `Capacity manager API: ${purposes[permission]}`,
        policy: policyDocument(caller.statements),
      });
      callerPolicyArns[permission] = policy.arn;
    }

    new ManagerAlarms(this, "alarms", {
      alarmNamePrefix,
      actionArns: [alarmTopic.topicArn, topic.topicArn, ...alarmTopicArns],
      reconcileFunctionName: reconcile.functionName,
      deadLetterQueueName: deadLetters.queueName,
      settings: alarms,
    });

    // Things an operator should know about this configuration: cdktf records them, synth prints them (src/lib/annotations.ts).
    const warn = (message: string) => Annotations.of(this).addWarning(`${props.environment}: ${message}`);
    if (apiAuth === "api_key_only") {
      warn(
        `${prefix}: api_auth = "api_key_only" — API keys alone authorize: the approver key approves purchases (PATCH /{PK}); ` +
          `anyone holding it can spend money and calls are not tied to an IAM identity. Use "iam_and_key" unless you need the key-only curl workflow.`,
      );
    } else if (extensionsEnabled && approverPrincipalArns.length === 0) {
      warn(`${prefix}: capacity_manager.approver_principal_arns is empty — nobody can approve, so blocks that require approval are never extended.`);
    }
    if (props.alarmEmail === undefined && alarmTopicArns.length === 0) {
      warn(
        `${prefix}: alarms reach only the notification topic (and an alarm topic nobody subscribes to); when that topic or its key breaks, ` +
          `nobody hears about it. Set capacity_manager.alarms.email or capacity_manager.alarms.topic_arns.`,
      );
    }
    this.tableName = table.tableName;
    this.journalTableName = journal.tableName;
    this.topicArn = topic.topicArn;
    this.alarmTopicArn = alarmTopic.topicArn;
    this.apiUrl = api.invokeUrl;
    this.apiKeySecretNames = apiKeys.secretNames;
    this.deadLetterQueueArn = deadLetters.queueArn;
    this.reconcileRoleArn = reconcile.roleArn;
    this.apiRoleArn = apiFunction.roleArn;
    this.executeArns = api.executeArns;
    this.callerPolicyArns = callerPolicyArns;
  }
}

/** What reconcile may do in EC2 and EKS: read capacity, extend it, scale the cluster's node groups. */
export function reconcileCapacityStatements(options: {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly clusterName: string;
  /** Off (tracking mode): no purchase action at all. */
  readonly extensionsEnabled: boolean;
  readonly allowNewPurchases: boolean;
  /** Value of the reservation tag `blockfleet.io/environment` that makes a reservation this environment's. */
  readonly environment: string;
  /** Reservations the environment file declares. */
  readonly reservationIds: readonly string[];
}): PolicyStatement[] {
  const { accountId, partition, region } = options;
  const reservationArn = (id: string) => `arn:${partition}:ec2:${region}:${accountId}:capacity-reservation/${id}`;
  const reservations = reservationArn("*");
  const nodeGroups = `arn:${partition}:eks:${region}:${accountId}:nodegroup/${options.clusterName}/*/*`;
  const statements: PolicyStatement[] = [
    // Neither action supports resource-level permissions.
    { Sid: "ReadCapacity", Effect: "Allow", Action: ["ec2:DescribeCapacityReservations", "ec2:DescribeCapacityBlockExtensionHistory"], Resource: "*" },
    { Sid: "FindExtensionOfferings", Effect: "Allow", Action: "ec2:DescribeCapacityBlockExtensionOfferings", Resource: reservations },
  ];
  if (options.extensionsEnabled && options.reservationIds.length > 0) {
    statements.push({
      Sid: "ExtendDeclaredCapacityBlocks",
      Effect: "Allow",
      Action: "ec2:PurchaseCapacityBlockExtension",
      Resource: options.reservationIds.map(reservationArn),
    });
  }
  if (options.extensionsEnabled) {
    // ec2:PurchaseCapacityBlockExtension supports aws:ResourceTag/${TagKey} on capacity-reservation (iam-data, service
    // authorization reference): blocks bought later join by tag, another environment's blocks never match.
    statements.push({
      Sid: "ExtendTaggedCapacityBlocks",
      Effect: "Allow",
      Action: "ec2:PurchaseCapacityBlockExtension",
      Resource: reservations,
      Condition: { StringEquals: { [`aws:ResourceTag/${RESERVATION_ENVIRONMENT_TAG}`]: options.environment } },
    });
  }
  statements.push(
    { Sid: "ReadNodeGroups", Effect: "Allow", Action: "eks:DescribeNodegroup", Resource: nodeGroups },
    // Only capacity-block node groups carry the tag; the system node group can't be resized.
    {
      Sid: "ScaleCapacityBlockNodeGroups",
      Effect: "Allow",
      Action: "eks:UpdateNodegroupConfig",
      Resource: nodeGroups,
      Condition: { Null: { [`aws:ResourceTag/${CAPACITY_BLOCK_NODE_GROUP_TAG}`]: "false" } },
    },
  );
  if (options.extensionsEnabled && options.allowNewPurchases) {
    statements.push(
      // No resource-level permissions (iam-data: no resource type).
      { Sid: "FindNewCapacityBlocks", Effect: "Allow", Action: "ec2:DescribeCapacityBlockOfferings", Resource: "*" },
      // ec2:PurchaseCapacityBlock supports aws:RequestTag/${TagKey} on capacity-reservation (iam-data): every block
      // bought carries this environment's tag, the Karpenter consumer tag and an intent id, so it is settled by tag,
      // Karpenter selects it, and this environment's reconcile may extend it.
      {
        Sid: "BuyNewCapacityBlocks",
        Effect: "Allow",
        Action: "ec2:PurchaseCapacityBlock",
        Resource: reservations,
        Condition: {
          StringEquals: {
            [`aws:RequestTag/${RESERVATION_ENVIRONMENT_TAG}`]: options.environment,
            [`aws:RequestTag/${CAPACITY_CONSUMER_TAG}`]: KARPENTER_CONSUMER_TAG_VALUE,
          },
          Null: { [`aws:RequestTag/${INTENT_ID_TAG}`]: "false" },
        },
      },
      // Tags on create need ec2:CreateTags; ec2:CreateAction limits it to the purchase's own TagSpecifications.
      {
        Sid: "TagNewCapacityBlocks",
        Effect: "Allow",
        Action: "ec2:CreateTags",
        Resource: reservations,
        Condition: { StringEquals: { "ec2:CreateAction": "PurchaseCapacityBlock" } },
      },
    );
  }
  return statements;
}
