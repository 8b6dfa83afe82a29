import { createHash } from "node:crypto";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayRestApiPolicy } from "@cdktf/provider-aws/lib/api-gateway-rest-api-policy";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { ApiGatewayUsagePlan } from "@cdktf/provider-aws/lib/api-gateway-usage-plan";
import { ApiGatewayUsagePlanKey } from "@cdktf/provider-aws/lib/api-gateway-usage-plan-key";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Fn, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { API_PERMISSIONS, type ApiPermission, permissionOf } from "../../../lambdas/capacity-manager/contract/access";
import { API_ROUTES, type ApiRoute, PK_PATH_PARAMETER } from "../../../lambdas/capacity-manager/contract/api-routes";
import type { ApiAuthMode } from "../../config/capacity-manager-schema";
import type { AwsContext } from "../../lib/aws-context";
import { type Grantee, managedPolicyArn, serviceAssumeRolePolicy } from "../../lib/iam";
import { checkedName } from "../../lib/naming";

/** The one stage; part of every execute-api ARN callers are granted. */
export const API_STAGE_NAME = "v1";

export { type ApiPermission, permissionOf };

/**
 * The execute-api resource pattern of a route, relative to the API's execution ARN: `<stage>/<METHOD>/<path>`,
 * with `{PK}` as `*`. `arn:aws:execute-api:<region>:<account>:<api-id>/v1/PATCH/*` is the approve permission.
 */
export function executeApiResource(route: ApiRoute, stage = API_STAGE_NAME): string {
  const path = route.path.replace(/^\//, "").replace(`{${PK_PATH_PARAMETER}}`, "*");
  return `${stage}/${route.method}/${path}`;
}

/** Fields of access log lines: who called (IAM ARN and API key), what, and how it ended. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integrationLatency",
  errorMessage: "$context.error.message",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  caller: "$context.identity.caller",
  userArn: "$context.identity.userArn",
  apiKeyId: "$context.identity.apiKeyId",
  xrayTraceId: "$context.xrayTraceId",
});

/** Operations whose request body is a record; the others take no body or an optional one. */
const OPERATIONS_WITH_BODY: ReadonlySet<ApiRoute["operation"]> = new Set(["createRecord", "updateRecord"]);

/** Bodies must be JSON objects; the handler validates fields (and rejects unknown ones) itself. */
const JSON_OBJECT_MODEL = JSON.stringify({ $schema: "http://json-schema.org/draft-04/schema#", title: "JsonObject", type: "object" });

export interface RecordsApiProps {
  /** Name of the REST API, and prefix of its access log group, logging role and usage plans. */
  readonly apiName: string;
  /** Account, partition and region the API lives in (execute-api ARNs, invoke permission). */
  readonly aws: AwsContext;
  /** The function behind every route (API Gateway proxy integration). */
  readonly handler: {
    /** Name of the function, for the invoke permission. */
    readonly functionName: string;
    /** Lambda invoke ARN of the function, for the integrations. */
    readonly invokeArn: string;
  };
  /** Key encrypting the stage's access and execution log groups. */
  readonly logsKmsKeyArn: string;
  /** Days the access and execution logs are kept. */
  readonly logRetentionDays: number;
  /** Requests per second, for the stage and the API key's usage plan. */
  readonly throttleRateLimit: number;
  /** Burst of requests, for the stage and the API key's usage plan. */
  readonly throttleBurstLimit: number;
  /** Requests per day each API key's usage plan allows. */
  readonly quotaPerDay: number;
  /** The API key of each permission; each gets its own usage plan. */
  readonly apiKeyIds: Readonly<Record<ApiPermission, string>>;
  /**
   * IAM roles and users allowed to approve: in `iam_and_key` mode the API's resource policy denies the approve
   * routes to every other principal.
   * @default [] — nobody may approve
   */
  readonly approverPrincipalArns?: readonly string[];
  /**
   * `iam_and_key`: AWS_IAM on every method plus the API key; `api_key_only`: the key alone.
   * @default "iam_and_key"
   */
  readonly authMode?: ApiAuthMode;
  /**
   * A regional WAFv2 web ACL to attach to the stage.
   * @default none
   */
  readonly wafWebAclArn?: string;
  /**
   * Manage API Gateway's account-wide CloudWatch role for the region (access and execution logs need it).
   * @default true
   */
  readonly manageAccountLoggingRole?: boolean;
  /**
   * Routes to declare.
   * @default API_ROUTES, the manager's contract
   */
  readonly routes?: readonly ApiRoute[];
}

/**
 * The manager's REST API, declared method by method (no OpenAPI body) so plans and the policy gate see each one:
 * IAM authorization and an API key on every method, request validation, a usage plan, access and execution logs
 * encrypted and retained, metrics, INFO logging without data tracing, throttling, X-Ray, optional WAF.
 */
export class RecordsApi extends Construct {
  readonly restApiId: string;
  readonly executionArn: string;
  readonly stageName: string;
  readonly invokeUrl: string;
  /** Execute-api ARN patterns a caller needs, per permission. */
  readonly executeArns: Readonly<Record<ApiPermission, readonly string[]>>;

  constructor(scope: Construct, id: string, props: RecordsApiProps) {
    super(scope, id);
    const authMode = props.authMode ?? "iam_and_key";
    const manageAccountLoggingRole = props.manageAccountLoggingRole ?? true;
    const routes = props.routes ?? API_ROUTES;
    const approverPrincipalArns = props.approverPrincipalArns ?? [];
    if (props.throttleBurstLimit < props.throttleRateLimit) {
      throw new Error(
        `api "${props.apiName}": throttleBurstLimit must be at least throttleRateLimit, got ${props.throttleBurstLimit} < ${props.throttleRateLimit}`,
      );
    }
    const authorization = authMode === "iam_and_key" ? "AWS_IAM" : "NONE";

    const api = new ApiGatewayRestApi(this, "rest-api", {
      name: props.apiName,
      description: "blockfleet capacity manager: tracked capacity blocks, extensions and approvals",
      endpointConfiguration: { types: ["REGIONAL"] },
      apiKeySource: "HEADER",
    });

    const resources = new Map<string, string>([["/", api.rootResourceId]]);
    for (const path of [...new Set(routes.map((route) => route.path))].filter((path) => path !== "/")) {
      const resource = new ApiGatewayResource(this, `resource-${slug(path)}`, { restApiId: api.id, parentId: api.rootResourceId, pathPart: path.slice(1) });
      resources.set(path, resource.id);
    }
    const validateParameters = new ApiGatewayRequestValidator(this, "validate-parameters", {
      restApiId: api.id,
      name: "parameters",
      validateRequestParameters: true,
    });
    const validateBody = new ApiGatewayRequestValidator(this, "validate-body", {
      restApiId: api.id,
      name: "body-and-parameters",
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const bodyModel = new ApiGatewayModel(this, "json-object", {
      restApiId: api.id,
      name: "JsonObject",
      contentType: "application/json",
      schema: JSON_OBJECT_MODEL,
    });

    const deployed: ITerraformDependable[] = [];
    const deployedIds: string[] = [];
    for (const route of routes) {
      const hasBody = OPERATIONS_WITH_BODY.has(route.operation);
      const hasKey = route.path.includes(`{${PK_PATH_PARAMETER}}`);
      const method = new ApiGatewayMethod(this, `method-${route.method.toLowerCase()}-${slug(route.path)}`, {
        restApiId: api.id,
        resourceId: resources.get(route.path)!,
        httpMethod: route.method,
        authorization,
        apiKeyRequired: true,
        operationName: route.operation,
        requestParameters: hasKey ? { [`method.request.path.${PK_PATH_PARAMETER}`]: true } : undefined,
        requestValidatorId: hasBody ? validateBody.id : validateParameters.id,
        requestModels: hasBody ? { "application/json": bodyModel.name } : undefined,
      });
      const integration = new ApiGatewayIntegration(this, `integration-${route.method.toLowerCase()}-${slug(route.path)}`, {
        restApiId: api.id,
        resourceId: method.resourceId,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: props.handler.invokeArn,
      });
      deployed.push(method, integration);
      deployedIds.push(method.id, integration.id);
    }

    new LambdaPermission(this, "invoke-handler", {
      functionName: props.handler.functionName,
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
      sourceArn: `${api.executionArn}/${API_STAGE_NAME}/*/*`,
      sourceAccount: props.aws.accountId,
    });

    // Approving spends money: with IAM callers, the API itself refuses the approve routes to everyone but the
    // approvers (an explicit deny beats any identity policy). Key-only callers have no principal; the function checks
    // their key instead. A resource policy takes effect with the next deployment, so it is part of the deployed shape.
    const resourcePolicy =
      authMode === "iam_and_key"
        ? JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "OnlyApproversApprove",
                Effect: "Deny",
                Principal: "*",
                Action: "execute-api:Invoke",
                Resource: [
                  ...new Set(routes.filter((route) => permissionOf(route) === "approve").map((route) => `${api.executionArn}/${executeApiResource(route)}`)),
                ],
                ...(approverPrincipalArns.length > 0 ? { Condition: { ArnNotEquals: { "aws:PrincipalArn": [...approverPrincipalArns] } } } : {}),
              },
            ],
          })
        : undefined;
    if (resourcePolicy !== undefined) {
      const policy = new ApiGatewayRestApiPolicy(this, "resource-policy", { restApiId: api.id, policy: resourcePolicy });
      deployed.push(policy);
    }

    // In-place changes (authorization, validators) keep method ids, so the declared shape is hashed in too.
    const declaredShape = createHash("sha256").update(JSON.stringify({ routes, authorization, JSON_OBJECT_MODEL, approverPrincipalArns })).digest("hex");
    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: api.id,
      description: `routes ${declaredShape.slice(0, 12)}`,
      triggers: { redeployment: Fn.sha1(Fn.jsonencode([declaredShape, ...deployedIds])) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: deployed,
    });

    const accessLogs = new CloudwatchLogGroup(this, "access-logs", {
      name: checkedName("aws_cloudwatch_log_group.name", `/aws/apigateway/${props.apiName}/access`),
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
    });
    // API Gateway writes execution logs to this fixed name; created here so it is encrypted and retained.
    const executionLogs = new CloudwatchLogGroup(this, "execution-logs", {
      name: `API-Gateway-Execution-Logs_${api.id}/${API_STAGE_NAME}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
    });
    const stageDependencies: ITerraformDependable[] = [executionLogs];
    if (manageAccountLoggingRole) {
      const loggingRole = new IamRole(this, "account-logging-role", {
        name: checkedName("aws_iam_role.name", `${props.apiName}-apigw-logs`),
        description: "Lets API Gateway write access and execution logs in this region (account-wide setting)",
        assumeRolePolicy: serviceAssumeRolePolicy("apigateway.amazonaws.com"),
      });
      const attachment = new IamRolePolicyAttachment(this, "account-logging-policy", {
        role: loggingRole.name,
        policyArn: managedPolicyArn(props.aws.partition, "service-role/AmazonAPIGatewayPushToCloudWatchLogs"),
      });
      const account = new ApiGatewayAccount(this, "account", { cloudwatchRoleArn: loggingRole.arn, dependsOn: [attachment] });
      stageDependencies.push(account);
    }
    const stage = new ApiGatewayStage(this, "stage", {
      restApiId: api.id,
      deploymentId: deployment.id,
      stageName: API_STAGE_NAME,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: stageDependencies,
    });
    new ApiGatewayMethodSettings(this, "method-settings", {
      restApiId: api.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: "INFO",
        // Full request/response bodies would put records and API keys into the logs.
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        cachingEnabled: false,
      },
    });

    // One usage plan per key: each key is metered and can be throttled or cut off on its own.
    for (const permission of API_PERMISSIONS) {
      const usagePlan = new ApiGatewayUsagePlan(this, `usage-plan-${permission}`, {
        name: `${props.apiName}-${permission}`,
        description: `Callers with the ${permission} key`,
        apiStages: [{ apiId: api.id, stage: stage.stageName }],
        throttleSettings: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
        quotaSettings: { limit: props.quotaPerDay, period: "DAY" },
      });
      new ApiGatewayUsagePlanKey(this, `usage-plan-key-${permission}`, { keyId: props.apiKeyIds[permission], keyType: "API_KEY", usagePlanId: usagePlan.id });
    }

    if (props.wafWebAclArn !== undefined) {
      new Wafv2WebAclAssociation(this, "waf", { resourceArn: stage.arn, webAclArn: props.wafWebAclArn });
    }

    const executeArns: Record<ApiPermission, string[]> = { read: [], write: [], approve: [] };
    for (const route of routes) executeArns[permissionOf(route)].push(`${api.executionArn}/${executeApiResource(route)}`);

    this.restApiId = api.id;
    this.executionArn = api.executionArn;
    this.stageName = stage.stageName;
    this.invokeUrl = stage.invokeUrl;
    this.executeArns = executeArns;
  }

  /** Lets the grantee invoke the routes of one permission (approve = PATCH /{PK}), and no other route. */
  grantInvoke(grantee: Grantee, permission: ApiPermission): void {
    grantee.addToRolePolicy({ Sid: "InvokeApi", Effect: "Allow", Action: "execute-api:Invoke", Resource: [...new Set(this.executeArns[permission])] });
  }
}

/** `/` → `root`, `/{PK}` → `record`, `/import` → `import`: stable construct ids. */
function slug(path: string): string {
  if (path === "/") return "root";
  if (path === `/{${PK_PATH_PARAMETER}}`) return "record";
  return path
    .slice(1)
    .replace(/[^a-z0-9]+/gi, "-")
    .toLowerCase();
}
