import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { AssetType, Lazy, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { LAMBDA_RUNTIME, type LambdaBundle } from "../../lib/bundling/bundle";
import { type Grantee, type PolicyStatement, policyDocument, serviceAssumeRolePolicy } from "../../lib/iam";
import { checkedName } from "../../lib/naming";
import type { FailureDestination } from "./permissions";

/** How asynchronous invocations (EventBridge) that fail are handled. */
export interface AsyncInvocationSettings {
  /** SQS queue receiving the events that failed every attempt; it grants the function send. */
  readonly onFailureQueue: FailureDestination;
  /** Events older than this are dropped to the queue instead of run late. */
  readonly maximumEventAgeSeconds: number;
  /** Retries after the first failed attempt (0, 1 or 2, Lambda's limits). */
  readonly maximumRetryAttempts: number;
}

export interface ManagerFunctionProps {
  /** Physical name of the function, its role and its log group (`/aws/lambda/<functionName>`). */
  readonly functionName: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** The built code (see src/lib/bundling/bundle.ts). */
  readonly bundle: LambdaBundle;
  /** Plain configuration only: values here are visible to anyone who can read the function. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Concurrent executions reserved, and the cap. Every reservation comes out of the account's concurrency quota, and
   * Lambda refuses one that leaves fewer than 100 unreserved executions.
   * @default undefined — none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /** Days the function's logs are kept. */
  readonly logRetentionDays: number;
  /** Key encrypting the function's log group. */
  readonly logsKmsKeyArn: string;
  /**
   * Memory of the function, in MB (CPU grows with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Longest one invocation may run, in seconds.
   * @default 30
   */
  readonly timeoutSeconds?: number;
  /**
   * Limits and failure destination of asynchronous invocations.
   * @default none — Lambda's defaults (6 h, 2 retries, events dropped)
   */
  readonly asyncInvocation?: AsyncInvocationSettings;
}

/**
 * A Node.js Lambda function on arm64 with its own role (nothing but its logs and traces until granted more), a log
 * group with retention and KMS created before the function so no unencrypted group appears, and X-Ray tracing.
 */
export class ManagerFunction extends Construct implements Grantee {
  readonly functionName: string;
  readonly functionArn: string;
  readonly invokeArn: string;
  readonly roleArn: string;
  readonly roleName: string;
  readonly logGroupName: string;
  private readonly statements: PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: ManagerFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 256;
    const timeoutSeconds = props.timeoutSeconds ?? 30;
    if (props.reservedConcurrency !== undefined && (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 1)) {
      throw new Error(
        `function "${props.functionName}": reservedConcurrency must be a whole number >= 1 (0 disables the function), got ${props.reservedConcurrency}`,
      );
    }
    const asyncInvocation = props.asyncInvocation;
    if (
      asyncInvocation &&
      !(
        Number.isInteger(asyncInvocation.maximumEventAgeSeconds) &&
        asyncInvocation.maximumEventAgeSeconds >= 60 &&
        asyncInvocation.maximumEventAgeSeconds <= 21_600
      )
    ) {
      throw new Error(
        `function "${props.functionName}": asyncInvocation.maximumEventAgeSeconds must be a whole number from 60 to 21600 (Lambda's limits), got ${asyncInvocation.maximumEventAgeSeconds}`,
      );
    }
    if (asyncInvocation && ![0, 1, 2].includes(asyncInvocation.maximumRetryAttempts)) {
      throw new Error(
        `function "${props.functionName}": asyncInvocation.maximumRetryAttempts must be 0, 1 or 2 (Lambda's limits), got ${asyncInvocation.maximumRetryAttempts}`,
      );
    }

    const logGroup = new CloudwatchLogGroup(this, "logs", {
      name: checkedName("aws_cloudwatch_log_group.name", `/aws/lambda/${props.functionName}`),
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
    });
    const role = new IamRole(this, "role", {
      name: checkedName("aws_iam_role.name", props.functionName),
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: serviceAssumeRolePolicy("lambda.amazonaws.com"),
    });
    this.statements.push(
      { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroup.arn}:*` },
      // X-Ray's write actions have no resource-level permissions.
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
    );
    asyncInvocation?.onFailureQueue.grantSend(this);
    const policy = new IamRolePolicy(this, "policy", {
      name: "least-privilege",
      role: role.name,
      // Lazy: resources grant their permissions after the function exists (table.grantReadWrite(fn)).
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });

    const code = new TerraformAsset(this, "code", { path: props.bundle.zipPath, type: AssetType.FILE, assetHash: props.bundle.sha256 });
    const fn = new LambdaFunction(this, "function", {
      functionName: checkedName("aws_lambda_function.function_name", props.functionName),
      description: props.description,
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: props.bundle.handler,
      filename: code.path,
      sourceCodeHash: props.bundle.sourceCodeHash,
      memorySize,
      timeout: timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: { mode: "Active" },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      environment: { variables: { ...props.environment } },
      // The role's permissions must exist before the first invocation writes logs or reads the table.
      dependsOn: [logGroup, policy],
    });
    if (asyncInvocation) {
      new LambdaFunctionEventInvokeConfig(this, "async", {
        functionName: fn.functionName,
        maximumEventAgeInSeconds: asyncInvocation.maximumEventAgeSeconds,
        maximumRetryAttempts: asyncInvocation.maximumRetryAttempts,
        destinationConfig: { onFailure: { destination: asyncInvocation.onFailureQueue.queueArn } },
        dependsOn: [policy],
      });
    }

    this.functionName = fn.functionName;
    this.functionArn = fn.arn;
    this.invokeArn = fn.invokeArn;
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.logGroupName = logGroup.name;
  }

  addToRolePolicy(statement: PolicyStatement): void {
    if (this.statements.some((existing) => existing.Sid !== undefined && existing.Sid === statement.Sid)) {
      throw new Error(`function "${this.node.path}": a statement with Sid "${statement.Sid}" was already granted`);
    }
    this.statements.push(statement);
  }
}
