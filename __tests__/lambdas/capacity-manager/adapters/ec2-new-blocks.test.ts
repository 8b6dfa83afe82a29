/**
 * New-block calls of the EC2 adapter, against the request and response shapes of @aws-sdk/client-ec2 3.1169.0
 * (models_3.d.ts DescribeCapacityBlockOfferingsRequest/CapacityBlockOffering; models_8.d.ts
 * PurchaseCapacityBlockRequest: TagSpecifications, CapacityBlockOfferingId, InstancePlatform).
 */
import { DescribeCapacityBlockOfferingsCommand, DescribeCapacityReservationsCommand, EC2Client, PurchaseCapacityBlockCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { Ec2CapacityApi, INTENT_ID_TAG, INTENT_IDS_PER_CALL } from "../../../../lambdas/capacity-manager/adapters/ec2";
import type { PurchaseIntent } from "../../../../lambdas/capacity-manager/domain/types";
import { INTENT_ID_TAG as CONFIG_INTENT_ID_TAG } from "../../../../src/lib/tags";
import { END, END_ISO } from "../fixtures";

const read = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
const purchase = new EC2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
const readMock = mockClient(read);
const purchaseMock = mockClient(purchase);
const api = new Ec2CapacityApi({ read, purchase });
afterEach(() => {
  readMock.reset();
  purchaseMock.reset();
});

const intent: PurchaseIntent = {
  intentId: "replace-cr-0123456789abcdef0-1773144000000-v3",
  offeringId: "cb-0123456789abcdef0",
  durationHours: 168,
  feeUsd: 40_000,
  forEndDate: END_ISO,
  startedAt: "2026-03-09T12:00:00.000Z",
  replacement: {
    availabilityZone: "us-east-1b",
    instanceType: "p5.48xlarge",
    instanceCount: 2,
    startDate: END_ISO,
    endDate: "2026-03-17T12:00:00.000Z",
    gapHours: 0,
  },
};

describe("Ec2CapacityApi: new blocks", () => {
  it("searches offerings by type, count and duration from a date, across every zone and page", async () => {
    readMock
      .on(DescribeCapacityBlockOfferingsCommand, { NextToken: undefined })
      .resolves({
        NextToken: "p2",
        CapacityBlockOfferings: [
          {
            CapacityBlockOfferingId: "cb-1",
            InstanceType: "p5.48xlarge",
            InstanceCount: 2,
            AvailabilityZone: "us-east-1a",
            StartDate: END,
            EndDate: new Date(END.getTime() + 168 * 3_600_000),
            CapacityBlockDurationHours: 168,
            UpfrontFee: "40000.00",
            CurrencyCode: "USD",
          },
          // Incomplete entries are skipped, never guessed.
          { CapacityBlockOfferingId: "cb-broken", InstanceType: "p5.48xlarge", InstanceCount: 2, StartDate: END },
        ],
      })
      .on(DescribeCapacityBlockOfferingsCommand, { NextToken: "p2" })
      .resolves({
        CapacityBlockOfferings: [
          {
            CapacityBlockOfferingId: "cb-2",
            InstanceType: "p5.48xlarge",
            InstanceCount: 2,
            AvailabilityZone: "us-east-1b",
            StartDate: END,
            EndDate: END,
            CapacityBlockDurationHours: 168,
            UpfrontFee: "n/a",
          },
        ],
      });
    const from = new Date("2026-03-09T00:00:00.000Z");
    const offerings = await api.describeNewBlockOfferings({ instanceType: "p5.48xlarge", instanceCount: 2, durationHours: 168 }, from);
    expect(offerings.map((o) => [o.offeringId, o.availabilityZone, o.feeUsd])).toEqual([
      ["cb-1", "us-east-1a", 40_000],
      ["cb-2", "us-east-1b", undefined],
    ]);
    expect(readMock.commandCalls(DescribeCapacityBlockOfferingsCommand)[0]?.args[0].input).toEqual({
      InstanceType: "p5.48xlarge",
      InstanceCount: 2,
      CapacityDurationHours: 168,
      StartDateRange: from,
      NextToken: undefined,
    });
  });

  it("buys with the intent tag and the environment's tags on the capacity reservation, once, and returns the reservation", async () => {
    purchaseMock
      .on(PurchaseCapacityBlockCommand)
      .resolves({ CapacityReservation: { CapacityReservationId: "cr-0fedcba9876543210", State: "payment-pending", ReservationType: "capacity-block" } });
    const outcome = await api.purchaseNewBlock(intent, { "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "prod" });
    expect(outcome).toMatchObject({ kind: "purchased", reservation: { capacityReservationId: "cr-0fedcba9876543210", state: "payment-pending" } });
    const calls = purchaseMock.commandCalls(PurchaseCapacityBlockCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      CapacityBlockOfferingId: "cb-0123456789abcdef0",
      InstancePlatform: "Linux/UNIX",
      TagSpecifications: [
        {
          ResourceType: "capacity-reservation",
          Tags: [
            { Key: "blockfleet.io/capacity-consumer", Value: "karpenter" },
            { Key: "blockfleet.io/environment", Value: "prod" },
            { Key: "blockfleet.io/intent-id", Value: intent.intentId },
          ],
        },
      ],
    });
  });

  it.each([
    ["a timeout", Object.assign(new Error("socket hang up"), { name: "TimeoutError" }), "unknown"],
    ["a 500", Object.assign(new Error("internal"), { name: "InternalError", $metadata: { httpStatusCode: 500 } }), "unknown"],
    ["throttling", Object.assign(new Error("Rate exceeded"), { name: "RequestLimitExceeded", $metadata: { httpStatusCode: 503 } }), "rejected"],
    ["a 400", Object.assign(new Error("bad offering"), { name: "InvalidParameterValue", $metadata: { httpStatusCode: 400 } }), "rejected"],
  ])("classifies %s as %s and never retries", async (_name, error, kind) => {
    purchaseMock.on(PurchaseCapacityBlockCommand).rejects(error);
    expect((await api.purchaseNewBlock(intent, {})).kind).toBe(kind);
    expect(purchaseMock.commandCalls(PurchaseCapacityBlockCommand)).toHaveLength(1);
  });

  it("finds reservations by the intent tag filter, in batches of INTENT_IDS_PER_CALL intent ids", async () => {
    readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { Filters: { Name: string; Values: string[] }[] }) => ({
      CapacityReservations: input.Filters[0]!.Values.filter((v) => v === intent.intentId).map((v) => ({
        CapacityReservationId: "cr-0fedcba9876543210",
        State: "scheduled",
        Tags: [{ Key: "blockfleet.io/intent-id", Value: v }],
      })),
    }));
    const ids = [intent.intentId, ...Array.from({ length: 250 }, (_, i) => `replace-cr-x-${i}-v0`)];
    const found = await api.findReservationsByIntent(ids);
    expect([...found.keys()]).toEqual([intent.intentId]);
    const calls = readMock.commandCalls(DescribeCapacityReservationsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.args[0].input.Filters).toEqual([{ Name: "tag:blockfleet.io/intent-id", Values: ids.slice(0, INTENT_IDS_PER_CALL) }]);
  });

  it("uses the same intent tag key as the environment tooling", () => {
    expect(INTENT_ID_TAG).toBe(CONFIG_INTENT_ID_TAG);
  });
});
