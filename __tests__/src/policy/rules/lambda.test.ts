import type { JsonObject } from "../../../../src/policy/model";
import { lambdaRules } from "../../../../src/policy/rules/lambda";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const FN = "resource.aws_lambda_function.reconcile";
const fn = "test-cluster/aws_lambda_function.reconcile";

describeRuleCases("Lambda rules", lambdaRules, [
  { rule: "BF-LAMBDA-001", when: "concurrency is reserved", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-001",
    when: "concurrency is unreserved",
    change: (s) => patch(s["test-cluster"]!, FN, { reserved_concurrent_executions: -1 }),
    expected: [`${fn}: no reserved concurrency: one noisy caller can take the account's whole concurrency`],
  },
  {
    rule: "BF-LAMBDA-001",
    when: "concurrency is unreserved but only API Gateway invokes the function, through a stage that throttles every method",
    change: (s) => {
      patch(s["test-cluster"]!, FN, { reserved_concurrent_executions: -1 });
      patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", {
        principal: "apigateway.amazonaws.com",
        source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/live/*/*",
      });
    },
    expected: [],
  },
  ...(
    [
      [
        "the stage doesn't throttle (-1)",
        (s: Record<string, JsonObject>) =>
          patch(s["test-cluster"]!, "resource.aws_api_gateway_method_settings.all", {
            settings: { metrics_enabled: true, throttling_rate_limit: -1, throttling_burst_limit: -1 },
          }),
      ],
      [
        "the permission admits every stage",
        (s: Record<string, JsonObject>) =>
          patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", { source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/*/*/*" }),
      ],
      [
        "the throttled settings are for another stage",
        (s: Record<string, JsonObject>) =>
          patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", { source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/beta/*/*" }),
      ],
      [
        "a function URL also reaches it",
        (s: Record<string, JsonObject>) =>
          patch(s["test-cluster"]!, "resource.aws_lambda_function_url", {
            open: { function_name: "${aws_lambda_function.reconcile.function_name}", authorization_type: "AWS_IAM" },
          }),
      ],
    ] as const
  ).map(([what, extra]) => ({
    rule: "BF-LAMBDA-001",
    when: `concurrency is unreserved, API Gateway invokes the function, and ${what}`,
    change: (s: Record<string, JsonObject>) => {
      patch(s["test-cluster"]!, FN, { reserved_concurrent_executions: -1 });
      patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", {
        principal: "apigateway.amazonaws.com",
        source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/live/*/*",
      });
      extra(s);
    },
    expected: [`${fn}: no reserved concurrency: one noisy caller can take the account's whole concurrency`],
  })),
  { rule: "BF-LAMBDA-002", when: "an on-failure destination is set", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-002",
    when: "a dead-letter queue replaces the destination",
    change: (s) => {
      patch(s["test-cluster"]!, "resource.aws_lambda_function_event_invoke_config", null);
      patch(s["test-cluster"]!, FN, { dead_letter_config: { target_arn: "${aws_sqs_queue.dlq.arn}" } });
    },
    expected: [],
  },
  {
    rule: "BF-LAMBDA-002",
    when: "only API Gateway invokes the function (synchronously, where destinations never apply)",
    change: (s) => {
      patch(s["test-cluster"]!, "resource.aws_lambda_function_event_invoke_config", null);
      patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", {
        principal: "apigateway.amazonaws.com",
        source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/*/*",
      });
    },
    expected: [],
  },
  {
    rule: "BF-LAMBDA-002",
    when: "failures go nowhere",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_lambda_function_event_invoke_config", null),
    expected: [`${fn}: failed asynchronous invocations are dropped (no dead-letter queue or on-failure destination)`],
  },
  { rule: "BF-LAMBDA-003", when: "tracing is active", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-003",
    when: "tracing only passes through",
    change: (s) => patch(s["test-cluster"]!, FN, { tracing_config: { mode: "PassThrough" } }),
    expected: [`${fn}: tracing is "PassThrough", expected "Active"`],
  },
  { rule: "BF-LAMBDA-004", when: "the runtime is current", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-004",
    when: "the function is a container image",
    change: (s) => patch(s["test-cluster"]!, FN, { runtime: undefined, package_type: "Image" }),
    expected: [],
  },
  {
    rule: "BF-LAMBDA-004",
    when: "the runtime is deprecated",
    change: (s) => patch(s["test-cluster"]!, FN, { runtime: "nodejs16.x" }),
    expected: [`${fn}: runtime "nodejs16.x" is deprecated or unknown`],
  },
  { rule: "BF-LAMBDA-005", when: "variables hold names and references", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-005",
    when: "variables hold an access key and a literal token",
    change: (s) =>
      patch(s["test-cluster"]!, FN, {
        environment: { variables: { AWS_ACCESS_KEY_ID: "AKIAABCDEFGHIJKLMNOP", WEBHOOK_TOKEN_VALUE: "q8Zr4Lm2Xv9Tb1Nw6Yc3", TABLE_NAME: "records" } },
      }),
    expected: [
      `${fn}: environment variable AWS_ACCESS_KEY_ID holds an AWS access key id`,
      `${fn}: environment variable WEBHOOK_TOKEN_VALUE holds a secret-looking literal value`,
    ],
  },
  { rule: "BF-LAMBDA-006", when: "EventBridge is limited to its rule", change: () => {}, expected: [] },
  {
    rule: "BF-LAMBDA-006",
    when: "a service or anyone may invoke without a source ARN",
    change: (s) => {
      patch(s["test-cluster"]!, "resource.aws_lambda_permission.schedule", { source_arn: undefined });
      patch(s["test-cluster"]!, "resource.aws_lambda_permission.public", { function_name: "x", action: "lambda:InvokeFunction", principal: "*" });
    },
    expected: [
      "test-cluster/aws_lambda_permission.schedule: events.amazonaws.com may invoke the function on behalf of any account's resources (no source_arn)",
      "test-cluster/aws_lambda_permission.public: any principal may invoke the function",
    ],
  },
  {
    rule: "BF-LAMBDA-005",
    when: "variables carry a secret's name, an endpoint without credentials and a plain reference",
    change: (s) =>
      patch(s["test-cluster"]!, FN, {
        environment: {
          variables: {
            API_KEY_SECRET_NAME: "${aws_secretsmanager_secret.api_key.name}",
            REDIS_URL: "rediss://${aws_elasticache_replication_group.cache.primary_endpoint_address}:6379",
            TABLE_NAME: "${aws_dynamodb_table.records.name}",
          },
        },
      }),
    expected: [],
  },
  {
    rule: "BF-LAMBDA-005",
    when: "variables copy the API key's value, a secret version or a URL with the password inline",
    change: (s) =>
      patch(s["test-cluster"]!, FN, {
        environment: {
          variables: {
            API_KEY: "${aws_api_gateway_api_key.key.value}",
            SETTINGS: "${data.aws_secretsmanager_secret_version.redis.secret_string}",
            REDIS_URL: "rediss://:${random_password.cache.result}@${aws_elasticache_replication_group.cache.primary_endpoint_address}:6379",
            DATABASE_URL: "postgres://platform:s3cr3t-pass@db.internal:5432/platform",
          },
        },
      }),
    expected: [
      `${fn}: environment variable API_KEY copies the sensitive attribute aws_api_gateway_api_key.key.value (readable by anyone who can read the function's configuration)`,
      `${fn}: environment variable SETTINGS copies the sensitive attribute data.aws_secretsmanager_secret_version.redis.secret_string (readable by anyone who can read the function's configuration)`,
      `${fn}: environment variable REDIS_URL copies the sensitive attribute random_password.cache.result (readable by anyone who can read the function's configuration)`,
      `${fn}: environment variable DATABASE_URL copies a URL with an inline password (readable by anyone who can read the function's configuration)`,
    ],
  },
  {
    rule: "BF-LAMBDA-007",
    when: "the function URL requires IAM",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_lambda_function_url.reconcile", {
        function_name: "${aws_lambda_function.reconcile.function_name}",
        authorization_type: "AWS_IAM",
      }),
    expected: [],
  },
  {
    rule: "BF-LAMBDA-007",
    when: "the function URL has authorization NONE",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_lambda_function_url.reconcile", {
        function_name: "${aws_lambda_function.reconcile.function_name}",
        authorization_type: "NONE",
      }),
    expected: ['test-cluster/aws_lambda_function_url.reconcile: anyone on the internet can invoke the function (authorization_type "NONE")'],
  },
]);
