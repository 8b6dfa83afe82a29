import { firstBlock, isJsonObject, type TerraformBlock } from "../model";
import { secretReferenceIn } from "../secret-references";
import type { Workspace } from "../workspace";
import { secretIn } from "./compute";
import { asNumber, hasValue, type Rule, resourceRule } from "./rule";

/**
 * Lambda runtimes AWS has not deprecated as of this release (checked against the Lambda runtime
 * deprecation schedule); update the list when AWS announces new deprecation dates.
 */
export const SUPPORTED_LAMBDA_RUNTIMES: readonly string[] = [
  "nodejs22.x",
  "nodejs24.x",
  "python3.11",
  "python3.12",
  "python3.13",
  "python3.14",
  "java17",
  "java21",
  "java25",
  "dotnet8",
  "dotnet10",
  "ruby3.4",
  "provided.al2023",
];

/** Environment variable names that promise a secret value. */
const SECRET_NAME = /(secret|password|passwd|token|api[_-]?key|private[_-]?key|credential)/i;
/** Values that are pointers to secrets (names, ARNs, paths), not the secrets themselves. */
const POINTER_VALUE = /^(arn:|\/|[a-z0-9-]+\/)|(_name|_arn|_id)$/i;

/** Services that only invoke functions synchronously, where dead-letter queues and destinations never apply. */
const SYNCHRONOUS_INVOKERS = new Set(["apigateway.amazonaws.com", "elasticloadbalancing.amazonaws.com"]);

/** `${aws_api_gateway_rest_api.<name>.execution_arn}/<stage>/…`: an invoke permission limited to one stage of a REST API. */
const STAGE_SOURCE_ARN = /^\$\{aws_api_gateway_rest_api\.([^.}]+)\.execution_arn\}\/([^/*]+)\//;

/**
 * A function reserved concurrency doesn't have to bound: one only API Gateway may invoke, each permission limited to a
 * stage whose method settings throttle every method (`*\/*`, rate and burst above 0). The stage's throttle then caps
 * its concurrent runs (API Gateway's account-level throttle applies on top). No function URL or event source mapping
 * may reach it. `throttling_*_limit` of -1 means no throttle (terraform-provider-aws v6.25.0
 * internal/service/apigateway/method_settings.go).
 */
function boundedByApiGatewayThrottle(fn: TerraformBlock, workspace: Workspace): boolean {
  const refers = (type: string) => workspace.resources(type).filter((block) => workspace.refersTo(block, block.config["function_name"], fn));
  if (refers("aws_lambda_function_url").length > 0 || refers("aws_lambda_event_source_mapping").length > 0) return false;
  const permissions = refers("aws_lambda_permission");
  if (permissions.length === 0) return false;
  return permissions.every((permission) => {
    if (permission.config["principal"] !== "apigateway.amazonaws.com") return false;
    const match = STAGE_SOURCE_ARN.exec(String(permission.config["source_arn"] ?? ""));
    if (!match) return false;
    const [, apiName, stageName] = match as unknown as [string, string, string];
    const api = workspace.block(permission.stack, "resource", "aws_api_gateway_rest_api", apiName);
    if (!api) return false;
    return workspace.resources("aws_api_gateway_method_settings").some((settings) => {
      if (settings.config["method_path"] !== "*/*" || !workspace.refersTo(settings, settings.config["rest_api_id"], api)) return false;
      const stage = settings.config["stage_name"];
      const stageTarget = workspace.target(settings.stack, stage);
      const resolvedStage = stageTarget ? stageTarget.block.config["stage_name"] : stage;
      if (resolvedStage !== stageName) return false;
      const throttle = firstBlock(settings.config["settings"]);
      const rate = asNumber(throttle?.["throttling_rate_limit"]);
      const burst = asNumber(throttle?.["throttling_burst_limit"]);
      return rate !== undefined && rate > 0 && burst !== undefined && burst > 0;
    });
  });
}

function looksRandom(value: string): boolean {
  return value.length >= 16 && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value) && !/\s/.test(value);
}

export const lambdaRules: readonly Rule[] = [
  resourceRule({
    id: "BF-LAMBDA-001",
    checkovId: "CKV_AWS_115",
    title: "Lambda reserved concurrency",
    fix: "set reserved_concurrent_executions to the most concurrent runs the function may have (a function only API Gateway invokes, through a stage that throttles every method, is bounded by that throttle)",
    types: ["aws_lambda_function"],
    test: (fn, { workspace }) => {
      const reserved = asNumber(fn.config["reserved_concurrent_executions"]);
      if (reserved !== undefined && reserved >= 0) return undefined;
      return boundedByApiGatewayThrottle(fn, workspace) ? undefined : "no reserved concurrency: one noisy caller can take the account's whole concurrency";
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-002",
    checkovId: "CKV_AWS_116",
    title: "Lambda dead-letter queue or on-failure destination",
    fix: "set dead_letter_config.target_arn, or an aws_lambda_function_event_invoke_config with destination_config.on_failure (functions only API Gateway or a load balancer invoke are exempt: they are called synchronously)",
    types: ["aws_lambda_function"],
    test: (fn, { workspace }) => {
      if (hasValue(firstBlock(fn.config["dead_letter_config"])?.["target_arn"])) return undefined;
      const invokers = workspace
        .resources("aws_lambda_permission")
        .filter((permission) => workspace.refersTo(permission, permission.config["function_name"], fn))
        .map((permission) => String(permission.config["principal"] ?? ""));
      if (invokers.length > 0 && invokers.every((principal) => SYNCHRONOUS_INVOKERS.has(principal))) return undefined;
      const onFailure = workspace
        .resources("aws_lambda_function_event_invoke_config")
        .filter((invokeConfig) => workspace.refersTo(invokeConfig, invokeConfig.config["function_name"], fn))
        .some((invokeConfig) => hasValue(firstBlock(firstBlock(invokeConfig.config["destination_config"])?.["on_failure"])?.["destination"]));
      return onFailure ? undefined : "failed asynchronous invocations are dropped (no dead-letter queue or on-failure destination)";
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-003",
    checkovId: "CKV_AWS_50",
    title: "Lambda X-Ray tracing active",
    fix: 'add tracing_config { mode = "Active" }',
    types: ["aws_lambda_function"],
    test: (fn) => {
      const mode = firstBlock(fn.config["tracing_config"])?.["mode"];
      return mode === "Active" ? undefined : `tracing is ${JSON.stringify(mode ?? "off")}, expected "Active"`;
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-004",
    checkovId: "CKV_AWS_363",
    title: "Lambda runtime supported",
    fix: `use one of ${SUPPORTED_LAMBDA_RUNTIMES.join(", ")}`,
    types: ["aws_lambda_function"],
    test: (fn) => {
      if (fn.config["package_type"] === "Image") return undefined;
      const runtime = fn.config["runtime"];
      return typeof runtime === "string" && SUPPORTED_LAMBDA_RUNTIMES.includes(runtime)
        ? undefined
        : `runtime ${JSON.stringify(runtime ?? "unset")} is deprecated or unknown`;
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-005",
    checkovId: "CKV_AWS_45",
    title: "No secrets in Lambda environment variables",
    fix: "store the secret in Secrets Manager and pass its name or ARN (never its value or a URL with the password); the function reads it at runtime",
    types: ["aws_lambda_function"],
    test: (fn) => {
      const variables = firstBlock(fn.config["environment"])?.["variables"];
      if (!isJsonObject(variables)) return undefined;
      return Object.entries(variables).flatMap(([name, value]) => {
        if (typeof value !== "string") return [];
        const copied = secretReferenceIn(value);
        if (copied) return [`environment variable ${name} copies ${copied} (readable by anyone who can read the function's configuration)`];
        if (value.includes("${")) return [];
        const pattern = secretIn(`${name}=${value}`);
        if (pattern && !POINTER_VALUE.test(value)) return [`environment variable ${name} holds ${pattern}`];
        if (SECRET_NAME.test(name) && !POINTER_VALUE.test(name) && !POINTER_VALUE.test(value) && looksRandom(value)) {
          return [`environment variable ${name} holds a secret-looking literal value`];
        }
        return [];
      });
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-006",
    checkovId: "CKV_AWS_364",
    title: "Lambda permissions scoped by source ARN",
    fix: "set source_arn (and source_account for S3) on the aws_lambda_permission",
    types: ["aws_lambda_permission"],
    test: (permission) => {
      const principal = String(permission.config["principal"] ?? "");
      if (principal === "*") return "any principal may invoke the function";
      if (principal.endsWith(".amazonaws.com") && !hasValue(permission.config["source_arn"])) {
        return `${principal} may invoke the function on behalf of any account's resources (no source_arn)`;
      }
      return undefined;
    },
  }),
  resourceRule({
    id: "BF-LAMBDA-007",
    checkovId: "CKV_AWS_258",
    title: "Lambda function URLs require IAM authentication",
    fix: 'set authorization_type = "AWS_IAM" on the aws_lambda_function_url (or put the function behind API Gateway with authorization)',
    types: ["aws_lambda_function_url"],
    test: (url) =>
      url.config["authorization_type"] === "AWS_IAM"
        ? undefined
        : `anyone on the internet can invoke the function (authorization_type ${JSON.stringify(url.config["authorization_type"] ?? "unset")})`,
  }),
];
