import {
  DescribeCapacityBlockExtensionHistoryCommand,
  DescribeCapacityBlockExtensionOfferingsCommand,
  DescribeCapacityReservationsCommand,
  EC2Client,
  EC2ServiceException,
  PurchaseCapacityBlockExtensionCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  classifyPurchaseError,
  createEc2Clients,
  Ec2CapacityApi,
  IDS_PER_CALL,
  PURCHASE_MAX_ATTEMPTS,
  parseFee,
} from "../../../../lambdas/capacity-manager/adapters/ec2";
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

const id = (i: number) => `cr-${i.toString(16).padStart(17, "0")}`;
const ec2Error = (name: string, message: string, status: number) =>
  new EC2ServiceException({ name, message, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });

describe("Ec2CapacityApi.describeReservations", () => {
  it("GIVEN 2,500 ids THEN it makes one call per 1,000 ids (plus pages), not one per record", async () => {
    readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds: string[]; NextToken?: string }) => {
      const ids = input.CapacityReservationIds;
      const half = Math.ceil(ids.length / 2);
      const slice = input.NextToken ? ids.slice(half) : ids.slice(0, half);
      return {
        CapacityReservations: slice.map((cid) => ({ CapacityReservationId: cid, State: "active", ReservationType: "capacity-block", EndDate: END })),
        ...(input.NextToken ? {} : { NextToken: "page-2" }),
      };
    });
    const ids = Array.from({ length: 2500 }, (_, i) => id(i));
    const lookup = await api.describeReservations(ids);
    expect(lookup.found.size).toBe(2500);
    expect(lookup.found.get(id(7))).toMatchObject({ state: "active", endDate: END_ISO, reservationType: "capacity-block" });
    const calls = readMock.commandCalls(DescribeCapacityReservationsCommand);
    expect(calls).toHaveLength(6); // 3 batches x 2 pages
    expect(Math.max(...calls.map((c) => c.args[0].input.CapacityReservationIds?.length ?? 0))).toBe(IDS_PER_CALL);
  });

  it("GIVEN an unknown id named in the error THEN it is reported missing and the others are still described", async () => {
    const missingId = id(2);
    readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds: string[] }) => {
      if (input.CapacityReservationIds.includes(missingId)) {
        throw ec2Error("InvalidCapacityReservationId.NotFound", `The capacity reservation ID '${missingId}' does not exist`, 400);
      }
      return { CapacityReservations: input.CapacityReservationIds.map((cid) => ({ CapacityReservationId: cid, State: "active" })) };
    });
    const lookup = await api.describeReservations([id(1), missingId, id(3)]);
    expect([...lookup.missing]).toEqual([missingId]);
    expect([...lookup.found.keys()].sort()).toEqual([id(1), id(3)]);
    expect(readMock.commandCalls(DescribeCapacityReservationsCommand)).toHaveLength(2);
  });

  it("GIVEN the missing id is a longer id starting with a tracked 8-digit id THEN only the longer one is reported missing", async () => {
    const shortId = "cr-0123abcd";
    const longId = "cr-0123abcd456789ef0";
    readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds: string[] }) => {
      if (input.CapacityReservationIds.includes(longId))
        throw ec2Error("InvalidCapacityReservationId.NotFound", `The capacity reservation ID '${longId}' does not exist`, 400);
      return { CapacityReservations: input.CapacityReservationIds.map((cid) => ({ CapacityReservationId: cid, State: "active" })) };
    });
    const lookup = await api.describeReservations([shortId, longId]);
    expect([...lookup.missing]).toEqual([longId]);
    expect([...lookup.found.keys()]).toEqual([shortId]);
  });

  it("GIVEN a not-found error that names no id THEN it bisects to isolate the missing one", async () => {
    const missingId = id(5);
    readMock.on(DescribeCapacityReservationsCommand).callsFake((input: { CapacityReservationIds: string[] }) => {
      if (input.CapacityReservationIds.includes(missingId)) throw ec2Error("InvalidCapacityReservationId.NotFound", "not found", 400);
      return { CapacityReservations: input.CapacityReservationIds.map((cid) => ({ CapacityReservationId: cid, State: "active" })) };
    });
    const ids = Array.from({ length: 8 }, (_, i) => id(i));
    const lookup = await api.describeReservations(ids);
    expect([...lookup.missing]).toEqual([missingId]);
    expect(lookup.found.size).toBe(7);
    expect(readMock.commandCalls(DescribeCapacityReservationsCommand).length).toBeLessThanOrEqual(1 + 2 * Math.log2(8));
  });

  it("fails with the EC2 error when the failure is not about unknown ids", async () => {
    readMock.on(DescribeCapacityReservationsCommand).rejects(ec2Error("UnauthorizedOperation", "denied", 403));
    await expect(api.describeReservations([id(1)])).rejects.toThrow("denied");
  });
});

describe("Ec2CapacityApi history, offerings and listing", () => {
  it("GIVEN paged extension history THEN every page is read and statuses, fees and dates are mapped", async () => {
    readMock
      .on(DescribeCapacityBlockExtensionHistoryCommand)
      .resolvesOnce({
        CapacityBlockExtensions: [
          {
            CapacityReservationId: id(1),
            CapacityBlockExtensionOfferingId: "cbeo-1",
            CapacityBlockExtensionStatus: "payment-pending",
            UpfrontFee: "12.50",
            CapacityBlockExtensionEndDate: END,
          },
        ],
        NextToken: "t",
      })
      .resolvesOnce({
        CapacityBlockExtensions: [
          { CapacityReservationId: id(2), CapacityBlockExtensionOfferingId: "cbeo-2", CapacityBlockExtensionStatus: "payment-succeeded" },
        ],
      });
    const history = await api.describeExtensionHistory([id(1), id(2)]);
    expect(history).toEqual([
      { capacityReservationId: id(1), offeringId: "cbeo-1", status: "payment-pending", feeUsd: 12.5, endDate: END_ISO },
      { capacityReservationId: id(2), offeringId: "cbeo-2", status: "payment-succeeded" },
    ]);
    expect(readMock.commandCalls(DescribeCapacityBlockExtensionHistoryCommand)[1]?.args[0].input.NextToken).toBe("t");
  });

  it("GIVEN an offerings query THEN it asks for the record's duration and parses fees", async () => {
    readMock.on(DescribeCapacityBlockExtensionOfferingsCommand).resolves({
      CapacityBlockExtensionOfferings: [
        {
          CapacityBlockExtensionOfferingId: "cbeo-9",
          CapacityBlockExtensionDurationHours: 48,
          UpfrontFee: "99.99",
          CurrencyCode: "USD",
          CapacityBlockExtensionStartDate: END,
        },
      ],
    });
    const offerings = await api.describeExtensionOfferings(id(1), 48);
    expect(offerings).toEqual([{ offeringId: "cbeo-9", durationHours: 48, feeUsd: 99.99, currency: "USD", startDate: END_ISO }]);
    expect(readMock.commandCalls(DescribeCapacityBlockExtensionOfferingsCommand)[0]?.args[0].input).toMatchObject({
      CapacityReservationId: id(1),
      CapacityBlockExtensionDurationHours: 48,
    });
  });

  it("GIVEN the account's reservations THEN import lists only active/scheduled capacity blocks", async () => {
    readMock.on(DescribeCapacityReservationsCommand).resolves({
      CapacityReservations: [
        { CapacityReservationId: id(1), State: "active", ReservationType: "capacity-block" },
        { CapacityReservationId: id(2), State: "active", ReservationType: "default" },
      ],
    });
    const blocks = await api.listCapacityBlocks();
    expect(blocks.map((b) => b.capacityReservationId)).toEqual([id(1)]);
    expect(readMock.commandCalls(DescribeCapacityReservationsCommand)[0]?.args[0].input.Filters).toEqual([{ Name: "state", Values: ["active", "scheduled"] }]);
  });

  it.each([
    ["1234.56", 1234.56],
    ["0", 0],
    ["", undefined],
    ["12,00", undefined],
    ["-5", undefined],
    [undefined, undefined],
  ])("parseFee(%s) = %s", (raw, expected) => {
    expect(parseFee(raw)).toBe(expected);
  });
});

describe("Ec2CapacityApi.purchaseExtension", () => {
  const intent = { intentId: "i", offeringId: "cbeo-1", durationHours: 24, feeUsd: 10, forEndDate: END_ISO, startedAt: END_ISO };

  it("GIVEN success THEN purchased with the extension, sent once on the purchase client", async () => {
    purchaseMock.on(PurchaseCapacityBlockExtensionCommand).resolves({
      CapacityBlockExtensions: [{ CapacityReservationId: id(1), CapacityBlockExtensionOfferingId: "cbeo-1", CapacityBlockExtensionStatus: "payment-pending" }],
    });
    const outcome = await api.purchaseExtension(id(1), intent);
    expect(outcome).toEqual({ kind: "purchased", extension: { capacityReservationId: id(1), offeringId: "cbeo-1", status: "payment-pending" } });
    expect(purchaseMock.commandCalls(PurchaseCapacityBlockExtensionCommand)[0]?.args[0].input).toEqual({
      CapacityReservationId: id(1),
      CapacityBlockExtensionOfferingId: "cbeo-1",
    });
    expect(readMock.calls()).toHaveLength(0);
  });

  it.each([
    ["a 400 validation error", ec2Error("InvalidParameterValue", "offering expired", 400), "rejected"],
    ["throttling", ec2Error("RequestLimitExceeded", "slow down", 503), "rejected"],
    ["a 500", ec2Error("InternalError", "oops", 500), "unknown"],
    ["a timeout", Object.assign(new Error("socket hang up"), { name: "TimeoutError" }), "unknown"],
  ])("GIVEN %s THEN the outcome is %s", async (_name, error, kind) => {
    purchaseMock.on(PurchaseCapacityBlockExtensionCommand).rejects(error);
    const outcome = await api.purchaseExtension(id(1), intent);
    expect(outcome.kind).toBe(kind);
    expect(classifyPurchaseError(error).kind).toBe(kind);
  });

  it("GIVEN the production clients THEN the purchase client never retries and reads do", async () => {
    const clients = createEc2Clients();
    expect(await clients.purchase.config.maxAttempts()).toBe(PURCHASE_MAX_ATTEMPTS);
    expect(PURCHASE_MAX_ATTEMPTS).toBe(1);
    expect(await clients.read.config.maxAttempts()).toBeGreaterThan(1);
    clients.read.destroy();
    clients.purchase.destroy();
  });
});
