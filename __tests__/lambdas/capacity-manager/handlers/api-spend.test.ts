import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES } from "../../../../lambdas/capacity-manager/contract/api-routes";
import type { SpendEntry } from "../../../../lambdas/capacity-manager/domain/spend";
import { createApiHandler } from "../../../../lambdas/capacity-manager/handlers/api";
import { type LocalDynamo, startDynalite } from "../dynalite";
import { at, HOUR } from "../fixtures";
import { apiEvent, createHarness, type Harness } from "./harness";

let dynamo: LocalDynamo;
let h: Harness;
let api: ReturnType<typeof createApiHandler>;
const NOW = new Date("2026-12-15T10:00:00.000Z");

const entry = (overrides: Partial<SpendEntry>): SpendEntry => ({
  intentId: "i",
  kind: "extension",
  recordPk: "p5-a.cr-0123456789abcdef0",
  capacityReservationId: "cr-0123456789abcdef0",
  offeringId: "cbe-0123456789abcdef0",
  feeUsd: 1000,
  currency: "USD",
  startDate: "2026-12-10T11:30:00.000Z",
  endDate: "2026-12-11T11:30:00.000Z",
  purchasedAt: "2026-12-09T20:00:00.000Z",
  reason: "extend by 24 h",
  ...overrides,
});

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("spend-api");
  h = createHarness(dynamo, "spend-api", at(30 * 24 * HOUR));
  const service = h.service();
  api = createApiHandler(() => ({ service, config: { ...h.config, monthlyBudgetUsd: 5000 }, logger: h.logger, ledger: h.ledger, clock: () => NOW }));
  await h.ledger.append(entry({ intentId: "e1", feeUsd: 1000 }));
  await h.ledger.append(entry({ intentId: "r1", kind: "replacement", feeUsd: 2500.5, capacityReservationId: "cr-0fedcba9876543210", recordPk: "p5-a-next" }));
  await h.ledger.append(entry({ intentId: "nov", feeUsd: 700, purchasedAt: "2026-11-30T23:59:59.000Z" }));
});
afterAll(async () => {
  await dynamo.stop();
});

const body = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

describe("GET /spend", () => {
  it("is a read route declared in api-routes.ts", () => {
    expect(API_ROUTES).toContainEqual({ method: "GET", path: "/spend", operation: "getSpend", approvePermission: false });
  });

  it("GIVEN no month WHEN asked THEN it answers the current UTC month: total, budget, remaining, kinds and blocks", async () => {
    const res = await api(apiEvent("GET", "/spend"));
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({
      month: "2026-12",
      currency: "USD",
      budgetUsd: 5000,
      totalUsd: 3500.5,
      remainingUsd: 1499.5,
      byKind: { extension: { purchases: 1, totalUsd: 1000 }, replacement: { purchases: 1, totalUsd: 2500.5 } },
    });
    expect(
      (body(res)["blocks"] as { capacityReservationId: string; recordPk: string; totalUsd: number }[]).map((b) => [
        b.capacityReservationId,
        b.recordPk,
        b.totalUsd,
      ]),
    ).toEqual([
      ["cr-0fedcba9876543210", "p5-a-next", 2500.5],
      ["cr-0123456789abcdef0", "p5-a.cr-0123456789abcdef0", 1000],
    ]);
  });

  it("GIVEN ?month=2026-11 WHEN asked THEN only November's purchases count", async () => {
    const res = await api(apiEvent("GET", "/spend", { query: { month: "2026-11" } }));
    expect(body(res)).toMatchObject({ month: "2026-11", totalUsd: 700, remainingUsd: 4300 });
  });

  it.each(["2026-13", "december", "2026-1"])("fails when month is %s (400 naming month)", async (month) => {
    const res = await api(apiEvent("GET", "/spend", { query: { month } }));
    expect(res.statusCode).toBe(400);
    expect(body(res)["error"]).toEqual({
      code: "INVALID_REQUEST",
      message: `month: must be a UTC month written YYYY-MM (such as 2026-12), got "${month}"`,
      field: "month",
    });
  });

  it("fails when the query names an unknown parameter", async () => {
    const res = await api(apiEvent("GET", "/spend", { query: { mnth: "2026-12" } }));
    expect(res.statusCode).toBe(400);
    expect(body(res)["error"]).toMatchObject({ field: "mnth" });
  });

  it("fails when a record is created under the API's own path word (spend)", async () => {
    const res = await api(
      apiEvent("POST", "/", {
        body: { PK: "spend", capacityReservationId: "cr-0123456789abcdef0", instanceType: "p5.48xlarge", availabilityZone: "us-east-1a", instanceCount: 1 },
      }),
    );
    expect(res.statusCode).toBe(422);
    expect(JSON.stringify(body(res))).toContain("must not be one of the API's own paths (import, spend)");
  });
});
