import { firstBlock, isJsonObject, nestedBlocks, type TerraformBlock } from "../model";
import type { Workspace } from "../workspace";
import { asNumber, hasValue, isTrue, type Rule, resourceRule } from "./rule";

function restApiOf(workspace: Workspace, block: TerraformBlock): TerraformBlock | undefined {
  const target = workspace.target(block.stack, block.config["rest_api_id"] ?? null);
  return target?.block.type === "aws_api_gateway_rest_api" ? target.block : undefined;
}

function usagePlansFor(workspace: Workspace, api: TerraformBlock): TerraformBlock[] {
  return workspace
    .resources("aws_api_gateway_usage_plan")
    .filter((plan) => nestedBlocks(plan.config["api_stages"]).some((stage) => workspace.refersTo(plan, stage["api_id"], api)));
}

function throttled(settings: Record<string, unknown> | undefined): boolean {
  const rate = asNumber(settings?.["throttling_rate_limit"] ?? settings?.["rate_limit"]);
  const burst = asNumber(settings?.["throttling_burst_limit"] ?? settings?.["burst_limit"]);
  return rate !== undefined && rate > 0 && burst !== undefined && burst > 0;
}

export const apiGatewayRules: readonly Rule[] = [
  resourceRule({
    id: "BF-APIGW-001",
    checkovId: "CKV_AWS_59",
    title: "Every API method requires authorization (OPTIONS exempt)",
    fix: 'set authorization = "AWS_IAM" (or a Cognito/custom authorizer)',
    types: ["aws_api_gateway_method"],
    test: (method) =>
      method.config["http_method"] !== "OPTIONS" && (method.config["authorization"] ?? "NONE") === "NONE"
        ? `${String(method.config["http_method"])} method has authorization NONE${isTrue(method.config["api_key_required"]) ? " (an API key identifies, it does not authorize)" : ""}`
        : undefined,
  }),
  resourceRule({
    id: "BF-APIGW-002",
    checkovId: "CKV_AWS_76",
    title: "API Gateway stages write access logs",
    fix: "add access_log_settings { destination_arn = <log group arn>, format = … }",
    types: ["aws_api_gateway_stage"],
    test: (stage) => (hasValue(firstBlock(stage.config["access_log_settings"])?.["destination_arn"]) ? undefined : "stage writes no access logs"),
  }),
  resourceRule({
    id: "BF-APIGW-003",
    checkovId: "CKV_AWS_276",
    title: "API Gateway data tracing off",
    fix: "set settings.data_trace_enabled = false: it logs full request and response bodies",
    types: ["aws_api_gateway_method_settings"],
    test: (settings) =>
      isTrue(firstBlock(settings.config["settings"])?.["data_trace_enabled"])
        ? "data tracing logs full request and response bodies (data_trace_enabled = true)"
        : undefined,
  }),
  resourceRule({
    id: "BF-APIGW-004",
    title: "API Gateway stages throttled",
    fix: 'add aws_api_gateway_method_settings for method_path "*/*" with throttling_rate_limit and throttling_burst_limit, or a usage plan with throttle_settings',
    types: ["aws_api_gateway_stage"],
    test: (stage, { workspace }) => {
      const api = restApiOf(workspace, stage);
      // Settings name their stage by reference, or by its literal name within the same API (another API may have a "v1" too).
      const methodSettings = workspace
        .resources("aws_api_gateway_method_settings")
        .filter(
          (settings) =>
            workspace.refersTo(settings, settings.config["stage_name"], stage) ||
            (api !== undefined && settings.config["stage_name"] === stage.config["stage_name"] && restApiOf(workspace, settings)?.address === api.address),
        );
      if (methodSettings.some((settings) => throttled(firstBlock(settings.config["settings"])))) return undefined;
      const planThrottles = api ? usagePlansFor(workspace, api).some((plan) => throttled(firstBlock(plan.config["throttle_settings"]))) : false;
      return planThrottles ? undefined : "stage has no throttling (method settings or usage plan)";
    },
  }),
  resourceRule({
    id: "BF-APIGW-005",
    title: "API keys come with a usage plan",
    fix: "add an aws_api_gateway_usage_plan for the API's stage (rate, burst, quota) and an aws_api_gateway_usage_plan_key",
    types: ["aws_api_gateway_rest_api"],
    test: (api, { workspace }) => {
      const needsKey = workspace
        .resources("aws_api_gateway_method")
        .some((method) => isTrue(method.config["api_key_required"]) && restApiOf(workspace, method)?.address === api.address);
      if (!needsKey) return undefined;
      const plans = usagePlansFor(workspace, api);
      if (plans.length === 0) return "methods require an API key but no usage plan covers the API";
      const keyed = workspace
        .resources("aws_api_gateway_usage_plan_key")
        .some((key) => plans.some((plan) => workspace.refersTo(key, key.config["usage_plan_id"], plan)));
      const quota = plans.some((plan) => isJsonObject(firstBlock(plan.config["quota_settings"])));
      if (!keyed) return "the usage plan has no API key attached (aws_api_gateway_usage_plan_key)";
      return quota ? undefined : "the usage plan has no quota_settings";
    },
  }),
];
