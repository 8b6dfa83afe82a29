import { apiGatewayRules } from "../../../../src/policy/rules/api-gateway";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const C = "test-cluster";

describeRuleCases("API Gateway rules", apiGatewayRules, [
  { rule: "BF-APIGW-001", when: "methods use IAM and OPTIONS is open", change: () => {}, expected: [] },
  {
    rule: "BF-APIGW-001",
    when: "a method relies on an API key alone",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_method.get", { authorization: "NONE" }),
    expected: [`${C}/aws_api_gateway_method.get: GET method has authorization NONE (an API key identifies, it does not authorize)`],
  },
  { rule: "BF-APIGW-002", when: "the stage logs access", change: () => {}, expected: [] },
  {
    rule: "BF-APIGW-002",
    when: "the stage has no access log",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_stage.live", { access_log_settings: undefined }),
    expected: [`${C}/aws_api_gateway_stage.live: stage writes no access logs`],
  },
  { rule: "BF-APIGW-003", when: "data tracing is off", change: () => {}, expected: [] },
  {
    rule: "BF-APIGW-003",
    when: "data tracing is on",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_method_settings.all", { settings: { logging_level: "INFO", data_trace_enabled: true } }),
    expected: [`${C}/aws_api_gateway_method_settings.all: data tracing logs full request and response bodies (data_trace_enabled = true)`],
  },
  {
    rule: "BF-APIGW-004",
    when: "only the usage plan throttles",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_method_settings.all", { settings: { logging_level: "INFO" } }),
    expected: [],
  },
  {
    rule: "BF-APIGW-004",
    when: "nothing throttles",
    change: (s) => {
      patch(s[C]!, "resource.aws_api_gateway_method_settings.all", { settings: { logging_level: "INFO" } });
      patch(s[C]!, "resource.aws_api_gateway_usage_plan.plan", { throttle_settings: undefined });
    },
    expected: [`${C}/aws_api_gateway_stage.live: stage has no throttling (method settings or usage plan)`],
  },
  {
    rule: "BF-APIGW-004",
    when: "the method settings name the stage literally within its API",
    change: (s) => {
      patch(s[C]!, "resource.aws_api_gateway_usage_plan.plan", { throttle_settings: undefined });
      patch(s[C]!, "resource.aws_api_gateway_method_settings.all", { stage_name: "live" });
    },
    expected: [],
  },
  {
    rule: "BF-APIGW-004",
    when: "only another API's stage of the same name is throttled",
    change: (s) => {
      patch(s[C]!, "resource.aws_api_gateway_usage_plan.plan", { throttle_settings: undefined });
      patch(s[C]!, "resource.aws_api_gateway_rest_api.other", { name: "another-team-api" });
      patch(s[C]!, "resource.aws_api_gateway_method_settings.all", { rest_api_id: "${aws_api_gateway_rest_api.other.id}", stage_name: "live" });
    },
    expected: [`${C}/aws_api_gateway_stage.live: stage has no throttling (method settings or usage plan)`],
  },
  { rule: "BF-APIGW-005", when: "the key-protected API has a keyed plan with a quota", change: () => {}, expected: [] },
  {
    rule: "BF-APIGW-005",
    when: "the API needs keys but has no usage plan",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_usage_plan", null),
    expected: [`${C}/aws_api_gateway_rest_api.api: methods require an API key but no usage plan covers the API`],
  },
  {
    rule: "BF-APIGW-005",
    when: "the usage plan has no key",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_usage_plan_key", null),
    expected: [`${C}/aws_api_gateway_rest_api.api: the usage plan has no API key attached (aws_api_gateway_usage_plan_key)`],
  },
  {
    rule: "BF-APIGW-005",
    when: "the usage plan has no quota",
    change: (s) => patch(s[C]!, "resource.aws_api_gateway_usage_plan.plan", { quota_settings: undefined }),
    expected: [`${C}/aws_api_gateway_rest_api.api: the usage plan has no quota_settings`],
  },
]);
