import { DescribeCapacityReservationsCommand } from "@aws-sdk/client-ec2";
import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES } from "../../../../lambdas/capacity-manager/contract/api-routes";
import { createApiHandler } from "../../../../lambdas/capacity-manager/handlers/api";
import { type LocalDynamo, startDynalite } from "../dynalite";
import { at, END, HOUR } from "../fixtures";
import { apiEvent, createHarness, type Harness } from "./harness";

let dynamo: LocalDynamo;
let h: Harness;
let api: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("api-records");
  h = createHarness(dynamo, "api-records", at(30 * 24 * HOUR));
  const service = h.service();
  api = createApiHandler(() => ({ service, config: h.config, logger: h.logger, ledger: h.ledger }));
});
afterAll(async () => {
  await dynamo.stop();
});

/** The sample README's POST body, unchanged. */
const SAMPLE_BODY = {
  PK: "env-123",
  capacityReservationId: "cr-0123456789abcdef0",
  instanceType: "p4d.24xlarge",
  availabilityZone: "us-east-1a",
  platform: "Linux/UNIX",
  tenancy: "default",
  startDate: "2025-01-01T00:00:00Z",
  endDate: "2025-06-30T23:59:59Z",
  instanceCount: 8,
  approved: false,
};

const bodyOf = (r: APIGatewayProxyResult) =>
  JSON.parse(r.body) as Record<string, unknown> & { error?: { code: string; message: string; field: string | null } };
/** A record's history through the API, oldest first (GET /{PK}?history=true, paged). */
async function historyOf(pk: string): Promise<({ kind: string; at: string } & Record<string, unknown>)[]> {
  const entries: ({ kind: string; at: string } & Record<string, unknown>)[] = [];
  let cursor: string | null = null;
  do {
    const res = await api(apiEvent("GET", "/{PK}", { pk, query: { history: "true", limit: "3", ...(cursor ? { cursor } : {}) } }));
    expect(res.statusCode).toBe(200);
    const page = JSON.parse(res.body) as { items: ({ kind: string; at: string } & Record<string, unknown>)[]; nextCursor: string | null };
    entries.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return entries.reverse();
}

async function create(body: Record<string, unknown>) {
  return api(apiEvent("POST", "/", { body }));
}

describe("POST /", () => {
  it("GIVEN the sample's documented body THEN 201 with documented policy defaults, without calling EC2", async () => {
    const res = await create(SAMPLE_BODY);
    expect(res.statusCode).toBe(201);
    expect(bodyOf(res)).toMatchObject({
      PK: "env-123",
      endDate: "2025-06-30T23:59:59.000Z",
      approved: false,
      status: "TRACKING",
      extendBeforeHours: 24,
      extendByHours: 24,
      requireApproval: true,
      version: 0,
    });
    expect(bodyOf(res)).not.toHaveProperty("maxUpfrontFeeUsd");
    expect(h.ec2Read.calls()).toHaveLength(0);
  });

  it("fails with 409 when the PK exists", async () => {
    const res = await create(SAMPLE_BODY);
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error).toEqual({ code: "RECORD_EXISTS", message: "record env-123 already exists", field: "PK" });
  });

  it.each([
    ["PK is missing", { ...SAMPLE_BODY, PK: undefined }, 400, "PK"],
    ["approved is true", { ...SAMPLE_BODY, PK: "a1", approved: true }, 422, "approved"],
    ["extendBeforeHours is below 13", { ...SAMPLE_BODY, PK: "a2", extendBeforeHours: 12 }, 422, "extendBeforeHours"],
    ["extendByHours is not sold by EC2", { ...SAMPLE_BODY, PK: "a3", extendByHours: 25 }, 422, "extendByHours"],
    ["maxUpfrontFeeUsd is negative", { ...SAMPLE_BODY, PK: "a4", maxUpfrontFeeUsd: -1 }, 422, "maxUpfrontFeeUsd"],
    ["a field is unknown", { ...SAMPLE_BODY, PK: "a5", colour: "blue" }, 400, "colour"],
    ["instanceCount is a string", { ...SAMPLE_BODY, PK: "a6", instanceCount: "8" }, 400, "instanceCount"],
    ["a date is not a date", { ...SAMPLE_BODY, PK: "a7", endDate: "soon" }, 422, "endDate"],
    ["the reservation id is malformed", { ...SAMPLE_BODY, PK: "a8", capacityReservationId: "reservation-1" }, 422, "capacityReservationId"],
    [
      "the node group size is negative",
      { ...SAMPLE_BODY, PK: "a9", nodeGroup: { clusterName: "c", nodegroupName: "n", desiredSize: -1 } },
      422,
      "nodeGroup.desiredSize",
    ],
  ])("fails when %s (%i, field %s)", async (_name, body, status, field) => {
    const res = await create(body as Record<string, unknown>);
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.field).toBe(field);
  });

  it("fails with 409 when another record already tracks the reservation (two records would both extend it)", async () => {
    const res = await create({ ...SAMPLE_BODY, PK: "env-456" });
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error).toEqual({
      code: "RESERVATION_TRACKED",
      message: "cr-0123456789abcdef0 is already tracked by record env-123; update that record instead",
      field: "capacityReservationId",
    });
  });

  it("GIVEN a caller identity THEN the creation history names who created the record", async () => {
    const res = await api(
      apiEvent("POST", "/", {
        body: { ...SAMPLE_BODY, PK: "who-1", capacityReservationId: "cr-0aaaaaaaaaaaaaaa1" },
        userArn: "arn:aws:iam::123456789012:user/ops",
      }),
    );
    expect(res.statusCode).toBe(201);
    expect(bodyOf(res)).not.toHaveProperty("history");
    expect(await historyOf("who-1")).toEqual([expect.objectContaining({ kind: "CREATED", by: "arn:aws:iam::123456789012:user/ops" })]);
  });

  it.each([
    ["14 days", 336, 201],
    ["21 days (a 7-day step past 14 days)", 504, 201],
    ["182 days", 4368, 201],
    ["15 days (only 7-day steps past 14 days)", 360, 422],
    ["189 days (past 182 days)", 4536, 422],
    ["12 hours", 12, 422],
  ])("GIVEN extendByHours of %s THEN %i", async (_name, extendByHours, status) => {
    const res = await create({
      ...SAMPLE_BODY,
      PK: `dur-${extendByHours}`,
      capacityReservationId: `cr-0${extendByHours.toString(16).padStart(16, "0")}`,
      extendByHours,
    });
    expect(res.statusCode).toBe(status);
    if (status === 422) expect(bodyOf(res).error).toMatchObject({ field: "extendByHours", message: expect.stringContaining("must be a duration EC2 sells") });
  });

  it.each([
    [13, 201],
    [12, 422],
    [13.5, 400], // not a whole number: zod reports the type (expected int)
    [1345, 422],
  ])("GIVEN extendBeforeHours %s THEN %i", async (extendBeforeHours, status) => {
    const res = await create({
      ...SAMPLE_BODY,
      PK: `before-${extendBeforeHours}`,
      capacityReservationId: `cr-0b${Math.round(extendBeforeHours * 10)
        .toString(16)
        .padStart(15, "0")}`,
      extendBeforeHours,
    });
    expect(res.statusCode).toBe(status);
    if (status !== 201) expect(bodyOf(res).error?.field).toBe("extendBeforeHours");
  });

  it("fails when extendBeforeHours is below 13 with a message explaining the payment delay", async () => {
    const res = await create({ ...SAMPLE_BODY, PK: "b1", extendBeforeHours: 12 });
    expect(bodyOf(res).error?.message).toBe("extendBeforeHours: must be at least 13 (payment can take 12 h and must clear 35 min before the end)");
  });

  it.each([
    ["malformed JSON", "{not json", 400, "MALFORMED_JSON"],
    ["a JSON array", "[]", 400, "INVALID_REQUEST"],
    ["an oversized body", JSON.stringify({ ...SAMPLE_BODY, PK: "big", instanceType: "x".repeat(20_000) }), 413, "BODY_TOO_LARGE"],
    ["no body", "", 400, "INVALID_REQUEST"],
  ])("fails with a 4xx JSON error for %s", async (_name, rawBody, status, code) => {
    const res = await api(apiEvent("POST", "/", { rawBody }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.code).toBe(code);
  });
});

describe("GET", () => {
  it("GIVEN records THEN GET / pages with limit and an opaque cursor", async () => {
    for (const [i, pk] of ["list-1", "list-2", "list-3"].entries()) {
      expect((await create({ ...SAMPLE_BODY, PK: pk, capacityReservationId: `cr-0123456789abcdef${i + 1}` })).statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(apiEvent("GET", "/", { query: { limit: "2", ...(cursor ? { cursor } : {}) } }));
      expect(res.statusCode).toBe(200);
      const page = bodyOf(res) as { items: { PK: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.PK));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(["env-123", "list-1", "list-2", "list-3"]));
  });

  it.each([
    [{ limit: "0" }, 422, "limit"],
    [{ limit: "ten" }, 422, "limit"],
    [{ limit: "100000" }, 422, "limit"],
    [{ cursor: "garbage" }, 400, "cursor"],
    [{ sort: "asc" }, 400, "sort"],
  ])("fails for query %j with %i", async (query, status, field) => {
    const res = await api(apiEvent("GET", "/", { query }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.field).toBe(field);
  });

  it("fails with 422 naming PK when the path's PK is not a valid key", async () => {
    const res = await api(apiEvent("GET", "/{PK}", { pk: "has space" }));
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error).toEqual({
      code: "VALIDATION_FAILED",
      message:
        "PK: must be printable characters only: no '/', whitespace, control or format characters (bidirectional overrides, zero-width characters) or lone surrogates",
      field: "PK",
    });
  });

  it("GIVEN a PK THEN GET /{PK} returns it; a missing one is 404", async () => {
    expect(bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "env-123" }))).PK).toBe("env-123");
    const missing = await api(apiEvent("GET", "/{PK}", { pk: "nope" }));
    expect(missing.statusCode).toBe(404);
    expect(bodyOf(missing).error).toEqual({ code: "RECORD_NOT_FOUND", message: "record nope does not exist", field: "PK" });
  });
});

describe("PUT /{PK}", () => {
  it("GIVEN updatable fields THEN 200 with them applied and a history entry", async () => {
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "env-123", body: { instanceCount: 16, endDate: "2025-12-31T23:59:59Z", maxUpfrontFeeUsd: 5000 } }));
    expect(res.statusCode).toBe(200);
    const record = bodyOf(res) as { instanceCount: number; maxUpfrontFeeUsd: number };
    expect([record.instanceCount, record.maxUpfrontFeeUsd]).toEqual([16, 5000]);
    // Policy changes decide what may be bought, so the history names who made them.
    expect((await historyOf("env-123")).at(-1)).toMatchObject({ kind: "UPDATED", by: "arn:aws:iam::123456789012:user/finance" });
  });

  it.each([
    ["tries to set approved", { approved: true }, 422, "approved"],
    ["tries to set status", { status: "TRACKING" }, 422, "status"],
    ["names an unknown field", { colour: "blue" }, 400, "colour"],
    ["names nothing", {}, 422, null],
    ["sets an invalid duration", { extendByHours: 360 }, 422, "extendByHours"],
  ])("fails when the body %s", async (_name, body, status, field) => {
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "env-123", body }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.field).toBe(field);
  });

  it("fails when approved comes with valid fields: nothing is applied, not even the valid ones", async () => {
    const before = bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "env-123" }))) as { instanceCount: number; version: number };
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "env-123", body: { instanceCount: 3, approved: false } }));
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error).toEqual({
      code: "NOT_UPDATABLE",
      message: "approved cannot be set with PUT: approve with PATCH /{PK}, which records who approved",
      field: "approved",
    });
    const after = bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "env-123" }))) as { instanceCount: number; version: number };
    expect([after.instanceCount, after.version]).toEqual([before.instanceCount, before.version]);
  });

  it("fails with 404 for a missing record", async () => {
    expect((await api(apiEvent("PUT", "/{PK}", { pk: "nope", body: { instanceCount: 1 } }))).statusCode).toBe(404);
  });
});

describe("PATCH /{PK} (approve)", () => {
  it("GIVEN a cap and no proposal THEN it approves the next proposal up to the cap, recording the caller's ARN", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "env-123" }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      approved: true,
      status: "APPROVED",
      approval: { by: "arn:aws:iam::123456789012:user/finance", maxFeeUsd: 5000, durationHours: 24 },
    });
  });

  it("GIVEN a pending proposal THEN it approves exactly that proposal (fee, duration, end), recording who and when", async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "prop-1", capacityReservationId: "cr-0ccccccccccccccc1", maxUpfrontFeeUsd: 9000 })).statusCode).toBe(201);
    const proposal = {
      offeringId: "cbeo-p",
      durationHours: 24,
      feeUsd: 1234.5,
      forEndDate: END.toISOString(),
      newEndDate: new Date(END.getTime() + 24 * HOUR).toISOString(),
      approveBy: at(13 * HOUR).toISOString(),
      proposedAt: h.now.toISOString(),
    };
    await h.store.update("prop-1", 0, { status: "AWAITING_APPROVAL", proposal }, []);
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "prop-1", userArn: "arn:aws:iam::123456789012:role/finance-approver" }));
    expect(res.statusCode).toBe(200);
    const record = bodyOf(res);
    expect(record).toMatchObject({
      approved: true,
      status: "APPROVED",
      approval: {
        by: "arn:aws:iam::123456789012:role/finance-approver",
        at: h.now.toISOString(),
        maxFeeUsd: 1234.5,
        durationHours: 24,
        forEndDate: END.toISOString(),
        offeringId: "cbeo-p",
      },
    });
    expect((await historyOf("prop-1")).at(-1)).toMatchObject({
      kind: "APPROVED",
      approvedBy: "arn:aws:iam::123456789012:role/finance-approver",
      feeUsd: 1234.5,
    });
  });

  it("fails with 409 when the record is a duplicate that never buys", async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "dup-1", capacityReservationId: "cr-0ccccccccccccccc2", maxUpfrontFeeUsd: 9000 })).statusCode).toBe(201);
    await h.store.update("dup-1", 0, { status: "DUPLICATE", statusReason: "record prop-9 tracks cr-0ccccccccccccccc2 and makes its decisions" }, []);
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "dup-1" }));
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error).toMatchObject({ code: "DUPLICATE_RECORD", message: expect.stringContaining("record prop-9 tracks") });
  });

  it.each([
    ["the record is missing", "nope", undefined, "arn:aws:iam::123456789012:user/finance", 404, "RECORD_NOT_FOUND"],
    ["there is neither a proposal nor a cap", "list-1", undefined, "arn:aws:iam::123456789012:user/finance", 422, "NOTHING_TO_APPROVE"],
    ["the body has fields", "env-123", { fee: 1 }, "arn:x", 400, "INVALID_REQUEST"],
    ["the caller has no identity", "env-123", undefined, null, 403, "IDENTITY_REQUIRED"],
  ])("fails when %s", async (_name, pk, body, userArn, status, code) => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk, body, userArn }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.code).toBe(code);
  });
});

describe("money policy: PUT may tighten it, only PATCH (the approve permission) may loosen it", () => {
  const approver = "arn:aws:iam::123456789012:role/finance-approver";
  const versionOf = async (pk: string) => (bodyOf(await api(apiEvent("GET", "/{PK}", { pk }))) as { version: number }).version;

  beforeAll(async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "policy-1", capacityReservationId: "cr-0ddddddddddddddd1", maxUpfrontFeeUsd: 1000 })).statusCode).toBe(201);
  });

  it.each([
    ["turns approval off", { requireApproval: false }, "requireApproval"],
    ["raises the cap", { maxUpfrontFeeUsd: 2000 }, "maxUpfrontFeeUsd"],
    ["removes the cap", { maxUpfrontFeeUsd: null }, "maxUpfrontFeeUsd"],
    ["extends by longer", { extendByHours: 48 }, "extendByHours"],
    ["buys earlier", { extendBeforeHours: 48 }, "extendBeforeHours"],
  ])("fails with 403 when PUT %s: the error names the field and the PATCH to use, nothing is applied", async (_name, policy, field) => {
    const before = await versionOf("policy-1");
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "policy-1", body: { instanceCount: 3, ...policy } }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({
      code: "APPROVER_REQUIRED",
      field,
      message: expect.stringContaining(`use PATCH /policy-1 with body ${JSON.stringify(policy)}`),
    });
    expect(await versionOf("policy-1")).toBe(before);
  });

  it("GIVEN PUT lowers the cap THEN it is applied", async () => {
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "policy-1", body: { maxUpfrontFeeUsd: 800 } }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res).maxUpfrontFeeUsd).toBe(800);
  });

  it("GIVEN an approver PATCHes a looser policy THEN it is applied with the approval, and the history names the approver and the time", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "policy-1", userArn: approver, body: { maxUpfrontFeeUsd: 2000, extendByHours: 48 } }));
    expect(res.statusCode).toBe(200);
    const record = bodyOf(res);
    expect(record).toMatchObject({
      maxUpfrontFeeUsd: 2000,
      extendByHours: 48,
      status: "APPROVED",
      approval: { by: approver, at: h.now.toISOString(), maxFeeUsd: 2000, durationHours: 48 },
    });
    expect((await historyOf("policy-1")).slice(-2)).toEqual([
      { at: h.now.toISOString(), kind: "POLICY_CHANGED", approvedBy: approver, detail: "maxUpfrontFeeUsd 800 -> 2000, extendByHours 24 -> 48" },
      expect.objectContaining({ at: h.now.toISOString(), kind: "APPROVED", approvedBy: approver, feeUsd: 2000, durationHours: 48 }),
    ]);
  });

  it("GIVEN an approver PATCHes approval off THEN later purchases need no approval", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "policy-1", userArn: approver, body: { requireApproval: false } }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ requireApproval: false, maxUpfrontFeeUsd: 2000 });
  });

  it.each([
    ["a duration EC2 does not sell", { extendByHours: 25 }, 422, "extendByHours"],
    ["a negative cap", { maxUpfrontFeeUsd: -5 }, 422, "maxUpfrontFeeUsd"],
    ["a lead below 13 h", { extendBeforeHours: 12 }, 422, "extendBeforeHours"],
    ["requireApproval as a string", { requireApproval: "no" }, 400, "requireApproval"],
    ["clearUnconfirmedPurchase false", { clearUnconfirmedPurchase: false }, 422, "clearUnconfirmedPurchase"],
    ["clearUnconfirmedPurchase with policy changes", { clearUnconfirmedPurchase: true, requireApproval: true }, 422, "clearUnconfirmedPurchase"],
    ["a field that is not money policy", { nodeGroup: null }, 400, "nodeGroup"],
    ["approved", { approved: true }, 400, "approved"],
  ])("fails when the PATCH body has %s", async (_name, body, status, field) => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "policy-1", userArn: approver, body }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.field).toBe(field);
  });

  it("fails with 403 when POST creates a record without approval (delete and re-create must not undo what PUT refuses)", async () => {
    const res = await create({ ...SAMPLE_BODY, PK: "policy-2", capacityReservationId: "cr-0ddddddddddddddd2", requireApproval: false });
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({ code: "APPROVER_REQUIRED", field: "requireApproval" });
    expect((await api(apiEvent("GET", "/{PK}", { pk: "policy-2" }))).statusCode).toBe(404);
  });
});

describe("an unconfirmed purchase: only an approver clears it (PATCH /{PK} clearUnconfirmedPurchase)", () => {
  const approver = "arn:aws:iam::123456789012:user/ops-approver";
  const intent = {
    intentId: "cr-0ddddddddddddddd3|end|v0",
    offeringId: "cbeo-h",
    durationHours: 24,
    feeUsd: 900,
    forEndDate: END.toISOString(),
    startedAt: at(21 * HOUR).toISOString(),
  };

  beforeAll(async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "held-1", capacityReservationId: "cr-0ddddddddddddddd3" })).statusCode).toBe(201);
    await h.store.update("held-1", 0, { status: "PURCHASE_UNCONFIRMED", statusReason: "held", intent }, []);
  });

  it.each([
    ["DELETE", undefined, 409, "PURCHASE_UNCONFIRMED"],
    ["PATCH", undefined, 409, "PURCHASE_UNCONFIRMED"],
    ["PATCH", { maxUpfrontFeeUsd: 5000 }, 409, "PURCHASE_UNCONFIRMED"],
  ])("fails when %s %j is sent while the purchase is held", async (method, body, status, code) => {
    const res = await api(apiEvent(method, "/{PK}", { pk: "held-1", body, userArn: approver }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error).toMatchObject({ code, message: expect.stringContaining('{"clearUnconfirmedPurchase": true}') });
  });

  it("fails with 403 when the caller clearing it has no identity", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "held-1", body: { clearUnconfirmedPurchase: true }, userArn: null }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error?.code).toBe("IDENTITY_REQUIRED");
  });

  it("GIVEN an approver clears it THEN the intent is gone, the record tracks again, and the history names who and when", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "held-1", body: { clearUnconfirmedPurchase: true }, userArn: approver }));
    expect(res.statusCode).toBe(200);
    const record = bodyOf(res);
    expect(record).toMatchObject({ status: "TRACKING", approved: false });
    expect(record).not.toHaveProperty("intent");
    expect((await historyOf("held-1")).at(-1)).toMatchObject({
      at: h.now.toISOString(),
      kind: "UNCONFIRMED_PURCHASE_CLEARED",
      approvedBy: approver,
      intentId: intent.intentId,
    });
  });

  it("fails with 409 when nothing is held", async () => {
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "held-1", body: { clearUnconfirmedPurchase: true }, userArn: approver }));
    expect(res.statusCode).toBe(409);
    expect(bodyOf(res).error).toMatchObject({ code: "NO_UNCONFIRMED_PURCHASE", field: "clearUnconfirmedPurchase" });
  });
});

describe("DELETE /{PK}, POST /import and routing", () => {
  it("GIVEN a record THEN DELETE removes it and a second DELETE is 404", async () => {
    expect((await api(apiEvent("DELETE", "/{PK}", { pk: "list-3" }))).statusCode).toBe(200);
    expect((await api(apiEvent("GET", "/{PK}", { pk: "list-3" }))).statusCode).toBe(404);
    expect((await api(apiEvent("DELETE", "/{PK}", { pk: "list-3" }))).statusCode).toBe(404);
  });

  it("GIVEN capacity blocks in the account THEN POST /import tracks the untracked ones once", async () => {
    h.ec2Read.on(DescribeCapacityReservationsCommand).resolves({
      CapacityReservations: [
        { CapacityReservationId: "cr-0123456789abcdef0", State: "active", ReservationType: "capacity-block", EndDate: END },
        {
          CapacityReservationId: "cr-0fedcba987654321f",
          State: "scheduled",
          ReservationType: "capacity-block",
          EndDate: END,
          InstanceType: "p5.48xlarge",
          TotalInstanceCount: 2,
        },
      ],
    });
    const first = bodyOf(await api(apiEvent("POST", "/import")));
    expect(first).toEqual({ imported: ["cr-0fedcba987654321f"], alreadyTracked: ["cr-0123456789abcdef0"] });
    const imported = bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "cr-0fedcba987654321f" })));
    expect(imported).toMatchObject({ instanceType: "p5.48xlarge", instanceCount: 2, requireApproval: true, reservationState: "scheduled" });
    expect(bodyOf(await api(apiEvent("POST", "/import")))).toEqual({ imported: [], alreadyTracked: ["cr-0123456789abcdef0", "cr-0fedcba987654321f"] });
  });

  it.each([
    ["POST", "/{PK}", 405, "METHOD_NOT_ALLOWED"],
    ["GET", "/nowhere", 404, "ROUTE_NOT_FOUND"],
  ])("fails for %s %s with %i", async (method, resource, status, code) => {
    const res = await api(apiEvent(method, resource, { pk: "env-123" }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.code).toBe(code);
  });

  it("GIVEN the routes contract THEN only PATCH /{PK} needs the approve permission and every route is served", async () => {
    expect(API_ROUTES.filter((r) => r.approvePermission).map((r) => `${r.method} ${r.path}`)).toEqual(["PATCH /{PK}"]);
    for (const route of API_ROUTES) {
      const res = await api(
        apiEvent(route.method, route.path, route.path === "/{PK}" ? { pk: "env-123", body: route.method === "PUT" ? { instanceCount: 2 } : undefined } : {}),
      );
      const code = res.statusCode >= 400 ? bodyOf(res).error?.code : "OK";
      expect([route.operation, code]).not.toContainEqual(expect.stringMatching(/^(ROUTE_NOT_FOUND|METHOD_NOT_ALLOWED|INTERNAL)$/));
      expect(res.statusCode).toBeLessThan(500);
    }
  });
});

describe("API edges", () => {
  it.each([
    ["empty", ""],
    ["not base64 JSON", "garbage"],
    ["a key of the wrong type", Buffer.from('{"PK":1}').toString("base64url")],
    ["a key with extra attributes", Buffer.from('{"PK":"env-123","version":3}').toString("base64url")],
    ["a key that is no valid PK", Buffer.from('{"PK":"a\\u202eb"}').toString("base64url")],
  ])("fails with 400 INVALID_CURSOR when GET / gets a cursor that is %s", async (_name, cursor) => {
    const res = await api(apiEvent("GET", "/", { query: { cursor } }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({ code: "INVALID_CURSOR", field: "cursor" });
  });

  it.each([
    ["a control character", "env\u0007bell"],
    ["a bidirectional override", "env\u202Egnp.exe"],
    ["a bidirectional isolate", "env\u2066x\u2069"],
    ["a zero-width space", "env\u200B123"],
    ["a zero-width joiner", "env\u200D123"],
    ["a byte order mark", "\uFEFFenv"],
    ["a lone surrogate", "env\uD800"],
    ["a no-break space", "env\u00A0123"],
  ])("fails with 422 naming PK when POST / gets a PK with %s", async (_name, pk) => {
    const res = await api(apiEvent("POST", "/", { rawBody: JSON.stringify({ ...SAMPLE_BODY, PK: pk, capacityReservationId: "cr-0eeeeeeeeeeeeeee1" }) }));
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error).toMatchObject({ field: "PK", message: expect.stringContaining("printable") });
  });

  it("GIVEN a PK of printable non-ASCII letters THEN it is accepted", async () => {
    const res = await create({ ...SAMPLE_BODY, PK: "équipe-東京-1", capacityReservationId: "cr-0eeeeeeeeeeeeeee2" });
    expect(res.statusCode).toBe(201);
  });

  it.each([
    ["a date without a time", "2025-06-30"],
    ["a time without a zone", "2025-06-30T23:59:59"],
    ["a date in words", "June 30, 2025"],
    ["a day that does not exist", "2025-02-30T00:00:00Z"],
    ["an hour past 23", "2025-06-30T24:00:00Z"],
    ["a time without seconds", "2025-06-30T23:59Z"],
    ["an offset without a colon", "2025-06-30T23:59:59+0200"],
  ])("fails with 422 naming endDate when it is %s", async (_name, endDate) => {
    const res = await create({ ...SAMPLE_BODY, PK: "dates-bad", capacityReservationId: "cr-0eeeeeeeeeeeeeee3", endDate });
    expect(res.statusCode).toBe(422);
    expect(bodyOf(res).error).toMatchObject({ field: "endDate", message: expect.stringContaining("ISO 8601") });
  });

  it("GIVEN a date with an offset and fractional seconds THEN it is stored as the same instant in UTC", async () => {
    const res = await create({ ...SAMPLE_BODY, PK: "dates-ok", capacityReservationId: "cr-0eeeeeeeeeeeeeee4", endDate: "2025-07-01T01:59:59.5+02:00" });
    expect(res.statusCode).toBe(201);
    expect(bodyOf(res).endDate).toBe("2025-06-30T23:59:59.500Z");
  });

  it("GIVEN an extension is pending THEN an approval answers that it applies to the next proposal (the end after the pending one), not the purchase in flight", async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "pending-1", capacityReservationId: "cr-0eeeeeeeeeeeeeee5", maxUpfrontFeeUsd: 3000 })).statusCode).toBe(201);
    const lastExtension = {
      intentId: "i1",
      offeringId: "cbeo-x",
      feeUsd: 900,
      durationHours: 24,
      forEndDate: END.toISOString(),
      purchasedAt: at(20 * HOUR).toISOString(),
    };
    await h.store.update("pending-1", 0, { status: "EXTENSION_PENDING", statusReason: "waiting for payment", lastExtension }, []);
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "pending-1" }));
    expect(res.statusCode).toBe(200);
    const next = new Date(END.getTime() + 24 * HOUR).toISOString();
    expect(bodyOf(res)).toMatchObject({
      status: "EXTENSION_PENDING",
      approval: { maxFeeUsd: 3000, durationHours: 24 },
      appliesTo: {
        kind: "NEXT_PROPOSAL",
        maxFeeUsd: 3000,
        durationHours: 24,
        afterEndDate: next,
        message: `extension cbeo-x bought for the end ${END.toISOString()} is pending; this approval is not for it but for the next proposal: extending the end after it (expected ${next}) by 24 h for up to $3000.00`,
      },
    });
  });

  it("GIVEN a pending proposal THEN the approval answers with exactly that proposal", async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "pending-2", capacityReservationId: "cr-0eeeeeeeeeeeeeee6", maxUpfrontFeeUsd: 3000 })).statusCode).toBe(201);
    const proposal = {
      offeringId: "cbeo-q",
      durationHours: 24,
      feeUsd: 1500,
      forEndDate: END.toISOString(),
      newEndDate: new Date(END.getTime() + 24 * HOUR).toISOString(),
      approveBy: at(13 * HOUR).toISOString(),
      proposedAt: h.now.toISOString(),
    };
    await h.store.update("pending-2", 0, { status: "AWAITING_APPROVAL", proposal }, []);
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "pending-2" }));
    expect(bodyOf(res).appliesTo).toMatchObject({
      kind: "PENDING_PROPOSAL",
      offeringId: "cbeo-q",
      feeUsd: 1500,
      durationHours: 24,
      forEndDate: END.toISOString(),
    });
  });
});

describe("GET /{PK}?history=true", () => {
  it("GIVEN a record with history THEN pages of it come newest first with a cursor, and the record itself carries none", async () => {
    expect((await create({ ...SAMPLE_BODY, PK: "hist-api", capacityReservationId: "cr-0eeeeeeeeeeeeeee9" })).statusCode).toBe(201);
    expect((await api(apiEvent("PUT", "/{PK}", { pk: "hist-api", body: { instanceCount: 3 } }))).statusCode).toBe(200);
    const first = await api(apiEvent("GET", "/{PK}", { pk: "hist-api", query: { history: "true", limit: "1" } }));
    expect(first.statusCode).toBe(200);
    const page = bodyOf(first) as { PK: string; items: { kind: string }[]; nextCursor: string | null };
    expect(page.PK).toBe("hist-api");
    expect(page.items.map((e) => e.kind)).toEqual(["UPDATED"]);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "hist-api" })))).not.toHaveProperty("history");
  });

  it.each([
    ["empty", () => Promise.resolve("")],
    ["forged", () => Promise.resolve(Buffer.from(JSON.stringify({ pk: "hist-api", phase: "journal", sk: "LEDGER#2026" })).toString("base64url"))],
    [
      "another record's",
      async () =>
        (bodyOf(await api(apiEvent("GET", "/{PK}", { pk: "who-1", query: { history: "true", limit: "1" } }))) as { nextCursor: string }).nextCursor ?? "x",
    ],
  ])("fails with 400 INVALID_CURSOR for an %s cursor", async (_name, cursor) => {
    const res = await api(apiEvent("GET", "/{PK}", { pk: "hist-api", query: { history: "true", cursor: await cursor() } }));
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res).error).toMatchObject({ code: "INVALID_CURSOR", field: "cursor" });
  });

  it.each([
    [{ history: "yes" }, 422, "history"],
    [{ cursor: "abc" }, 422, "cursor"],
    [{ colour: "blue" }, 400, "colour"],
  ])("fails for query %j with %i", async (query, status, field) => {
    const res = await api(apiEvent("GET", "/{PK}", { pk: "hist-api", query }));
    expect(res.statusCode).toBe(status);
    expect(bodyOf(res).error?.field).toBe(field);
  });
});
