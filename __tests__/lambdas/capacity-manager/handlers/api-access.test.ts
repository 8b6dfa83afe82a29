/**
 * Approval is a right the API enforces itself, not only the caller's IAM policy: only the configured approver
 * principals approve (never an API key in `iam_and_key` mode), and in `api_key_only` mode each key does only what it
 * is for.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiAccess, principalIdentity, refuseCaller } from "../../../../lambdas/capacity-manager/contract/access";
import { createApiHandler } from "../../../../lambdas/capacity-manager/handlers/api";
import type { ManagerConfig } from "../../../../lambdas/capacity-manager/runtime/config";
import { type LocalDynamo, startDynalite } from "../dynalite";
import { at, END, HOUR } from "../fixtures";
import { apiEvent, createHarness, type Harness } from "./harness";

const ACCOUNT = "123456789012";
const APPROVER_ROLE = `arn:aws:iam::${ACCOUNT}:role/finance/finance-approver`;
const APPROVER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/finance-approver/alice`;
const WRITER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/platform-operator/bob`;
const KEYS = { read: "key-read", write: "key-write", approve: "key-approve" } as const;

let dynamo: LocalDynamo;
let h: Harness;

function handlerWith(access: ApiAccess) {
  const service = h.service();
  const config: ManagerConfig = { ...h.config, access };
  return createApiHandler(() => ({ service, config, logger: h.logger }));
}
const iamMode = (approverPrincipalArns: readonly string[]) => handlerWith({ mode: "iam_and_key", approverPrincipalArns, apiKeyIds: KEYS });
const keyMode = () => handlerWith({ mode: "api_key_only", approverPrincipalArns: [APPROVER_ROLE], apiKeyIds: KEYS });
const bodyOf = (r: APIGatewayProxyResult) => JSON.parse(r.body) as Record<string, unknown> & { error?: { code: string; message: string } };

const RECORD = {
  capacityReservationId: "cr-0a0a0a0a0a0a0a0a0",
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  platform: "Linux/UNIX",
  tenancy: "default",
  instanceCount: 1,
};

/** A record waiting for approval of a 24 h extension. */
async function awaitingApproval(pk: string, reservation: string) {
  const created = await iamMode([APPROVER_ROLE])(
    apiEvent("POST", "/", { body: { ...RECORD, PK: pk, capacityReservationId: reservation, maxUpfrontFeeUsd: 5000 }, userArn: WRITER_SESSION }),
  );
  expect(created.statusCode).toBe(201);
  const proposal = {
    offeringId: "cbeo-access",
    durationHours: 24,
    feeUsd: 1000,
    forEndDate: END.toISOString(),
    newEndDate: new Date(END.getTime() + 24 * HOUR).toISOString(),
    approveBy: at(13 * HOUR).toISOString(),
    proposedAt: h.now.toISOString(),
  };
  await h.store.update(pk, 0, { status: "AWAITING_APPROVAL", proposal }, []);
}

beforeAll(async () => {
  dynamo = await startDynalite();
  await dynamo.createTable("access-records");
  h = createHarness(dynamo, "access-records", at(30 * 24 * HOUR));
});
afterAll(async () => {
  await dynamo.stop();
});

describe("who an ARN stands for", () => {
  it("GIVEN a role session THEN it is its role, whatever the role's path or the session name", () => {
    expect(principalIdentity(APPROVER_SESSION)).toBe(principalIdentity(APPROVER_ROLE));
    expect(principalIdentity(`arn:aws:iam::${ACCOUNT}:user/ops/carol`)).toBe(`aws:${ACCOUNT}:user:carol`);
  });

  it("GIVEN the same role name in another account or partition THEN it is someone else", () => {
    expect(principalIdentity(`arn:aws:sts::444455556666:assumed-role/finance-approver/alice`)).not.toBe(principalIdentity(APPROVER_ROLE));
    expect(principalIdentity(`arn:aws-cn:sts::${ACCOUNT}:assumed-role/finance-approver/alice`)).not.toBe(principalIdentity(APPROVER_ROLE));
  });

  it("GIVEN a user named like the approver role THEN it is not the role", () => {
    expect(principalIdentity(`arn:aws:iam::${ACCOUNT}:user/finance-approver`)).not.toBe(principalIdentity(APPROVER_ROLE));
  });

  it("GIVEN root, a federated user or something malformed THEN it is nobody", () => {
    for (const arn of [
      `arn:aws:iam::${ACCOUNT}:root`,
      `arn:aws:sts::${ACCOUNT}:federated-user/alice`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/finance-approver`,
      "apiKey:key-approve",
      "",
    ]) {
      expect(principalIdentity(arn), arn).toBeUndefined();
    }
  });
});

describe("iam_and_key: only approver principals approve", () => {
  it("GIVEN a session of an approver role THEN it approves", async () => {
    await awaitingApproval("access-1", "cr-0a0a0a0a0a0a0a0a1");
    const res = await iamMode([APPROVER_ROLE])(apiEvent("PATCH", "/{PK}", { pk: "access-1", userArn: APPROVER_SESSION }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ approved: true, approval: { by: APPROVER_SESSION } });
    // Extension purchasing is on in the harness: no tracking-mode note.
    expect(bodyOf(res).purchasing).toBeUndefined();
  });

  it("GIVEN tracking mode THEN the approval is kept and the answer says nothing is bought until purchasing is on", async () => {
    await awaitingApproval("access-tracking", "cr-0a0a0a0a0a0a0a0b1");
    const service = h.service();
    const config: ManagerConfig = {
      ...h.config,
      extensionsEnabled: false,
      access: { mode: "iam_and_key", approverPrincipalArns: [APPROVER_ROLE], apiKeyIds: KEYS },
    };
    const res = await createApiHandler(() => ({ service, config, logger: h.logger }))(
      apiEvent("PATCH", "/{PK}", { pk: "access-tracking", userArn: APPROVER_SESSION }),
    );
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({
      approved: true,
      purchasing:
        "off: tracking mode (capacity_manager.extensions_enabled = false: extension purchasing is off); the approval is kept and applies once purchasing is turned on",
    });
  });

  it("fails with 403 NOT_AN_APPROVER when a writer approves, and nothing changes", async () => {
    await awaitingApproval("access-2", "cr-0a0a0a0a0a0a0a0a2");
    const before = await h.store.get("access-2");
    const res = await iamMode([APPROVER_ROLE])(apiEvent("PATCH", "/{PK}", { pk: "access-2", userArn: WRITER_SESSION }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({ code: "NOT_AN_APPROVER", message: `${WRITER_SESSION} is not one of capacity_manager.approver_principal_arns` });
    expect(await h.store.get("access-2")).toEqual(before);
  });

  it("fails with 403 NOT_AN_APPROVER when only an API key identifies the caller, even the approver key", async () => {
    await awaitingApproval("access-3", "cr-0a0a0a0a0a0a0a0a3");
    const res = await iamMode([APPROVER_ROLE])(apiEvent("PATCH", "/{PK}", { pk: "access-3", userArn: null, apiKeyId: KEYS.approve }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({
      code: "NOT_AN_APPROVER",
      message: `apiKey:${KEYS.approve} is not one of capacity_manager.approver_principal_arns`,
    });
  });

  it("fails with 403 NOT_AN_APPROVER for everyone when no approver is configured", async () => {
    await awaitingApproval("access-4", "cr-0a0a0a0a0a0a0a0a4");
    const res = await iamMode([])(apiEvent("PATCH", "/{PK}", { pk: "access-4", userArn: APPROVER_SESSION }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error?.message).toBe("approvals are switched off: capacity_manager.approver_principal_arns names no approver");
  });

  it("GIVEN a writer THEN reads and writes are left to IAM (not refused here)", async () => {
    const api = iamMode([APPROVER_ROLE]);
    expect((await api(apiEvent("GET", "/{PK}", { pk: "access-1", userArn: WRITER_SESSION }))).statusCode).toBe(200);
    expect((await api(apiEvent("PUT", "/{PK}", { pk: "access-2", userArn: WRITER_SESSION, body: { instanceCount: 2 } }))).statusCode).toBe(200);
  });
});

describe("api_key_only: one key per permission", () => {
  it("GIVEN the read key THEN it reads and cannot write", async () => {
    const api = keyMode();
    expect((await api(apiEvent("GET", "/", { userArn: null, apiKeyId: KEYS.read }))).statusCode).toBe(200);
    const res = await api(apiEvent("PUT", "/{PK}", { pk: "access-1", userArn: null, apiKeyId: KEYS.read, body: { instanceCount: 3 } }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({ code: "API_KEY_NOT_ALLOWED", message: 'this API key may not write (api_auth = "api_key_only")' });
  });

  it("fails with 403 NOT_AN_APPROVER when the write key approves", async () => {
    await awaitingApproval("access-5", "cr-0a0a0a0a0a0a0a0a5");
    const api = keyMode();
    expect((await api(apiEvent("PUT", "/{PK}", { pk: "access-5", userArn: null, apiKeyId: KEYS.write, body: { instanceCount: 2 } }))).statusCode).toBe(200);
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "access-5", userArn: null, apiKeyId: KEYS.write }));
    expect(res.statusCode).toBe(403);
    expect(bodyOf(res).error).toMatchObject({
      code: "NOT_AN_APPROVER",
      message: 'this API key may not approve purchases; only the approver key may (api_auth = "api_key_only")',
    });
  });

  it("GIVEN the approver key THEN it approves (and cannot write)", async () => {
    await awaitingApproval("access-6", "cr-0a0a0a0a0a0a0a0a6");
    const api = keyMode();
    const res = await api(apiEvent("PATCH", "/{PK}", { pk: "access-6", userArn: null, apiKeyId: KEYS.approve }));
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ approved: true, approval: { by: `apiKey:${KEYS.approve}` } });
    expect((await api(apiEvent("DELETE", "/{PK}", { pk: "access-6", userArn: null, apiKeyId: KEYS.approve }))).statusCode).toBe(403);
  });

  it("fails with 403 when a key the manager doesn't know calls", () => {
    const access: ApiAccess = { mode: "api_key_only", approverPrincipalArns: [], apiKeyIds: KEYS };
    expect(refuseCaller("read", { apiKeyId: "someone-elses-key" }, access)?.code).toBe("API_KEY_NOT_ALLOWED");
    expect(refuseCaller("read", {}, access)?.code).toBe("API_KEY_NOT_ALLOWED");
  });
});
