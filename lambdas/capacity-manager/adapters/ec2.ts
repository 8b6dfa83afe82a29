import {
  type CapacityBlockExtension,
  type CapacityReservation,
  type CapacityReservationInstancePlatform,
  DescribeCapacityBlockExtensionHistoryCommand,
  DescribeCapacityBlockExtensionOfferingsCommand,
  DescribeCapacityBlockOfferingsCommand,
  DescribeCapacityReservationsCommand,
  EC2Client,
  PurchaseCapacityBlockCommand,
  PurchaseCapacityBlockExtensionCommand,
} from "@aws-sdk/client-ec2";
import type { ReservationState } from "../../../src/lib/capacity-blocks/facts";
import type {
  ExtensionStatus,
  ExtensionView,
  NewBlockOfferingView,
  NewBlockQuery,
  OfferingView,
  PurchaseIntent,
  PurchaseOutcome,
  ReservationView,
} from "../domain/types";
import type { CapacityApi, NewBlockMarket, ReservationLookup } from "../service/ports";

/** Ids sent per DescribeCapacityReservations / …ExtensionHistory call; pages within a batch follow NextToken. */
export const IDS_PER_CALL = 1000;
/** Page size when listing without ids (the API's maximum). */
export const LIST_PAGE_SIZE = 1000;
/** Read calls retry throttling and 5xx with the SDK's standard backoff. */
export const READ_MAX_ATTEMPTS = 5;
/** Purchases are not retried by the SDK: an ambiguous answer is resolved from the extension history. */
export const PURCHASE_MAX_ATTEMPTS = 1;
export const PURCHASE_REQUEST_TIMEOUT_MS = 15_000;
/** Tag a replacement's reservation carries: the purchase intent it settles (the only way its outcome is settled). */
export const INTENT_ID_TAG = "blockfleet.io/intent-id";
/** Intent ids per DescribeCapacityReservations tag filter: a conservative batch, so one filter never grows without bound. */
export const INTENT_IDS_PER_CALL = 200;
/** Platform of replacement blocks: the EKS GPU nodes blockfleet runs are Linux. */
export const NEW_BLOCK_PLATFORM: CapacityReservationInstancePlatform = "Linux/UNIX";

const NOT_FOUND_CODES = new Set(["InvalidCapacityReservationId.NotFound", "InvalidCapacityReservationId.Malformed", "InvalidCapacityReservationId"]);
/** Errors that mean EC2 did not act on the request. */
const NOT_EXECUTED_CODES = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException", "DryRunOperation", "UnauthorizedOperation", "AuthFailure"]);

export interface Ec2Clients {
  readonly read: EC2Client;
  /** Must be built with maxAttempts 1 (see createEc2Clients). */
  readonly purchase: EC2Client;
}

/** Region, credentials and endpoint come from the standard AWS SDK environment. */
export function createEc2Clients(): Ec2Clients {
  return {
    read: new EC2Client({ maxAttempts: READ_MAX_ATTEMPTS }),
    purchase: new EC2Client({
      maxAttempts: PURCHASE_MAX_ATTEMPTS,
      requestHandler: { requestTimeout: PURCHASE_REQUEST_TIMEOUT_MS },
    }),
  };
}

interface AwsErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

function errorCode(error: unknown): string {
  const e = error as AwsErrorShape;
  return e?.Code ?? e?.name ?? "Error";
}

const iso = (d: Date | undefined): string | undefined => (d ? d.toISOString() : undefined);

function toReservation(r: CapacityReservation): ReservationView | undefined {
  if (!r.CapacityReservationId) return undefined;
  return {
    capacityReservationId: r.CapacityReservationId,
    state: r.State ?? "unknown",
    ...(r.ReservationType ? { reservationType: r.ReservationType } : {}),
    ...(r.StartDate ? { startDate: iso(r.StartDate) } : {}),
    ...(r.EndDate ? { endDate: iso(r.EndDate) } : {}),
    ...(r.InstanceType ? { instanceType: r.InstanceType } : {}),
    ...(r.AvailabilityZone ? { availabilityZone: r.AvailabilityZone } : {}),
    ...(r.TotalInstanceCount !== undefined ? { instanceCount: r.TotalInstanceCount } : {}),
    ...(r.Tenancy ? { tenancy: r.Tenancy } : {}),
    ...(r.InstancePlatform ? { platform: r.InstancePlatform } : {}),
  };
}

/** Parses an EC2 fee string ("1234.56"); anything else is undefined so it is never chosen. */
export function parseFee(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value);
}

function toExtension(e: CapacityBlockExtension): ExtensionView | undefined {
  if (!e.CapacityReservationId || !e.CapacityBlockExtensionOfferingId || !e.CapacityBlockExtensionStatus) return undefined;
  const fee = parseFee(e.UpfrontFee);
  return {
    capacityReservationId: e.CapacityReservationId,
    offeringId: e.CapacityBlockExtensionOfferingId,
    status: e.CapacityBlockExtensionStatus as ExtensionStatus,
    ...(e.CapacityBlockExtensionDurationHours !== undefined ? { durationHours: e.CapacityBlockExtensionDurationHours } : {}),
    ...(e.CapacityBlockExtensionPurchaseDate ? { purchaseDate: iso(e.CapacityBlockExtensionPurchaseDate) } : {}),
    ...(e.CapacityBlockExtensionStartDate ? { startDate: iso(e.CapacityBlockExtensionStartDate) } : {}),
    ...(e.CapacityBlockExtensionEndDate ? { endDate: iso(e.CapacityBlockExtensionEndDate) } : {}),
    ...(fee !== undefined ? { feeUsd: fee } : {}),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** EC2 capacity block calls: batching, pagination, not-found handling and purchase classification. */
export class Ec2CapacityApi implements CapacityApi, NewBlockMarket {
  constructor(private readonly clients: Ec2Clients) {}

  async describeReservations(ids: readonly string[]): Promise<ReservationLookup> {
    const found = new Map<string, ReservationView>();
    const missing = new Set<string>();
    for (const batch of chunks([...new Set(ids)], IDS_PER_CALL)) {
      await this.describeBatch(batch, found, missing);
    }
    return { found, missing };
  }

  /**
   * One unknown id fails the whole call, so ids named in the error are set aside and the rest retried;
   * when the error names none, the batch is halved until the culprits are isolated.
   */
  private async describeBatch(batch: string[], found: Map<string, ReservationView>, missing: Set<string>): Promise<void> {
    if (batch.length === 0) return;
    try {
      let token: string | undefined;
      do {
        const page = await this.clients.read.send(new DescribeCapacityReservationsCommand({ CapacityReservationIds: batch, NextToken: token }));
        for (const r of page.CapacityReservations ?? []) {
          const view = toReservation(r);
          if (view) found.set(view.capacityReservationId, view);
        }
        token = page.NextToken;
      } while (token);
    } catch (error) {
      if (!NOT_FOUND_CODES.has(errorCode(error))) throw error;
      // Whole ids only: an 8-digit id is a prefix of a 17-digit one and must not be taken for it.
      const inMessage = new Set((error as AwsErrorShape).message?.match(/cr-[0-9a-f]+/g) ?? []);
      const named = batch.filter((id) => inMessage.has(id));
      if (named.length > 0) {
        for (const id of named) missing.add(id);
        await this.describeBatch(
          batch.filter((id) => !named.includes(id)),
          found,
          missing,
        );
        return;
      }
      if (batch.length === 1) {
        missing.add(batch[0] as string);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.describeBatch(batch.slice(0, half), found, missing);
      await this.describeBatch(batch.slice(half), found, missing);
    }
  }

  async describeExtensionHistory(ids: readonly string[]): Promise<ExtensionView[]> {
    const out: ExtensionView[] = [];
    for (const batch of chunks([...new Set(ids)], IDS_PER_CALL)) {
      let token: string | undefined;
      do {
        const page = await this.clients.read.send(new DescribeCapacityBlockExtensionHistoryCommand({ CapacityReservationIds: batch, NextToken: token }));
        for (const e of page.CapacityBlockExtensions ?? []) {
          const view = toExtension(e);
          if (view) out.push(view);
        }
        token = page.NextToken;
      } while (token);
    }
    return out;
  }

  async describeExtensionOfferings(capacityReservationId: string, durationHours: number): Promise<OfferingView[]> {
    const out: OfferingView[] = [];
    let token: string | undefined;
    do {
      const page = await this.clients.read.send(
        new DescribeCapacityBlockExtensionOfferingsCommand({
          CapacityReservationId: capacityReservationId,
          CapacityBlockExtensionDurationHours: durationHours,
          NextToken: token,
        }),
      );
      for (const o of page.CapacityBlockExtensionOfferings ?? []) {
        if (!o.CapacityBlockExtensionOfferingId || o.CapacityBlockExtensionDurationHours === undefined) continue;
        out.push({
          offeringId: o.CapacityBlockExtensionOfferingId,
          durationHours: o.CapacityBlockExtensionDurationHours,
          feeUsd: parseFee(o.UpfrontFee),
          ...(o.CurrencyCode ? { currency: o.CurrencyCode } : {}),
          ...(o.CapacityBlockExtensionStartDate ? { startDate: iso(o.CapacityBlockExtensionStartDate) } : {}),
          ...(o.CapacityBlockExtensionEndDate ? { endDate: iso(o.CapacityBlockExtensionEndDate) } : {}),
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async purchaseExtension(capacityReservationId: string, intent: PurchaseIntent): Promise<PurchaseOutcome> {
    try {
      const result = await this.clients.purchase.send(
        new PurchaseCapacityBlockExtensionCommand({
          CapacityReservationId: capacityReservationId,
          CapacityBlockExtensionOfferingId: intent.offeringId,
        }),
      );
      const bought = (result.CapacityBlockExtensions ?? []).map(toExtension).find((e) => e !== undefined);
      return bought ? { kind: "purchased", extension: bought } : { kind: "purchased" };
    } catch (error) {
      return classifyPurchaseError(error);
    }
  }

  async describeNewBlockOfferings(query: NewBlockQuery, from: Date): Promise<NewBlockOfferingView[]> {
    const out: NewBlockOfferingView[] = [];
    let token: string | undefined;
    do {
      const page = await this.clients.read.send(
        new DescribeCapacityBlockOfferingsCommand({
          InstanceType: query.instanceType,
          InstanceCount: query.instanceCount,
          CapacityDurationHours: query.durationHours,
          StartDateRange: from,
          NextToken: token,
        }),
      );
      for (const o of page.CapacityBlockOfferings ?? []) {
        if (!o.CapacityBlockOfferingId || !o.AvailabilityZone || !o.StartDate || !o.EndDate || o.CapacityBlockDurationHours === undefined) continue;
        out.push({
          offeringId: o.CapacityBlockOfferingId,
          instanceType: o.InstanceType ?? query.instanceType,
          instanceCount: o.InstanceCount ?? query.instanceCount,
          availabilityZone: o.AvailabilityZone,
          startDate: o.StartDate.toISOString(),
          endDate: o.EndDate.toISOString(),
          durationHours: o.CapacityBlockDurationHours,
          feeUsd: parseFee(o.UpfrontFee),
          ...(o.CurrencyCode ? { currency: o.CurrencyCode } : {}),
        });
      }
      token = page.NextToken;
    } while (token);
    return out;
  }

  async purchaseNewBlock(intent: PurchaseIntent, tags: Readonly<Record<string, string>>): Promise<PurchaseOutcome> {
    try {
      const result = await this.clients.purchase.send(
        new PurchaseCapacityBlockCommand({
          CapacityBlockOfferingId: intent.offeringId,
          InstancePlatform: NEW_BLOCK_PLATFORM,
          TagSpecifications: [
            {
              ResourceType: "capacity-reservation",
              Tags: [...Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), { Key: INTENT_ID_TAG, Value: intent.intentId }],
            },
          ],
        }),
      );
      const reservation = result.CapacityReservation ? toReservation(result.CapacityReservation) : undefined;
      return reservation ? { kind: "purchased", reservation } : { kind: "purchased" };
    } catch (error) {
      return classifyPurchaseError(error);
    }
  }

  async findReservationsByIntent(intentIds: readonly string[]): Promise<ReadonlyMap<string, readonly ReservationView[]>> {
    const out = new Map<string, ReservationView[]>();
    for (const batch of chunks([...new Set(intentIds)], INTENT_IDS_PER_CALL)) {
      let token: string | undefined;
      do {
        const page = await this.clients.read.send(
          new DescribeCapacityReservationsCommand({ Filters: [{ Name: `tag:${INTENT_ID_TAG}`, Values: batch }], MaxResults: LIST_PAGE_SIZE, NextToken: token }),
        );
        for (const r of page.CapacityReservations ?? []) {
          const intentId = r.Tags?.find((t) => t.Key === INTENT_ID_TAG)?.Value;
          const view = toReservation(r);
          if (!view || intentId === undefined) continue;
          out.set(intentId, [...(out.get(intentId) ?? []), view]);
        }
        token = page.NextToken;
      } while (token);
    }
    return out;
  }

  async listCapacityBlocks(): Promise<ReservationView[]> {
    const out: ReservationView[] = [];
    let token: string | undefined;
    do {
      const page = await this.clients.read.send(
        new DescribeCapacityReservationsCommand({
          Filters: [{ Name: "state", Values: ["active", "scheduled"] satisfies ReservationState[] }],
          MaxResults: LIST_PAGE_SIZE,
          NextToken: token,
        }),
      );
      for (const r of page.CapacityReservations ?? []) {
        const view = toReservation(r);
        if (view && view.reservationType === "capacity-block") out.push(view);
      }
      token = page.NextToken;
    } while (token);
    return out;
  }
}

/**
 * A 4xx answer (or throttling) means EC2 refused the request: nothing was bought.
 * Timeouts, dropped connections and 5xx may hide a purchase that went through.
 */
export function classifyPurchaseError(error: unknown): PurchaseOutcome {
  const e = error as AwsErrorShape;
  const code = errorCode(error);
  const message = e?.message ?? String(error);
  const status = e?.$metadata?.httpStatusCode;
  if (NOT_EXECUTED_CODES.has(code)) return { kind: "rejected", code, message };
  if (status !== undefined && status >= 400 && status < 500) return { kind: "rejected", code, message };
  return { kind: "unknown", message: `${code}: ${message}` };
}
