import { secretRules } from "../../../../src/policy/rules/secrets";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const C = "test-cluster";

describeRuleCases("secret copy rules", secretRules, [
  {
    rule: "BF-SSM-001",
    when: "String parameters publish a secret's name and a URL, and a SecureString holds the key",
    change: (s) => {
      patch(s[C]!, "resource.aws_ssm_parameter.secret_name", {
        name: "/blockfleet/test/api-key-secret-name",
        type: "String",
        value: "${aws_secretsmanager_secret.api_key.name}",
      });
      patch(s[C]!, "resource.aws_ssm_parameter.api_url", {
        name: "/blockfleet/test/api-url",
        type: "String",
        value: "https://${aws_api_gateway_rest_api.api.id}.execute-api.us-east-1.amazonaws.com/live",
      });
      patch(s[C]!, "resource.aws_ssm_parameter.api_key", {
        name: "/blockfleet/test/api-key",
        type: "SecureString",
        value: "${aws_api_gateway_api_key.key.value}",
        key_id: "${aws_kms_key.main.arn}",
      });
    },
    expected: [],
  },
  {
    rule: "BF-SSM-001",
    when: "String parameters copy the API key, a URL with a password or a literal token",
    change: (s) => {
      patch(s[C]!, "resource.aws_ssm_parameter.api_key", { name: "/blockfleet/test/api-key", type: "String", value: "${aws_api_gateway_api_key.key.value}" });
      patch(s[C]!, "resource.aws_ssm_parameter.redis", {
        name: "/blockfleet/test/redis",
        type: "String",
        insecure_value: "rediss://:${random_password.cache.result}@cache.internal:6379",
      });
      patch(s[C]!, "resource.aws_ssm_parameter.token", { name: "/blockfleet/test/token", type: "StringList", value: "token=Zx81kLmQ0pWv" });
    },
    expected: [
      `${C}/aws_ssm_parameter.api_key: String parameter value holds the sensitive attribute aws_api_gateway_api_key.key.value, readable by anyone with ssm:GetParameter`,
      `${C}/aws_ssm_parameter.redis: String parameter insecure_value holds the sensitive attribute random_password.cache.result, readable by anyone with ssm:GetParameter`,
      `${C}/aws_ssm_parameter.token: StringList parameter value holds a password assignment, readable by anyone with ssm:GetParameter`,
    ],
  },
  {
    rule: "BF-OUT-001",
    when: "outputs name secrets and endpoints only",
    change: (s) => {
      s[C]!["output"] = {
        api_key_secret_name: { value: "${aws_secretsmanager_secret.api_key.name}" },
        endpoints: {
          value: {
            cache: "${aws_elasticache_replication_group.cache.primary_endpoint_address}",
            api: "https://${aws_api_gateway_rest_api.api.id}.execute-api.us-east-1.amazonaws.com/live",
          },
        },
      };
    },
    expected: [],
  },
  {
    rule: "BF-OUT-001",
    when: "outputs copy the API key's value or a URL with the password, even marked sensitive",
    change: (s) => {
      s[C]!["output"] = {
        api_key: { value: "${aws_api_gateway_api_key.key.value}", sensitive: true },
        connections: { value: { redis: "rediss://:${random_password.cache.result}@${aws_elasticache_replication_group.cache.primary_endpoint_address}:6379" } },
      };
    },
    expected: [
      `${C}/output.api_key: value holds the sensitive attribute aws_api_gateway_api_key.key.value`,
      `${C}/output.connections: value.redis holds the sensitive attribute random_password.cache.result`,
    ],
  },
]);
