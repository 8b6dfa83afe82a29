import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES } from "../../lambdas/capacity-manager/contract/api-routes";
import { METRIC_NAMESPACE } from "../../lambdas/capacity-manager/contract/metrics";
import { TTL_ATTRIBUTE } from "../../lambdas/capacity-manager/contract/table";
import { buildCapacityManagerBundles } from "../../src/lib/bundling/bundle";
import { runGate } from "../../src/policy/engine";
import { stackFromJson } from "../../src/policy/load";
import type { JsonObject } from "../../src/policy/model";
import { appWarnings, buildApp } from "../../stacks/app";
import { customCapacityManagerInput, PAGER_TOPIC_ARN, WEB_ACL_ARN } from "../support/capacity-manager";
import { baseEnvironmentInput, environmentFrom, type Synthesized, synthesize, type TerraformJson } from "../support/synth";

const WEB_ACL = WEB_ACL_ARN;

/** `capacity_manager = {}`: every default. */
const DEFAULTS = environmentFrom("cm", { ...baseEnvironmentInput(), capacity_manager: {} });
/** Every option away from its default. */
const CUSTOM = environmentFrom("cmx", { ...baseEnvironmentInput(), capacity_manager: customCapacityManagerInput() });
/** Capacity blocks but the manager switched off. */
const NONE = environmentFrom("plain", { ...baseEnvironmentInput(), capacity_manager: { enabled: false } });
/** Capacity blocks and no capacity_manager section: the manager runs with its defaults. */
const IMPLICIT = environmentFrom("implicit", baseEnvironmentInput());

const D = "cm-capacity-manager";
const X = "cmx-capacity-manager";

let synthesized: Synthesized;
beforeAll(async () => {
  synthesized = await synthesize([DEFAULTS, CUSTOM]);
});

type Body = Record<string, unknown>;
const all = (stack: string, type: string): Body[] => synthesized.resources(stack, type).map(([, body]) => body);
const one = (stack: string, type: string, idPart = ""): Body => synthesized.resource(stack, type, idPart);
/** `${aws_x.<logical id>.attr}` of the single resource of a type matching idPart. */
function ref(stack: string, type: string, idPart: string, attribute: string): string {
  const matches = synthesized.resources(stack, type).filter(([id]) => id.includes(idPart));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching "${idPart}", found ${matches.length}`);
  return `\${${type}.${matches[0]![0]}.${attribute}}`;
}
const parse = (text: unknown): { Statement: Array<Record<string, unknown>> } => JSON.parse(text as string);

describe("capacity manager stack", () => {
  describe("wiring", () => {
    it("exists wherever blocks are declared unless switched off, after the cluster stack", () => {
      // GIVEN an environment with the section, one with blocks and no section, and one that switched it off
      const outdir = mkdtempSync(join(tmpdir(), "blockfleet-cm-"));
      try {
        const app = buildApp([DEFAULTS, NONE, IMPLICIT], { outdir });
        const names = app.node.children.map((child) => child.node.id);
        // THEN the first two get the stack, and it deploys after its cluster
        expect(names).toContain("cm-capacity-manager");
        expect(names).toContain("implicit-capacity-manager");
        expect(names.filter((name) => name.startsWith("plain-"))).not.toContain("plain-capacity-manager");
        const stack = app.node.findChild("cm-capacity-manager") as unknown as { dependencies: Array<{ node: { id: string } }> };
        expect(stack.dependencies.map((dependency) => dependency.node.id)).toEqual(["cm-cluster"]);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it("warns when the API key alone authorizes (naming the approve route), when nobody can approve, and when alarms have no path of their own", () => {
      const outdir = mkdtempSync(join(tmpdir(), "blockfleet-cm-"));
      try {
        const withApprover = environmentFrom("cma", {
          ...baseEnvironmentInput(),
          capacity_manager: { approver_principal_arns: ["arn:aws:iam::111122223333:role/finance-approver"], alarms: { email: "oncall@example.com" } },
        });
        expect(appWarnings(buildApp([withApprover], { outdir }))).toEqual([]);
        // Tracking mode buys nothing, so nobody approving is no news; alarms reaching nobody is.
        expect(appWarnings(buildApp([DEFAULTS], { outdir }))).toEqual([
          expect.stringMatching(/^cm: .*alarms reach only the notification topic.*capacity_manager\.alarms\.email or capacity_manager\.alarms\.topic_arns/),
        ]);
        const extendingNoApprover = environmentFrom("cme", {
          ...baseEnvironmentInput(),
          capacity_manager: { extensions_enabled: true, monthly_budget_usd: 10000, alarms: { email: "oncall@example.com" } },
        });
        expect(appWarnings(buildApp([extendingNoApprover], { outdir }))).toEqual([
          "cme: blockfleet-cme-capacity-manager: capacity_manager.approver_principal_arns is empty — nobody can approve, so blocks that require approval are never extended.",
        ]);
        const warnings = appWarnings(buildApp([CUSTOM], { outdir }));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/^cmx: .*api_auth = "api_key_only".*the approver key approves purchases \(PATCH \/\{PK\}\)/);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it("uses the S3 backend of the environment and no random provider", () => {
      const stack = synthesized.stack(D);
      expect((stack.terraform as { backend: { s3: { key: string } } }).backend.s3.key).toBe("cm/cm-capacity-manager.tfstate");
      expect(Object.keys(stack.provider ?? {})).toEqual(["aws"]);
    });
  });

  describe("functions", () => {
    it("ships each handler as its own hashed zip on arm64 nodejs22.x with X-Ray", () => {
      const bundles = buildCapacityManagerBundles();
      for (const name of ["reconcile", "api"] as const) {
        const fn = one(D, "aws_lambda_function", `${name}_function`);
        expect(fn).toMatchObject({
          function_name: `blockfleet-cm-capacity-manager-${name}`,
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          handler: `${name}.handler`,
          tracing_config: { mode: "Active" },
          source_code_hash: bundles[name].sourceCodeHash,
        });
        expect(fn.filename).toMatch(new RegExp(`^assets/[^/]+/${bundles[name].sha256}/${name}\\.zip$`));
      }
    });

    it("runs reconcile alone (reserved concurrency 1) and the API with a reservation only when the file asks for one", () => {
      // Lambda refuses reservations that leave the account under 100 unreserved executions: the API's is opt-in.
      expect(one(D, "aws_lambda_function", "reconcile_function").reserved_concurrent_executions).toBe(1);
      expect(one(D, "aws_lambda_function", "api_function").reserved_concurrent_executions).toBeUndefined();
      expect(one(X, "aws_lambda_function", "reconcile_function").reserved_concurrent_executions).toBe(1);
      expect(one(X, "aws_lambda_function", "api_function").reserved_concurrent_executions).toBe(3);
    });

    it("gives each function its own role", () => {
      const roles = all(D, "aws_lambda_function").map((fn) => fn.role);
      expect(new Set(roles).size).toBe(2);
      expect(roles).toContain(ref(D, "aws_iam_role", "reconcile_role", "arn"));
      expect(roles).toContain(ref(D, "aws_iam_role", "api_role", "arn"));
    });

    it("passes the table names and topic ARN as references, reconcile the declared-blocks parameter, and the API who may approve and which key is which (never key values)", () => {
      const tables = { TABLE_NAME: ref(D, "aws_dynamodb_table", "records", "name"), JOURNAL_TABLE_NAME: ref(D, "aws_dynamodb_table", "journal", "name") };
      expect(one(D, "aws_lambda_function", "reconcile_function").environment).toEqual({
        variables: {
          ...tables,
          TOPIC_ARN: ref(D, "aws_sns_topic", "notifications", "arn"),
          // Tracking mode unless the file turns extension purchasing on.
          EXTENSIONS_ENABLED: "false",
          DECLARED_BLOCKS_PARAMETER: `/blockfleet/${D.replace(/-capacity-manager$/, "")}/capacity-manager/declared-blocks`,
        },
      });
      expect(one(D, "aws_lambda_function", "api_function").environment).toEqual({
        variables: {
          ...tables,
          API_AUTH_MODE: "iam_and_key",
          EXTENSIONS_ENABLED: "false",
          APPROVER_PRINCIPAL_ARNS: "",
          API_KEY_ID_READ: ref(D, "aws_api_gateway_api_key", "_read_", "id"),
          API_KEY_ID_WRITE: ref(D, "aws_api_gateway_api_key", "_write_", "id"),
          API_KEY_ID_APPROVE: ref(D, "aws_api_gateway_api_key", "_approve_", "id"),
        },
      });
      expect(one(X, "aws_lambda_function", "reconcile_function").environment).toMatchObject({
        variables: { EXTENSIONS_ENABLED: "true", MONTHLY_BUDGET_USD: "25000" },
      });
      // GET /spend shows the month against the same budget; tracking mode (D) has none.
      expect(one(X, "aws_lambda_function", "api_function").environment).toMatchObject({ variables: { MONTHLY_BUDGET_USD: "25000" } });
      expect((one(D, "aws_lambda_function", "reconcile_function").environment as { variables: object }).variables).not.toHaveProperty("MONTHLY_BUDGET_USD");
      expect(one(X, "aws_lambda_function", "api_function").environment).toMatchObject({
        variables: { API_AUTH_MODE: "api_key_only", APPROVER_PRINCIPAL_ARNS: "arn:aws:iam::111122223333:role/finance-approver" },
      });
    });

    it("limits asynchronous reconcile invocations and sends the failed ones to the encrypted dead-letter queue", () => {
      const config = one(D, "aws_lambda_function_event_invoke_config");
      expect(config).toMatchObject({
        function_name: ref(D, "aws_lambda_function", "reconcile_function", "function_name"),
        maximum_event_age_in_seconds: 300,
        maximum_retry_attempts: 1,
        destination_config: { on_failure: { destination: ref(D, "aws_sqs_queue", "", "arn") } },
      });
      expect(one(D, "aws_sqs_queue")).toMatchObject({ kms_master_key_id: ref(D, "aws_kms_key", "manager_key", "arn"), message_retention_seconds: 1_209_600 });
    });

    it("writes JSON logs to log groups created first, with the configured retention and the KMS key", () => {
      for (const [stack, days] of [
        [D, 90],
        [X, 365],
      ] as const) {
        for (const name of ["reconcile", "api"]) {
          const group = one(stack, "aws_cloudwatch_log_group", `${name}_logs`);
          expect(group).toMatchObject({
            name: `/aws/lambda/blockfleet-${stack.split("-")[0]}-capacity-manager-${name}`,
            retention_in_days: days,
            kms_key_id: ref(stack, "aws_kms_key", "manager_key", "arn"),
          });
          const fn = one(stack, "aws_lambda_function", `${name}_function`);
          expect(fn.logging_config).toMatchObject({ log_format: "JSON", log_group: ref(stack, "aws_cloudwatch_log_group", `${name}_logs`, "name") });
          expect(fn.depends_on).toContain(
            `aws_cloudwatch_log_group.${synthesized.resources(stack, "aws_cloudwatch_log_group").find(([id]) => id.includes(`${name}_logs`))![0]}`,
          );
        }
      }
      for (const group of all(X, "aws_cloudwatch_log_group")) {
        expect(group).toMatchObject({ retention_in_days: 365, kms_key_id: ref(X, "aws_kms_key", "manager_key", "arn") });
      }
    });
  });

  describe("records table", () => {
    it("is on-demand, recoverable, protected twice, encrypted with the service key and expires records by TTL", () => {
      expect(one(D, "aws_dynamodb_table", "records")).toMatchObject({
        name: "blockfleet-cm-capacity-manager",
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "PK",
        point_in_time_recovery: { enabled: true },
        deletion_protection_enabled: true,
        server_side_encryption: { enabled: true, kms_key_arn: ref(D, "aws_kms_key", "manager_key", "arn") },
        ttl: { attribute_name: TTL_ATTRIBUTE, enabled: true },
        lifecycle: { prevent_destroy: true },
      });
    });

    it("is encrypted with a rotated key that cannot be destroyed by a plan", () => {
      expect(one(D, "aws_kms_key", "manager_key")).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    });

    it("keeps history in a journal table of its own: PK and a sortable SK, protected and encrypted like the records, no TTL", () => {
      const journal = one(D, "aws_dynamodb_table", "journal");
      expect(journal).toMatchObject({
        name: "blockfleet-cm-capacity-manager-journal",
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "PK",
        range_key: "SK",
        attribute: [
          { name: "PK", type: "S" },
          { name: "SK", type: "S" },
        ],
        point_in_time_recovery: { enabled: true },
        deletion_protection_enabled: true,
        server_side_encryption: { enabled: true, kms_key_arn: ref(D, "aws_kms_key", "manager_key", "arn") },
        lifecycle: { prevent_destroy: true },
      });
      expect(journal.ttl).toBeUndefined();
    });
  });

  describe("triggers", () => {
    it("schedules reconcile every minute by default, or as configured", () => {
      expect(one(D, "aws_cloudwatch_event_rule", "schedule").schedule_expression).toBe("rate(1 minute)");
      expect(one(X, "aws_cloudwatch_event_rule", "schedule").schedule_expression).toBe("rate(5 minutes)");
    });

    it("matches capacity block and capacity reservation events of EC2 by detail-type prefix", () => {
      expect(JSON.parse(one(D, "aws_cloudwatch_event_rule", "capacity-block-events").event_pattern as string)).toEqual({
        source: ["aws.ec2"],
        "detail-type": [{ prefix: "Capacity Block" }],
      });
      expect(JSON.parse(one(D, "aws_cloudwatch_event_rule", "capacity-reservation-events").event_pattern as string)).toEqual({
        source: ["aws.ec2"],
        "detail-type": [{ prefix: "EC2 Capacity Reservation " }],
      });
    });

    it("targets reconcile from every rule with retries and the dead-letter queue, which accepts exactly those rules", () => {
      const rules = synthesized.resources(D, "aws_cloudwatch_event_rule").map(([id]) => id);
      expect(rules).toHaveLength(3);
      const targets = all(D, "aws_cloudwatch_event_target");
      expect(targets.map((target) => target.rule).sort()).toEqual(rules.map((id) => `\${aws_cloudwatch_event_rule.${id}.name}`).sort());
      for (const target of targets) {
        expect(target).toMatchObject({
          arn: ref(D, "aws_lambda_function", "reconcile_function", "arn"),
          retry_policy: { maximum_retry_attempts: 4, maximum_event_age_in_seconds: 3600 },
          dead_letter_config: { arn: ref(D, "aws_sqs_queue", "", "arn") },
        });
      }
      const [statement] = parse(one(D, "aws_sqs_queue_policy").policy).Statement;
      expect(statement).toMatchObject({ Principal: { Service: "events.amazonaws.com" }, Action: "sqs:SendMessage" });
      expect((statement!.Condition as { ArnEquals: { "aws:SourceArn": string[] } }).ArnEquals["aws:SourceArn"].sort()).toEqual(
        rules.map((id) => `\${aws_cloudwatch_event_rule.${id}.arn}`).sort(),
      );
    });

    it("scopes every invoke permission to one source ARN and the account", () => {
      const permissions = all(D, "aws_lambda_permission");
      const rules = synthesized.resources(D, "aws_cloudwatch_event_rule").map(([id]) => `\${aws_cloudwatch_event_rule.${id}.arn}`);
      const fromEvents = permissions.filter((permission) => permission.principal === "events.amazonaws.com");
      expect(fromEvents.map((permission) => permission.source_arn).sort()).toEqual([...rules].sort());
      const fromApi = permissions.filter((permission) => permission.principal === "apigateway.amazonaws.com");
      expect(fromApi).toHaveLength(1);
      expect(fromApi[0]).toMatchObject({
        function_name: ref(D, "aws_lambda_function", "api_function", "function_name"),
        source_arn: `${ref(D, "aws_api_gateway_rest_api", "", "execution_arn")}/v1/*/*`,
      });
      for (const permission of permissions) expect(permission.source_account).toBe("${data.aws_caller_identity.caller-identity.account_id}");
    });
  });

  describe("notifications", () => {
    it("encrypts the topic and lets only this account's manager alarms publish as a service", () => {
      expect(one(D, "aws_sns_topic", "notifications").kms_master_key_id).toBe(ref(D, "aws_kms_key", "manager_key", "arn"));
      const [statement] = parse(one(D, "aws_sns_topic_policy", "notifications").policy).Statement;
      expect(statement).toMatchObject({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Condition: { ArnLike: { "aws:SourceArn": expect.stringMatching(/:alarm:blockfleet-cm-capacity-manager-\*$/) } },
      });
    });

    it("subscribes the e-mail addresses only when configured: notifications to the notification topic, alarms to the alarm topic", () => {
      expect(all(D, "aws_sns_topic_subscription")).toEqual([]);
      expect(one(X, "aws_sns_topic_subscription", "notifications")).toMatchObject({
        protocol: "email",
        endpoint: "gpu-oncall@example.com",
        topic_arn: ref(X, "aws_sns_topic", "notifications", "arn"),
      });
      expect(one(X, "aws_sns_topic_subscription", "alarm-topic")).toMatchObject({
        protocol: "email",
        endpoint: "gpu-pager@example.com",
        topic_arn: ref(X, "aws_sns_topic", "alarm-topic", "arn"),
      });
    });

    it("gives the alarm topic its own rotated key, usable by CloudWatch, so a broken notification key cannot silence the alarms", () => {
      const topic = one(D, "aws_sns_topic", "alarm-topic");
      expect(topic).toMatchObject({ name: "blockfleet-cm-capacity-manager-alarms", kms_master_key_id: ref(D, "aws_kms_key", "alarm-key", "arn") });
      expect(ref(D, "aws_kms_key", "alarm-key", "arn")).not.toBe(ref(D, "aws_kms_key", "manager_key", "arn"));
      const key = one(D, "aws_kms_key", "alarm-key");
      expect(key).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
      expect(parse(key.policy).Statement).toContainEqual(
        expect.objectContaining({
          Principal: { Service: ["cloudwatch.amazonaws.com"] },
          Condition: { StringEquals: { "aws:SourceAccount": expect.any(String) } },
        }),
      );
      const [statement] = parse(one(D, "aws_sns_topic_policy", "alarm-topic").policy).Statement;
      expect(statement).toMatchObject({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: ref(D, "aws_sns_topic", "alarm-topic", "arn"),
      });
    });

    it("alarms on reconcile errors and throttles, dead letters, expiring blocks, held purchases, record failures, refused notifications, an unreadable declared set, ledger write failures and purchases over budget, to both topics", () => {
      const alarms = Object.fromEntries(synthesized.resources(D, "aws_cloudwatch_metric_alarm").map(([, alarm]) => [alarm.metric_name, alarm]));
      expect(Object.keys(alarms).sort()).toEqual([
        "ApproximateNumberOfMessagesVisible",
        "DeclaredBlocksUnavailable",
        "DeclaredSyncFailures",
        "Errors",
        "ExpiringWithoutExtension",
        "LedgerWriteFailures",
        "NotificationFailures",
        "PurchasesOverBudget",
        "PurchasesRejected",
        "PurchasesUnconfirmed",
        "RecordFailures",
        "Throttles",
      ]);
      // A purchase missing from the spend ledger, or one the budget refused: any one is worth hearing about.
      expect(alarms.LedgerWriteFailures).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 1,
        treat_missing_data: "notBreaching",
      });
      expect(alarms.PurchasesOverBudget).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 1,
      });
      expect(alarms.PurchasesOverBudget.alarm_description).toContain("capacity_manager.monthly_budget_usd");
      // A purchase EC2 rejected (IAM, quota, offering gone) is retried every run: the first one is worth hearing about.
      expect(alarms.PurchasesRejected).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 1,
        treat_missing_data: "notBreaching",
      });
      expect(alarms.DeclaredBlocksUnavailable).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 3,
      });
      expect(alarms.Errors).toMatchObject({
        namespace: "AWS/Lambda",
        dimensions: { FunctionName: ref(D, "aws_lambda_function", "reconcile_function", "function_name") },
        threshold: 1,
      });
      expect(alarms.Throttles).toMatchObject({ namespace: "AWS/Lambda", threshold: 5 });
      expect(alarms.ApproximateNumberOfMessagesVisible).toMatchObject({
        namespace: "AWS/SQS",
        dimensions: { QueueName: ref(D, "aws_sqs_queue", "", "name") },
        threshold: 1,
      });
      expect(alarms.ExpiringWithoutExtension).toMatchObject({ namespace: METRIC_NAMESPACE, dimensions: { Service: "capacity-manager" }, threshold: 1 });
      // Emitted every run while a hold lasts: the alarm keeps its state through missing data instead of flipping to OK.
      expect(alarms.PurchasesUnconfirmed).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Maximum",
        threshold: 1,
        treat_missing_data: "ignore",
      });
      expect(alarms.RecordFailures).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 3,
        treat_missing_data: "notBreaching",
      });
      expect(alarms.NotificationFailures).toMatchObject({
        namespace: METRIC_NAMESPACE,
        dimensions: { Service: "capacity-manager" },
        statistic: "Sum",
        threshold: 1,
        treat_missing_data: "notBreaching",
      });
      const actions = [ref(D, "aws_sns_topic", "alarm-topic", "arn"), ref(D, "aws_sns_topic", "notifications", "arn")];
      for (const alarm of Object.values(alarms)) {
        expect(alarm).toMatchObject({ alarm_actions: actions, ok_actions: actions, period: 300, evaluation_periods: 1 });
      }
    });

    it("takes alarm thresholds, periods, the alarm e-mail and extra alarm topics from the environment file", () => {
      const alarms = Object.fromEntries(synthesized.resources(X, "aws_cloudwatch_metric_alarm").map(([, alarm]) => [alarm.metric_name, alarm]));
      expect(alarms.Errors).toMatchObject({ threshold: 2, period: 600, evaluation_periods: 2 });
      expect(alarms.Throttles!.threshold).toBe(10);
      expect(alarms.ApproximateNumberOfMessagesVisible!.threshold).toBe(3);
      expect(alarms.RecordFailures!.threshold).toBe(5);
      expect(alarms.NotificationFailures!.threshold).toBe(2);
      for (const alarm of Object.values(alarms) as Body[]) {
        expect(alarm.alarm_actions).toEqual([ref(X, "aws_sns_topic", "alarm-topic", "arn"), ref(X, "aws_sns_topic", "notifications", "arn"), PAGER_TOPIC_ARN]);
      }
    });
  });

  describe("REST API", () => {
    const methodKey = (method: Body, stack: string): string => {
      const resource = method.resource_id === ref(stack, "aws_api_gateway_rest_api", "", "root_resource_id") ? "/" : null;
      const path =
        resource ??
        `/${synthesized.resources(stack, "aws_api_gateway_resource").find(([id]) => method.resource_id === `\${aws_api_gateway_resource.${id}.id}`)![1].path_part}`;
      return `${method.http_method} ${path}`;
    };

    it("declares exactly the manager's routes as resources and methods, without an OpenAPI body", () => {
      expect(one(D, "aws_api_gateway_rest_api").body).toBeUndefined();
      expect(
        all(D, "aws_api_gateway_method")
          .map((method) => methodKey(method, D))
          .sort(),
      ).toEqual(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    });

    it("requires AWS_IAM and the API key on every method by default", () => {
      for (const method of all(D, "aws_api_gateway_method")) expect(method).toMatchObject({ authorization: "AWS_IAM", api_key_required: true });
    });

    it("lets the key alone authorize only in api_key_only mode, still requiring the key", () => {
      for (const method of all(X, "aws_api_gateway_method")) expect(method).toMatchObject({ authorization: "NONE", api_key_required: true });
    });

    it("validates requests: record bodies against a JSON object model, the {PK} parameter everywhere it appears", () => {
      const bodyValidator = ref(D, "aws_api_gateway_request_validator", "validate-body", "id");
      const parameterValidator = ref(D, "aws_api_gateway_request_validator", "validate-parameters", "id");
      expect(one(D, "aws_api_gateway_request_validator", "validate-body")).toMatchObject({ validate_request_body: true, validate_request_parameters: true });
      for (const method of all(D, "aws_api_gateway_method")) {
        const key = methodKey(method, D);
        const withBody = key === "POST /" || key === "PUT /{PK}";
        expect(method.request_validator_id, key).toBe(withBody ? bodyValidator : parameterValidator);
        expect(method.request_models, key).toEqual(withBody ? { "application/json": ref(D, "aws_api_gateway_model", "", "name") } : undefined);
        if (key.endsWith("{PK}")) expect(method.request_parameters, key).toEqual({ "method.request.path.PK": true });
      }
      expect(JSON.parse(one(D, "aws_api_gateway_model").schema as string)).toMatchObject({ type: "object" });
    });

    it("proxies every method to the API function", () => {
      const integrations = all(D, "aws_api_gateway_integration");
      expect(integrations).toHaveLength(API_ROUTES.length);
      for (const integration of integrations) {
        expect(integration).toMatchObject({
          type: "AWS_PROXY",
          integration_http_method: "POST",
          uri: ref(D, "aws_lambda_function", "api_function", "invoke_arn"),
        });
      }
    });

    it("redeploys when any method or integration changes, and when authorization changes in place", () => {
      const deployment = one(D, "aws_api_gateway_deployment");
      expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
      const trigger = (deployment.triggers as { redeployment: string }).redeployment;
      for (const type of ["aws_api_gateway_method", "aws_api_gateway_integration"]) {
        for (const [id] of synthesized.resources(D, type)) expect(trigger).toContain(`${type}.${id}.id`);
      }
      const shapeOf = (stack: string): string =>
        /"([0-9a-f]{64})"/.exec((one(stack, "aws_api_gateway_deployment").triggers as { redeployment: string }).redeployment)![1]!;
      expect(shapeOf(D)).not.toBe(shapeOf(X));
    });

    it("logs access as JSON lines with the caller's IAM ARN and key, and traces with X-Ray", () => {
      const stage = one(D, "aws_api_gateway_stage");
      expect(stage).toMatchObject({
        stage_name: "v1",
        xray_tracing_enabled: true,
        access_log_settings: { destination_arn: ref(D, "aws_cloudwatch_log_group", "access-logs", "arn") },
      });
      const format = JSON.parse((stage.access_log_settings as { format: string }).format);
      expect(format).toMatchObject({
        requestId: "$context.requestId",
        userArn: "$context.identity.userArn",
        apiKeyId: "$context.identity.apiKeyId",
        status: "$context.status",
      });
      expect(one(D, "aws_cloudwatch_log_group", "execution-logs").name).toBe(`API-Gateway-Execution-Logs_${ref(D, "aws_api_gateway_rest_api", "", "id")}/v1`);
    });

    it("turns on metrics and INFO logging without data tracing, and throttles every method", () => {
      expect(one(D, "aws_api_gateway_method_settings")).toMatchObject({
        method_path: "*/*",
        settings: { metrics_enabled: true, logging_level: "INFO", data_trace_enabled: false, throttling_rate_limit: 10, throttling_burst_limit: 20 },
      });
      expect(one(X, "aws_api_gateway_method_settings").settings).toMatchObject({ throttling_rate_limit: 2, throttling_burst_limit: 4 });
    });

    it("limits each key (read, write, approve) with a usage plan of its own: rate, burst and daily quota", () => {
      for (const permission of ["read", "write", "approve"]) {
        expect(one(D, "aws_api_gateway_usage_plan", `usage-plan-${permission}`)).toMatchObject({
          name: `blockfleet-cm-capacity-manager-${permission}`,
          api_stages: [{ api_id: ref(D, "aws_api_gateway_rest_api", "", "id"), stage: ref(D, "aws_api_gateway_stage", "", "stage_name") }],
          throttle_settings: { rate_limit: 10, burst_limit: 20 },
          quota_settings: { limit: 10_000, period: "DAY" },
        });
        expect(one(X, "aws_api_gateway_usage_plan", `usage-plan-${permission}`)).toMatchObject({
          throttle_settings: { rate_limit: 2, burst_limit: 4 },
          quota_settings: { limit: 500 },
        });
        expect(one(D, "aws_api_gateway_usage_plan_key", `usage-plan-key-${permission}`)).toMatchObject({
          key_id: ref(D, "aws_api_gateway_api_key", `_${permission}_`, "id"),
          key_type: "API_KEY",
          usage_plan_id: ref(D, "aws_api_gateway_usage_plan", `usage-plan-${permission}`, "id"),
        });
      }
      expect(all(D, "aws_api_gateway_api_key")).toHaveLength(3);
    });

    it("denies the approve route to every principal but the approvers, in its resource policy, redeploying when it changes", () => {
      const policyOf = (stack: string) => JSON.parse(one(stack, "aws_api_gateway_rest_api_policy").policy as string);
      const approve = `${ref(D, "aws_api_gateway_rest_api", "", "execution_arn")}/v1/PATCH/*`;
      // No approver configured: nobody.
      expect(policyOf(D).Statement).toEqual([
        { Sid: "OnlyApproversApprove", Effect: "Deny", Principal: "*", Action: "execute-api:Invoke", Resource: [approve] },
      ]);
      expect(one(D, "aws_api_gateway_deployment").depends_on).toContain(
        `aws_api_gateway_rest_api_policy.${synthesized.resources(D, "aws_api_gateway_rest_api_policy")[0]![0]}`,
      );
      // Key-only callers have no principal: the function checks the approver key instead.
      expect(all(X, "aws_api_gateway_rest_api_policy")).toEqual([]);
    });

    it("attaches the web ACL only when configured", () => {
      expect(all(D, "aws_wafv2_web_acl_association")).toEqual([]);
      expect(one(X, "aws_wafv2_web_acl_association")).toEqual(
        expect.objectContaining({ resource_arn: ref(X, "aws_api_gateway_stage", "", "arn"), web_acl_arn: WEB_ACL }),
      );
    });

    it("manages API Gateway's account logging role unless told another stack does", () => {
      expect(one(D, "aws_api_gateway_account").cloudwatch_role_arn).toBe(ref(D, "aws_iam_role", "account-logging-role", "arn"));
      expect(all(X, "aws_api_gateway_account")).toEqual([]);
    });
  });

  describe("API key", () => {
    it("is generated by API Gateway per permission, each kept in a KMS-encrypted secret of its own, and findable through SSM", () => {
      for (const permission of ["read", "write", "approve"]) {
        expect(one(D, "aws_api_gateway_api_key", `_${permission}_`).value).toBeUndefined();
        expect(one(D, "aws_secretsmanager_secret", `_${permission}_`)).toMatchObject({
          name: `blockfleet/cm/capacity-manager/api-key-${permission}`,
          kms_key_id: ref(D, "aws_kms_key", "manager_key", "arn"),
        });
        expect(one(D, "aws_secretsmanager_secret_version", `_${permission}_`)).toMatchObject({
          secret_id: ref(D, "aws_secretsmanager_secret", `_${permission}_`, "id"),
          secret_string: ref(D, "aws_api_gateway_api_key", `_${permission}_`, "value"),
        });
      }
      const parameters = Object.fromEntries(all(D, "aws_ssm_parameter").map((parameter) => [parameter.name, parameter.value]));
      expect(parameters).toEqual({
        "/blockfleet/cm/api-url": ref(D, "aws_api_gateway_stage", "", "invoke_url"),
        "/blockfleet/cm/api-key-secret-name-read": ref(D, "aws_secretsmanager_secret", "_read_", "name"),
        "/blockfleet/cm/api-key-secret-name-write": ref(D, "aws_secretsmanager_secret", "_write_", "name"),
        "/blockfleet/cm/api-key-secret-name-approve": ref(D, "aws_secretsmanager_secret", "_approve_", "name"),
      });
    });

    it("lets only the manager's two roles write records and their history: each table's resource policy denies every other principal", () => {
      for (const table of ["records", "journal"]) {
        const policy = one(D, "aws_dynamodb_resource_policy", `${table}_`);
        expect(policy.resource_arn).toBe(ref(D, "aws_dynamodb_table", table, "arn"));
        expect(JSON.parse(policy.policy as string).Statement).toEqual([
          {
            Sid: "OnlyTheManagerWritesRecords",
            Effect: "Deny",
            Principal: "*",
            Action: [
              "dynamodb:PutItem",
              "dynamodb:UpdateItem",
              "dynamodb:DeleteItem",
              "dynamodb:BatchWriteItem",
              "dynamodb:PartiQLInsert",
              "dynamodb:PartiQLUpdate",
              "dynamodb:PartiQLDelete",
            ],
            Resource: ref(D, "aws_dynamodb_table", table, "arn"),
            Condition: { ArnNotEquals: { "aws:PrincipalArn": [ref(D, "aws_iam_role", "reconcile_role", "arn"), ref(D, "aws_iam_role", "api_role", "arn")] } },
          },
        ]);
      }
    });
  });

  describe("policy gate", () => {
    /** The stack with its environment's bootstrap stack, whose state bucket (and key) the backend relies on. */
    const gateFindings = async (stack: TerraformJson, name: string) => {
      const bootstrap = name.replace(/-capacity-manager$/, "-bootstrap");
      const stacks = [stackFromJson(stack as JsonObject, name), stackFromJson(synthesized.stack(bootstrap) as JsonObject, bootstrap)];
      return (await runGate({ stacks, today: new Date("2026-11-22T00:00:00Z") })).failures.map((finding) => `${finding.ruleId} ${finding.address}`);
    };

    it("passes with the defaults and no waiver: the API's unreserved concurrency is bounded by its stage throttle (BF-LAMBDA-001 sees it)", async () => {
      expect(await gateFindings(synthesized.stack(D), D)).toEqual([]);
    });

    it("flags every method in api_key_only mode as lacking authorization, and nothing else", async () => {
      const failures = await gateFindings(synthesized.stack(X), X);
      expect(failures).toHaveLength(API_ROUTES.length);
      expect(new Set(failures.map((failure) => failure.split(" ")[0]))).toEqual(new Set(["BF-APIGW-001"]));
    });
  });
});
