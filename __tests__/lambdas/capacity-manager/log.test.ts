import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRIC_SERVICE, METRICS } from "../../../lambdas/capacity-manager/contract/metrics";
import { createLogger, withLogContext } from "../../../lambdas/capacity-manager/runtime/log";

const context = (requestId: string): Context =>
  ({
    awsRequestId: requestId,
    functionName: "prod-capacity-manager-reconcile",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:prod-capacity-manager-reconcile",
    memoryLimitInMB: "512",
    logGroupName: "/aws/lambda/prod-capacity-manager-reconcile",
    logStreamName: "2026/11/22/[$LATEST]abc",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
};

afterEach(() => vi.unstubAllEnvs());

describe("capacity manager logs (Powertools Logger)", () => {
  it("GIVEN an invocation context and an X-Ray trace THEN each line carries the request id, trace id, cold start and service", async () => {
    // What Lambda sets: the trace header of the invocation, and how the execution environment was started.
    vi.stubEnv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    const { lines, logger } = capture();
    const handler = withLogContext(
      async (event: { n: number }) => {
        logger.info("reconciling", { PK: `rec-${event.n}` });
        return event.n;
      },
      () => logger,
    );

    await handler({ n: 1 }, context("req-1"));
    await handler({ n: 2 }, context("req-2"));

    expect(lines).toEqual([
      expect.objectContaining({
        level: "INFO",
        message: "reconciling",
        PK: "rec-1",
        service: METRIC_SERVICE,
        function_request_id: "req-1",
        cold_start: true,
        xray_trace_id: "1-5759e988-bd862e3fe1be46a994272793",
      }),
      expect.objectContaining({ message: "reconciling", PK: "rec-2", function_request_id: "req-2", cold_start: false }),
    ]);
  });

  it("GIVEN an error field THEN it is logged as errorName and errorMessage, as the alarms' runbook greps for", () => {
    const { lines, logger } = capture();

    logger.error("record reconcile failed", { PK: "rec-1", error: Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded" }) });

    expect(lines[0]).toMatchObject({
      level: "ERROR",
      message: "record reconcile failed",
      PK: "rec-1",
      errorName: "RequestLimitExceeded",
      errorMessage: "Rate exceeded",
    });
  });

  it("GIVEN the function's log level is ERROR (AWS_LAMBDA_LOG_LEVEL) THEN info and warn lines are left out", () => {
    vi.stubEnv("AWS_LAMBDA_LOG_LEVEL", "ERROR");
    const { lines, logger } = capture();

    logger.info("quiet");
    logger.warn("quiet too");
    logger.error("loud");

    expect(lines.map((line) => line.message)).toEqual(["loud"]);
  });
});

describe("capacity manager metrics (Powertools Metrics)", () => {
  it("GIVEN counts THEN one EMF document carries them under the namespace, names, unit and Service dimension the alarms use", () => {
    const { lines, logger } = capture();

    logger.metrics({ [METRICS.RecordsReconciled]: 3, [METRICS.RecordFailures]: 0, [METRICS.PurchasesUnconfirmed]: 1 });

    expect(lines).toHaveLength(1);
    const emf = lines[0] as {
      _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    } & Record<string, unknown>;
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRIC_NAMESPACE,
        Dimensions: METRIC_DIMENSIONS.map((set) => [...set]),
        Metrics: [
          { Name: "RecordsReconciled", Unit: "Count" },
          { Name: "RecordFailures", Unit: "Count" },
          { Name: "PurchasesUnconfirmed", Unit: "Count" },
        ],
      },
    ]);
    expect(emf).toMatchObject({ Service: "capacity-manager", RecordsReconciled: 3, RecordFailures: 0, PurchasesUnconfirmed: 1 });
    expect(emf).not.toHaveProperty("service");
    expect(typeof emf._aws.Timestamp).toBe("number");
  });

  it("GIVEN no counts THEN nothing is written (no empty EMF document, no warning)", () => {
    const { lines, logger } = capture();

    logger.metrics({});

    expect(lines).toEqual([]);
  });
});
