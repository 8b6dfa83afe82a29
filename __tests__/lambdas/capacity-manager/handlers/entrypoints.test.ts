import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { journalTableOf, type LocalDynamo, startDynalite } from "../dynalite";
import { apiEvent } from "./harness";

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("entry-records");
  // Only the documented variables: the tables, and the standard AWS SDK settings.
  vi.stubEnv("TABLE_NAME", "entry-records");
  vi.stubEnv("JOURNAL_TABLE_NAME", journalTableOf("entry-records"));
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
  vi.stubEnv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:9");
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await dynamo.stop();
});

describe("Lambda entry points wired from the environment", () => {
  it("GIVEN TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB THEN the api handler creates and lists records in that table", async () => {
    const { handler } = await import("../../../../lambdas/capacity-manager/handlers/api");
    const created: APIGatewayProxyResult = await handler(apiEvent("POST", "/", { body: { PK: "entry-1", capacityReservationId: "cr-0123456789abcdef0" } }));
    expect(created.statusCode).toBe(201);
    const listed = JSON.parse((await handler(apiEvent("GET", "/"))).body) as { items: { PK: string }[] };
    expect(listed.items.map((i) => i.PK)).toEqual(["entry-1"]);
    const history = JSON.parse((await handler(apiEvent("GET", "/{PK}", { pk: "entry-1", query: { history: "true" } }))).body) as { items: { kind: string }[] };
    expect(history.items.map((i) => i.kind)).toEqual(["CREATED"]);
  });

  it("GIVEN a schedule event THEN the reconcile handler runs against the same table (EC2 unreachable fails that run, loudly)", async () => {
    const { handler } = await import("../../../../lambdas/capacity-manager/handlers/reconcile");
    await expect(handler({ source: "aws.events", "detail-type": "Scheduled Event" })).rejects.toThrow();
    expect(await handler({ source: "aws.s3", "detail-type": "x" })).toEqual({ ignored: expect.stringContaining("source") });
  });
});

describe("handlers load straight from TypeScript and bundle cleanly", () => {
  it("GIVEN both handlers THEN tsx loads them and esbuild bundles them with no warnings", async () => {
    const { execFileSync } = await import("node:child_process");
    const { build } = await import("esbuild");
    const entries = ["reconcile", "api"].map((name) => `lambdas/capacity-manager/handlers/${name}.ts`);
    const script = entries.map((e) => `typeof require("./${e}").handler`).join("+','+");
    const loaded = execFileSync(process.execPath, ["--require", "tsx/cjs", "-e", `process.stdout.write(${script})`], { encoding: "utf8" });
    expect(loaded).toBe("function,function");
    const result = await build({ entryPoints: entries, bundle: true, platform: "node", target: "node22", outdir: "bundle", write: false, logLevel: "silent" });
    expect(result.warnings).toEqual([]);
    expect(result.outputFiles.map((f) => f.path.split("/").pop())).toEqual(["reconcile.js", "api.js"]);
  });
});
