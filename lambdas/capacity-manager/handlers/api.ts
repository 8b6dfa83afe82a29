import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { z } from "zod";
import { permissionOf, refuseCaller } from "../contract/access";
import { API_ROUTES, type ApiRoute, PK_PATH_PARAMETER } from "../contract/api-routes";
import { TRACKING_MODE } from "../domain/decision";
import { DomainError } from "../domain/errors";
import { buildSpendSummary, isUtcMonth, utcMonthOf } from "../domain/spend";
import type { RecordChanges } from "../domain/types";
import { loadConfig, type ManagerConfig } from "../runtime/config";
import { type Logger, withLogContext } from "../runtime/log";
import { InvalidCursorError, RecordExistsError, RecordNotFoundError, VersionConflictError } from "../service/errors";
import { readLedgerMonth, type SpendLedger } from "../service/ports";
import type { RecordsService } from "../service/records-service";
import {
  approveBodySchema,
  createBodySchema,
  emptyBodySchema,
  getQuerySchema,
  listQuerySchema,
  NOT_UPDATABLE_FIELDS,
  pkSchema,
  spendQuerySchema,
  updateBodySchema,
} from "./api-schemas";
import { createRecordsService, createRuntime } from "./dependencies";

/** An error answered to the caller as `{ "error": { code, message, field } }`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Type and shape problems are 400; values of the right type that break a rule are 422. */
const SHAPE_ISSUES = new Set(["invalid_type", "unrecognized_keys", "invalid_union", "invalid_key"]);

/** `rootField` names the field when the parsed value is itself one field (a path parameter). */
function fromZod(error: z.ZodError, prefix: string, rootField: string | null): HttpError {
  const issue = error.issues[0];
  if (!issue) return new HttpError(400, "INVALID_REQUEST", `invalid ${prefix}`);
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const path = [...issue.path, ...(keys.length === 1 ? keys : [])].map(String).join(".");
  const field = path === "" ? rootField : path;
  const message = issue.code === "unrecognized_keys" ? `unknown field${keys.length > 1 ? "s" : ""} ${keys.join(", ")}` : `${field ?? prefix}: ${issue.message}`;
  return SHAPE_ISSUES.has(issue.code) ? new HttpError(400, "INVALID_REQUEST", message, field) : new HttpError(422, "VALIDATION_FAILED", message, field);
}

function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

function errorResponse(error: HttpError): APIGatewayProxyResult {
  return json(error.statusCode, { error: { code: error.code, message: error.message, field: error.field } });
}

function readBody(event: APIGatewayProxyEvent, maxBytes: number): unknown {
  if (event.body === null || event.body === undefined || event.body === "") return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  if (raw.byteLength > maxBytes) throw new HttpError(413, "BODY_TOO_LARGE", `request body is ${raw.byteLength} bytes; the limit is ${maxBytes}`);
  try {
    return JSON.parse(raw.toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "request body is not valid JSON");
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string, rootField: string | null = null): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, what, rootField);
  return result.data;
}

function findRoute(event: APIGatewayProxyEvent): ApiRoute {
  const byPath = API_ROUTES.filter((r) => r.path === event.resource);
  if (byPath.length === 0) throw new HttpError(404, "ROUTE_NOT_FOUND", `no route ${event.resource}`);
  const route = byPath.find((r) => r.method === event.httpMethod);
  if (!route)
    throw new HttpError(
      405,
      "METHOD_NOT_ALLOWED",
      `${event.httpMethod} is not allowed on ${event.resource}; allowed: ${byPath.map((r) => r.method).join(", ")}`,
    );
  return route;
}

function pathPk(event: APIGatewayProxyEvent): string {
  const raw = event.pathParameters?.[PK_PATH_PARAMETER];
  if (raw === undefined) throw new HttpError(400, "INVALID_REQUEST", "path parameter PK is missing", "PK");
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "INVALID_REQUEST", "path parameter PK is not valid URL encoding", "PK");
  }
  return parse(pkSchema, decoded, "PK", "PK");
}

/** PUT bodies naming a field the manager owns (notably `approved`) are refused, never ignored. */
function rejectNotUpdatable(body: unknown): void {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const field = NOT_UPDATABLE_FIELDS.find((f) => Object.hasOwn(body, f));
  if (field === "approved")
    throw new HttpError(422, "NOT_UPDATABLE", "approved cannot be set with PUT: approve with PATCH /{PK}, which records who approved", field);
  if (field) throw new HttpError(422, "NOT_UPDATABLE", `${field} is managed by the capacity manager and cannot be updated`, field);
}

/** The caller: the IAM user/role ARN, or the API key when the API is key-only (the weaker mode, recorded as such). */
function callerIdentity(event: APIGatewayProxyEvent): string | undefined {
  const identity = event.requestContext?.identity;
  if (identity?.userArn) return identity.userArn;
  if (identity?.apiKeyId) return `apiKey:${identity.apiKeyId}`;
  return undefined;
}

/** An approval spends money, so it must name who approved. */
function approverIdentity(event: APIGatewayProxyEvent): string {
  const approver = callerIdentity(event);
  if (approver === undefined) {
    throw new HttpError(403, "IDENTITY_REQUIRED", "approval needs a caller identity (requestContext.identity.userArn of an IAM-authorized request)");
  }
  return approver;
}

/** Approvals only from approvers; in key-only mode each key only what it is for (see ../access.ts). */
function authorize(r: ApiRoute, event: APIGatewayProxyEvent, config: ManagerConfig): void {
  const identity = event.requestContext?.identity;
  const refusal = refuseCaller(permissionOf(r), { userArn: identity?.userArn, apiKeyId: identity?.apiKeyId }, config.access);
  if (refusal) throw new HttpError(403, refusal.code, refusal.message);
}

/** What the API reads besides the records. */
export interface ApiExtras {
  /** The spend ledger (GET /spend). */
  readonly ledger?: SpendLedger;
  /** @default the system clock */
  readonly clock?: () => Date;
}

async function route(event: APIGatewayProxyEvent, service: RecordsService, config: ManagerConfig, extras: ApiExtras): Promise<APIGatewayProxyResult> {
  const r = findRoute(event);
  if (r.operation !== "approveRecord") authorize(r, event, config);
  const body = readBody(event, config.maxBodyBytes);
  switch (r.operation) {
    case "listRecords": {
      const query = parse(listQuerySchema(config.maxPageSize, config.defaultPageSize), event.queryStringParameters ?? {}, "query");
      const page = await service.list(query.limit, query.cursor);
      return json(200, { items: page.records, nextCursor: page.cursor ?? null });
    }
    case "getRecord": {
      const pk = pathPk(event);
      const query = parse(getQuerySchema(config.maxPageSize, config.defaultPageSize), event.queryStringParameters ?? {}, "query");
      if (query.history === undefined) return json(200, await service.get(pk));
      const page = await service.history(pk, query.limit, query.cursor);
      return json(200, { PK: pk, items: page.entries, nextCursor: page.cursor ?? null });
    }
    case "createRecord": {
      const input = parse(createBodySchema, body ?? null, "body");
      const record = await service.create(
        {
          PK: input.PK,
          capacityReservationId: input.capacityReservationId,
          instanceType: input.instanceType,
          availabilityZone: input.availabilityZone,
          platform: input.platform,
          tenancy: input.tenancy,
          startDate: input.startDate ?? "",
          endDate: input.endDate ?? "",
          instanceCount: input.instanceCount,
          extendBeforeHours: input.extendBeforeHours,
          extendByHours: input.extendByHours,
          requireApproval: input.requireApproval,
          ...(input.maxUpfrontFeeUsd !== undefined ? { maxUpfrontFeeUsd: input.maxUpfrontFeeUsd } : {}),
          ...(input.nodeGroup ? { nodeGroup: input.nodeGroup } : {}),
        },
        callerIdentity(event),
      );
      return json(201, record);
    }
    case "updateRecord": {
      const pk = pathPk(event);
      rejectNotUpdatable(body);
      const input = parse(updateBodySchema, body ?? null, "body");
      if (Object.keys(input).length === 0) throw new HttpError(422, "NOTHING_TO_UPDATE", "body names no updatable field");
      return json(200, await service.update(pk, input as RecordChanges, callerIdentity(event)));
    }
    case "deleteRecord": {
      const pk = pathPk(event);
      await service.remove(pk);
      return json(200, { deleted: pk });
    }
    case "approveRecord": {
      const pk = pathPk(event);
      const { clearUnconfirmedPurchase, ...policy } = parse(approveBodySchema, body ?? {}, "body");
      const approver = approverIdentity(event);
      authorize(r, event, config);
      if (clearUnconfirmedPurchase) return json(200, await service.clearUnconfirmedPurchase(pk, approver));
      const approved = await service.approve(pk, approver, policy);
      // Kept either way; in tracking mode nothing is bought until extension purchasing is turned on.
      return json(200, config.extensionsEnabled ? approved : { ...approved, purchasing: TRACKING_MODE_APPROVAL });
    }
    case "getSpend": {
      const query = parse(spendQuerySchema, event.queryStringParameters ?? {}, "query");
      if (query.month !== undefined && !isUtcMonth(query.month)) {
        throw new HttpError(400, "INVALID_REQUEST", `month: must be a UTC month written YYYY-MM (such as 2026-12), got "${query.month}"`, "month");
      }
      if (!extras.ledger) throw new Error("the API has no spend ledger");
      const month = query.month ?? utcMonthOf((extras.clock ?? (() => new Date()))());
      const entries = await readLedgerMonth(extras.ledger, month);
      return json(200, buildSpendSummary({ month, entries, ...(config.monthlyBudgetUsd !== undefined ? { budgetUsd: config.monthlyBudgetUsd } : {}) }));
    }
    case "importRecords":
      parse(emptyBodySchema, body ?? {}, "body");
      return json(200, await service.importBlocks(callerIdentity(event)));
  }
}

/** What an approval answers in tracking mode (the same words as reconcile's status reason). */
export const TRACKING_MODE_APPROVAL = `off: ${TRACKING_MODE}; the approval is kept and applies once purchasing is turned on`;

function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) {
    const status = { invalid: 422, conflict: 409, "not-found": 404, forbidden: 403 }[error.kind];
    return new HttpError(status, error.code, error.message, error.field ?? null);
  }
  if (error instanceof RecordExistsError) return new HttpError(409, "RECORD_EXISTS", error.message, "PK");
  if (error instanceof VersionConflictError) return new HttpError(409, "CONCURRENT_UPDATE", `${error.message}; read it again and retry`);
  if (error instanceof RecordNotFoundError) return new HttpError(404, "RECORD_NOT_FOUND", error.message, "PK");
  if (error instanceof InvalidCursorError) return new HttpError(400, "INVALID_CURSOR", error.message, "cursor");
  return undefined;
}

export function createApiHandler(getDeps: () => { service: RecordsService; config: ManagerConfig; logger: Logger } & ApiExtras) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const { service, config, logger, ...extras } = getDeps();
    try {
      const result = await route(event, service, config, extras);
      logger.info("api request", {
        method: event.httpMethod,
        resource: event.resource,
        PK: event.pathParameters?.[PK_PATH_PARAMETER],
        statusCode: result.statusCode,
      });
      return result;
    } catch (error) {
      const http = toHttpError(error);
      if (http) {
        logger.info("api request refused", {
          method: event.httpMethod,
          resource: event.resource,
          PK: event.pathParameters?.[PK_PATH_PARAMETER],
          statusCode: http.statusCode,
          code: http.code,
        });
        return errorResponse(http);
      }
      logger.error("api request failed", { method: event.httpMethod, resource: event.resource, PK: event.pathParameters?.[PK_PATH_PARAMETER], error });
      return errorResponse(new HttpError(500, "INTERNAL", "internal error; see the logs"));
    }
  };
}

let wired: { service: RecordsService; config: ManagerConfig; logger: Logger; ledger: SpendLedger } | undefined;

/** Wired once per container, on the first invocation. */
function wire() {
  if (!wired) {
    const runtime = createRuntime(loadConfig());
    wired = { service: createRecordsService(runtime), config: runtime.config, logger: runtime.logger, ledger: runtime.ledger };
  }
  return wired;
}

/** Lambda entry point (API Gateway REST proxy integration). */
export const handler = withLogContext(createApiHandler(wire), () => wire().logger);
