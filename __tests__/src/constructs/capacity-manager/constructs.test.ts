/** The capacity manager's building blocks on their own: the rules they enforce at construction. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnnotationMetadataEntryType, TerraformStack, Testing } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { CapacityManager } from "../../../../src/constructs/capacity-manager";
import { ManagerAlarms } from "../../../../src/constructs/capacity-manager/alarms";
import { RecordsApi } from "../../../../src/constructs/capacity-manager/api";
import { ManagerFunction, type ManagerFunctionProps } from "../../../../src/constructs/capacity-manager/function";
import { RecordsTable } from "../../../../src/constructs/capacity-manager/table";
import { warningsOf } from "../../../../src/lib/annotations";
import type { LambdaBundle } from "../../../../src/lib/bundling/bundle";
import { deterministicZip } from "../../../../src/lib/bundling/zip";

const scratch = mkdtempSync(join(tmpdir(), "blockfleet-cm-constructs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const stack = () => new TerraformStack(Testing.app(), "test");
const aws = { accountId: "111122223333", callerArn: "arn:aws:iam::111122223333:role/deployer", partition: "aws", region: "us-east-1" };

/** A real (tiny) archive: TerraformAsset needs a file to point at. */
function tinyBundle(): LambdaBundle {
  const zipPath = join(scratch, "tiny.zip");
  const zip = deterministicZip([{ name: "tiny.js", data: Buffer.from("exports.handler = async () => 1;\n") }]);
  writeFileSync(zipPath, zip);
  return {
    name: "tiny",
    zipPath,
    handler: "tiny.handler",
    sha256: "0".repeat(64),
    sourceCodeHash: "AAAA",
    zipBytes: zip.length,
    fileBytes: { "tiny.js": 33 },
    inputFiles: 1,
    fromCache: false,
  };
}

const queue = { queueArn: "arn:aws:sqs:us-east-1:111122223333:dlq", grantSend: () => undefined };
function functionProps(overrides: Partial<ManagerFunctionProps> = {}): ManagerFunctionProps {
  return {
    functionName: "blockfleet-test-reconcile",
    description: "test",
    bundle: tinyBundle(),
    environment: {},
    reservedConcurrency: 1,
    logRetentionDays: 30,
    logsKmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    asyncInvocation: { onFailureQueue: queue, maximumEventAgeSeconds: 300, maximumRetryAttempts: 1 },
    ...overrides,
  };
}

const alarmSettings = {
  reconcileErrors: 1,
  reconcileThrottles: 5,
  dlqMessages: 1,
  expiringWithoutExtension: 1,
  recordFailures: 3,
  notificationFailures: 1,
  periodSeconds: 300,
  evaluationPeriods: 1,
};
const alarmsProps = (actionArns: string[]) => ({
  alarmNamePrefix: "blockfleet-test-",
  actionArns,
  reconcileFunctionName: "fn",
  deadLetterQueueName: "dlq",
  settings: alarmSettings,
});

describe("capacity manager constructs", () => {
  it("fails when alarms would reach no topic", () => {
    expect(() => new ManagerAlarms(stack(), "alarms", alarmsProps([]))).toThrow(
      'manager alarms "blockfleet-test-": actionArns must name 1 to 5 topics, got []',
    );
  });

  it("fails when alarms name more topics than CloudWatch takes actions (5; hashicorp/terraform-provider-aws internal/service/cloudwatch/metric_alarm.go ok_actions MaxItems)", () => {
    const topics = [1, 2, 3, 4, 5, 6].map((n) => `arn:aws:sns:us-east-1:111122223333:t${n}`);
    expect(() => new ManagerAlarms(stack(), "alarms", alarmsProps(topics))).toThrow(/actionArns must name 1 to 5 topics/);
  });

  it("builds a function from valid props, with the failure destination and limits it was given", () => {
    // GIVEN valid props  WHEN synthesized  THEN the async config carries them (so the failing cases below differ only by their value)
    const scope = stack();
    new ManagerFunction(scope, "reconcile", functionProps());
    const config = Object.values(JSON.parse(Testing.synth(scope)).resource.aws_lambda_function_event_invoke_config as Record<string, unknown>);
    expect(config).toEqual([
      expect.objectContaining({
        maximum_event_age_in_seconds: 300,
        maximum_retry_attempts: 1,
        destination_config: { on_failure: { destination: queue.queueArn } },
      }),
    ]);
  });

  it("fails when a function reserves no concurrency (0 would disable it)", () => {
    expect(() => new ManagerFunction(stack(), "reconcile", functionProps({ reservedConcurrency: 0 }))).toThrow(
      'function "blockfleet-test-reconcile": reservedConcurrency must be a whole number >= 1 (0 disables the function), got 0',
    );
  });

  it("fails when failed events would wait longer than Lambda keeps them", () => {
    expect(
      () =>
        new ManagerFunction(
          stack(),
          "reconcile",
          functionProps({ asyncInvocation: { onFailureQueue: queue, maximumEventAgeSeconds: 30_000, maximumRetryAttempts: 1 } }),
        ),
    ).toThrow(
      'function "blockfleet-test-reconcile": asyncInvocation.maximumEventAgeSeconds must be a whole number from 60 to 21600 (Lambda\'s limits), got 30000',
    );
  });

  it("fails when failed events would be retried more often than Lambda allows", () => {
    expect(
      () =>
        new ManagerFunction(
          stack(),
          "reconcile",
          functionProps({ asyncInvocation: { onFailureQueue: queue, maximumEventAgeSeconds: 300, maximumRetryAttempts: 3 } }),
        ),
    ).toThrow('function "blockfleet-test-reconcile": asyncInvocation.maximumRetryAttempts must be 0, 1 or 2 (Lambda\'s limits), got 3');
  });

  it("fails when the same permission is granted twice, naming the statement", () => {
    // GIVEN a function already granted its table  WHEN the grant is repeated  THEN the duplicate Sid is refused
    const scope = stack();
    const fn = new ManagerFunction(scope, "reconcile", functionProps());
    const table = new RecordsTable(scope, "records", { tableName: "records", kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k", region: "us-east-1" });
    table.grantReadWrite(fn);
    expect(() => table.grantReadWrite(fn)).toThrow('function "test/reconcile": a statement with Sid "ReadWriteRecords" was already granted');
  });

  it("fails when the records table would deny writes to everyone", () => {
    const table = new RecordsTable(stack(), "records", { tableName: "records", kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k", region: "us-east-1" });
    expect(() => table.allowWritesOnlyBy([])).toThrow("records table: allowWritesOnlyBy needs at least one principal, got []");
  });

  it("fails when the API's burst limit is below its rate limit", () => {
    expect(
      () =>
        new RecordsApi(stack(), "api", {
          apiName: "blockfleet-test",
          aws,
          handler: { functionName: "api", invokeArn: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/api/invocations" },
          logsKmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k",
          logRetentionDays: 30,
          throttleRateLimit: 50,
          throttleBurstLimit: 10,
          quotaPerDay: 1_000,
          apiKeyIds: { read: "k-read", write: "k-write", approve: "k-approve" },
        }),
    ).toThrow('api "blockfleet-test": throttleBurstLimit must be at least throttleRateLimit, got 10 < 50');
  });
});

describe("CapacityManager", () => {
  it("fails when new purchases are allowed in tracking mode (extension purchasing off)", () => {
    const bundles = { reconcile: tinyBundle(), api: tinyBundle() };
    const props = {
      namePrefix: "blockfleet-test-capacity-manager",
      environment: "test",
      aws,
      clusterName: "blockfleet-test",
      bundles,
      allowNewPurchases: true,
    };
    expect(() => new CapacityManager(stack(), "manager", props)).toThrow(
      "blockfleet-test-capacity-manager: allowNewPurchases needs extensionsEnabled (tracking mode buys nothing)",
    );
    expect(() => new CapacityManager(stack(), "manager", { ...props, extensionsEnabled: true, monthlyBudgetUsd: 1000 })).not.toThrow();
  });

  it("fails when purchasing is on without a monthly budget", () => {
    const bundles = { reconcile: tinyBundle(), api: tinyBundle() };
    const props = {
      namePrefix: "blockfleet-test-capacity-manager",
      environment: "test",
      aws,
      clusterName: "blockfleet-test",
      bundles,
      extensionsEnabled: true,
    };
    expect(() => new CapacityManager(stack(), "manager", props)).toThrow(
      "blockfleet-test-capacity-manager: extensionsEnabled needs monthlyBudgetUsd (every purchase is checked against the month's budget)",
    );
  });

  it("fails when the monthly budget is not a positive amount", () => {
    const bundles = { reconcile: tinyBundle(), api: tinyBundle() };
    const props = {
      namePrefix: "blockfleet-test-capacity-manager",
      environment: "test",
      aws,
      clusterName: "blockfleet-test",
      bundles,
      extensionsEnabled: true,
      monthlyBudgetUsd: 0,
    };
    expect(() => new CapacityManager(stack(), "manager", props)).toThrow(
      "blockfleet-test-capacity-manager: monthlyBudgetUsd must be a positive amount in USD, got 0",
    );
  });

  it("warns through cdktf's Annotations on itself, with no stack forwarding them", () => {
    // GIVEN a manager alone in a stack, its API authorized by the key alone and no alarm path of its own
    const scope = stack();
    const props = {
      namePrefix: "blockfleet-test-capacity-manager",
      environment: "test",
      aws,
      clusterName: "blockfleet-test",
      bundles: { reconcile: tinyBundle(), api: tinyBundle() },
    };
    // WHEN it is built
    const manager = new CapacityManager(scope, "manager", { ...props, apiAuth: "api_key_only" });
    // THEN the manager's own node carries both warnings, prefixed with the environment, and synth reads them from the tree
    const own = manager.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.WARN).map((entry) => String(entry.data));
    expect(own).toEqual([
      expect.stringMatching(/^test: blockfleet-test-capacity-manager: api_auth = "api_key_only"/),
      expect.stringMatching(/^test: blockfleet-test-capacity-manager: alarms reach only/),
    ]);
    expect(warningsOf(scope)).toEqual(own);
  });
});
