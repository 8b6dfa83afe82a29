import { z } from "zod";
import { RESERVED_PATH_WORDS } from "../contract/api-routes";
import { isPrintableKey, PK_MAX_LENGTH } from "../domain/keys";
import {
  DEFAULT_EXTEND_BEFORE_HOURS,
  DEFAULT_EXTEND_BY_HOURS,
  DEFAULT_REQUIRE_APPROVAL,
  isSellableDurationHours,
  MAX_EXTEND_BEFORE_HOURS,
  MIN_EXTEND_BEFORE_HOURS,
} from "../domain/rules";

/** Full ISO 8601 date and time with seconds and a zone: `2025-06-30T23:59:59Z`, `2025-07-01T01:59:59.5+02:00`. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** The instant an ISO 8601 date-time names, or undefined when it is not one (wrong shape or a day that does not exist). */
export function parseIsoDateTime(value: string): Date | undefined {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 30 February over into March: a day that does not exist comes back as another date.
  if (new Date(local).getUTCDate() !== day || new Date(local).getUTCMonth() !== month - 1) return undefined;
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const sign = m[8] === "Z" ? 0 : m[8]?.startsWith("-") ? -1 : 1;
  return new Date(local + fraction - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

/** A full ISO 8601 date-time with a zone, stored as ISO 8601 UTC. */
const dateString = z
  .string()
  .refine((v) => parseIsoDateTime(v) !== undefined, {
    error: "must be a full ISO 8601 date and time with seconds and a zone, such as 2025-06-30T23:59:59Z or 2025-07-01T01:59:59+02:00",
  })
  .transform((v) => (parseIsoDateTime(v) as Date).toISOString());

const text = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` });

export const capacityReservationIdSchema = z.string().regex(/^cr-[0-9a-f]{8,17}$/, { error: "must be a capacity reservation id such as cr-0123456789abcdef0" });

export const pkSchema = z
  .string()
  .min(1, { error: "must not be empty" })
  .max(PK_MAX_LENGTH, { error: `must be at most ${PK_MAX_LENGTH} characters` })
  .refine(isPrintableKey, {
    error:
      "must be printable characters only: no '/', whitespace, control or format characters (bidirectional overrides, zero-width characters) or lone surrogates",
  })
  .refine((value) => !RESERVED_PATH_WORDS.includes(value), {
    error: `must not be one of the API's own paths (${RESERVED_PATH_WORDS.join(", ")})`,
  });

/** GET /spend: the month, `YYYY-MM` (UTC); absent means the current month. Checked in the handler (400 naming it). */
export const spendQuerySchema = z.strictObject({ month: z.string().optional() });

const policyFields = {
  /** Buy this many hours before the real end (13 h minimum: payment may take 12 h and must clear 35 min before the end). */
  extendBeforeHours: z
    .number()
    .int({ error: "must be a whole number of hours" })
    .min(MIN_EXTEND_BEFORE_HOURS, { error: `must be at least ${MIN_EXTEND_BEFORE_HOURS} (payment can take 12 h and must clear 35 min before the end)` })
    .max(MAX_EXTEND_BEFORE_HOURS, { error: `must be at most ${MAX_EXTEND_BEFORE_HOURS} (offerings open 56 days before the end)` }),
  extendByHours: z.number().refine(isSellableDurationHours, {
    error: "must be a duration EC2 sells: 24 h steps up to 336 (14 days), then 168 h (7-day) steps up to 4368 (182 days)",
  }),
  requireApproval: z.boolean(),
  maxUpfrontFeeUsd: z.number().positive({ error: "must be a positive amount in USD" }).max(100_000_000, { error: "must be at most 100000000" }),
  /** Buy a new block (same type and count) when no extension within the policy is bought in time. */
  allowReplacement: z.boolean(),
  /** Zones a replacement may be bought in (the block's own zone when absent). */
  replacementAvailabilityZones: z
    .array(text(64).regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: "must be an availability zone name such as us-east-1a" }))
    .min(1, { error: "must list at least one zone" })
    .max(32, { error: "must list at most 32 zones" }),
  replacementDurationHours: z.number().refine(isSellableDurationHours, {
    error: "must be a duration EC2 sells: 24 h steps up to 336 (14 days), then 168 h (7-day) steps up to 4368 (182 days)",
  }),
  nodeGroup: z.strictObject({
    clusterName: text(100).min(1, { error: "must not be empty" }),
    nodegroupName: text(63).min(1, { error: "must not be empty" }),
    desiredSize: z.number().int({ error: "must be a whole number" }).min(0).max(1000),
  }),
};

const descriptiveFields = {
  instanceType: text(64),
  availabilityZone: text(64),
  platform: text(64),
  tenancy: text(32),
  startDate: dateString,
  endDate: dateString,
  instanceCount: z.number().int({ error: "must be a whole number" }).min(0).max(10_000),
};

/**
 * POST / body: the Capacity Block Manager sample's documented body as it is, plus optional policy.
 * `approved` may only be false (approval is PATCH /{PK}); createdAt/updatedAt are accepted and replaced.
 */
export const createBodySchema = z.strictObject({
  PK: pkSchema,
  capacityReservationId: capacityReservationIdSchema,
  instanceType: descriptiveFields.instanceType.default(""),
  availabilityZone: descriptiveFields.availabilityZone.default(""),
  platform: descriptiveFields.platform.default(""),
  tenancy: descriptiveFields.tenancy.default("default"),
  startDate: descriptiveFields.startDate.optional(),
  endDate: descriptiveFields.endDate.optional(),
  instanceCount: descriptiveFields.instanceCount.default(0),
  approved: z.literal(false, { error: "may only be false here: approve with PATCH /{PK}, which records who approved" }).optional(),
  createdAt: dateString.optional(),
  updatedAt: dateString.optional(),
  extendBeforeHours: policyFields.extendBeforeHours.default(DEFAULT_EXTEND_BEFORE_HOURS),
  extendByHours: policyFields.extendByHours.default(DEFAULT_EXTEND_BY_HOURS),
  requireApproval: policyFields.requireApproval.default(DEFAULT_REQUIRE_APPROVAL),
  maxUpfrontFeeUsd: policyFields.maxUpfrontFeeUsd.optional(),
  nodeGroup: policyFields.nodeGroup.optional(),
  /** Off unless given; turning it on for an existing record is an approver's action (PATCH). */
  allowReplacement: z.literal(false, { error: "may only be false here: turning replacement on is an approver's action (PATCH /{PK})" }).optional(),
});
export type CreateBody = z.infer<typeof createBodySchema>;

/** Fields a record has but PUT may not set; naming them is a 422 with the field, not an unknown-field 400. */
export const NOT_UPDATABLE_FIELDS = [
  "approved",
  "PK",
  "capacityReservationId",
  "createdAt",
  "updatedAt",
  "status",
  "statusReason",
  "approval",
  "proposal",
  "intent",
  "lastExtension",
  "replacedBy",
  "replacementOf",
  "gap",
  "rejectedPurchases",
  "history",
  "version",
] as const;

/** Changes of the money policy (PUT may tighten it, PATCH may also loosen it); `null` removes the cap. */
const moneyPolicyChangeFields = {
  extendBeforeHours: policyFields.extendBeforeHours.optional(),
  extendByHours: policyFields.extendByHours.optional(),
  requireApproval: policyFields.requireApproval.optional(),
  maxUpfrontFeeUsd: policyFields.maxUpfrontFeeUsd.nullable().optional(),
  allowReplacement: policyFields.allowReplacement.optional(),
  replacementAvailabilityZones: policyFields.replacementAvailabilityZones.optional(),
  replacementDurationHours: policyFields.replacementDurationHours.optional(),
};

/**
 * PUT /{PK} body: owner fields only; `null` removes the cap or the node group link. Policy changes that
 * loosen the money policy are refused by the domain (approver's action: PATCH).
 */
export const updateBodySchema = z.strictObject({
  instanceType: descriptiveFields.instanceType.optional(),
  availabilityZone: descriptiveFields.availabilityZone.optional(),
  platform: descriptiveFields.platform.optional(),
  tenancy: descriptiveFields.tenancy.optional(),
  startDate: descriptiveFields.startDate.optional(),
  endDate: descriptiveFields.endDate.optional(),
  instanceCount: descriptiveFields.instanceCount.optional(),
  ...moneyPolicyChangeFields,
  nodeGroup: policyFields.nodeGroup.nullable().optional(),
});
export type UpdateBody = z.infer<typeof updateBodySchema>;

/**
 * PATCH /{PK} body (optional; absent or `{}` approves): money policy changes applied together with the
 * approval, or `clearUnconfirmedPurchase: true` alone once an approver has checked EC2.
 */
export const approveBodySchema = z
  .strictObject({
    ...moneyPolicyChangeFields,
    clearUnconfirmedPurchase: z.literal(true, { error: "may only be true (send it alone to clear an unconfirmed purchase)" }).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.clearUnconfirmedPurchase && Object.keys(body).length > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["clearUnconfirmedPurchase"],
        message: "must be sent alone: clear the unconfirmed purchase first, then approve or change the policy with another PATCH",
      });
    }
  });
export type ApproveBody = z.infer<typeof approveBodySchema>;

/** POST /import takes no body (an empty object is tolerated). */
export const emptyBodySchema = z.strictObject({});

const pageFields = (maxPageSize: number, defaultPageSize: number) => ({
  limit: z
    .string()
    .regex(/^\d+$/, { error: "must be a whole number" })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, { error: "must be at least 1" })
        .max(maxPageSize, { error: `must be at most ${maxPageSize}` }),
    )
    .default(defaultPageSize),
  /** Checked by the store (an empty or forged cursor is a 400 INVALID_CURSOR). */
  cursor: z.string().optional(),
});

export const listQuerySchema = (maxPageSize: number, defaultPageSize: number) => z.strictObject(pageFields(maxPageSize, defaultPageSize));

/** GET /{PK}: the record; with `history=true` a page of its history instead (newest first, `limit` and `cursor`). */
export const getQuerySchema = (maxPageSize: number, defaultPageSize: number) =>
  z
    .strictObject({
      history: z.literal("true", { error: 'must be "true" (GET /{PK}?history=true pages through the history)' }).optional(),
      ...pageFields(maxPageSize, defaultPageSize),
    })
    .superRefine((query, ctx) => {
      if (query.history === undefined && query.cursor !== undefined) {
        ctx.addIssue({ code: "custom", path: ["cursor"], message: "pages the history only: add history=true" });
      }
    });
