import { DescribeCapacityBlockOfferingsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../../src/cli/main";
import { captureIo } from "../test-io";

const ec2 = mockClient(EC2Client);

const offering = (id: string, instanceType: string, zone: string, fee: string, start = "2026-12-01T11:30:00Z", end = "2026-12-08T11:30:00Z") => ({
  CapacityBlockOfferingId: id,
  InstanceType: instanceType,
  AvailabilityZone: zone,
  InstanceCount: 2,
  StartDate: new Date(start),
  EndDate: new Date(end),
  CapacityBlockDurationHours: 168,
  UpfrontFee: fee,
  CurrencyCode: "USD",
  Tenancy: "default" as const,
});

const search = ["capacity", "offerings", "--instance-type", "p5.48xlarge,p4d.24xlarge", "--count", "2", "--duration", "7d", "--region", "us-east-1"];

describe("blockfleet capacity offerings", () => {
  const givenOfferings = () => {
    ec2.reset();
    ec2
      .on(DescribeCapacityBlockOfferingsCommand, { InstanceType: "p5.48xlarge" })
      .resolvesOnce({ CapacityBlockOfferings: [offering("cb-p5-a", "p5.48xlarge", "us-east-1a", "10752.00")], NextToken: "page-2" })
      .resolvesOnce({ CapacityBlockOfferings: [offering("cb-p5-b", "p5.48xlarge", "us-east-1b", "12096.00")] })
      .on(DescribeCapacityBlockOfferingsCommand, { InstanceType: "p4d.24xlarge" })
      .resolves({ CapacityBlockOfferings: [offering("cb-p4d-c", "p4d.24xlarge", "us-east-1c", "8064.00")] });
  };

  beforeEach(givenOfferings);

  afterEach(() => {
    ec2.reset();
  });

  it("GIVEN two instance types and a paginated answer THEN it asks for each type, follows every page and ranks by GPU-hour", async () => {
    const io = captureIo();

    const code = await runCli(search, io);
    const calls = ec2.commandCalls(DescribeCapacityBlockOfferingsCommand).map((call) => call.args[0].input);
    const rows = io
      .out()
      .split("\n")
      .filter((line) => /^\d+\s+p/.test(line));

    expect(code).toBe(0);
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatchObject({ InstanceType: "p5.48xlarge", InstanceCount: 2, CapacityDurationHours: 168 });
    expect(calls[1]).toMatchObject({ InstanceType: "p5.48xlarge", NextToken: "page-2" });
    expect(calls[2]).toMatchObject({ InstanceType: "p4d.24xlarge", CapacityDurationHours: 168 });
    expect(rows.map((row) => row.match(/cb-\S+/)?.[0])).toEqual(["cb-p4d-c", "cb-p5-a", "cb-p5-b"]);
    expect(rows[0]).toContain("USD 3.00");
    expect(rows[0]).toContain("2026-12-01 11:30");
    expect(io.out()).toContain("3 offerings in us-east-1");
    expect(io.out()).toContain('availability_zone = "us-east-1c"');
    expect(io.out()).toContain("--capacity-block-offering-id cb-p4d-c");
  });

  it("GIVEN --start-after and --end-before THEN they are sent as the offering date range in UTC", async () => {
    const io = captureIo();

    await runCli([...search, "--start-after", "2026-12-01", "--end-before", "2026-12-20T12:00"], io);
    const input = ec2.commandCalls(DescribeCapacityBlockOfferingsCommand)[0]?.args[0].input;

    expect(input?.StartDateRange?.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(input?.EndDateRange?.toISOString()).toBe("2026-12-20T12:00:00.000Z");
  });

  it("GIVEN --json THEN it prints every ranked offering with prices as numbers", async () => {
    const io = captureIo();

    await runCli([...search, "--json"], io);
    const json = JSON.parse(io.out());

    expect(json.region).toBe("us-east-1");
    expect(json.offerings.map((entry: { offering_id: string }) => entry.offering_id)).toEqual(["cb-p4d-c", "cb-p5-a", "cb-p5-b"]);
    expect(json.offerings[0]).toMatchObject({
      rank: 1,
      instance_type: "p4d.24xlarge",
      start_date: "2026-12-01T11:30:00.000Z",
      upfront_fee: 8064,
      accelerators_per_instance: 8,
      price_per_accelerator_hour: 3,
      price_per_instance_hour: 24,
    });
  });

  it("GIVEN --availability-zone THEN offerings in other zones are left out", async () => {
    const io = captureIo();

    await runCli([...search, "--json", "--availability-zone", "us-east-1a,us-east-1b"], io);

    expect(JSON.parse(io.out()).offerings.map((entry: { availability_zone: string }) => entry.availability_zone)).toEqual(["us-east-1a", "us-east-1b"]);
  });

  it("GIVEN no offerings THEN it says so and suggests what to change", async () => {
    ec2.reset();
    ec2.on(DescribeCapacityBlockOfferingsCommand).resolves({ CapacityBlockOfferings: [] });
    const io = captureIo();

    const code = await runCli(search, io);

    expect(code).toBe(0);
    expect(io.out()).toMatch(/^No capacity block offerings for 2 × p5\.48xlarge or p4d\.24xlarge for 7d in us-east-1\./);
  });

  it("GIVEN a TTY THEN progress goes to stderr and is cleared; without one stderr stays empty", async () => {
    const tty = captureIo({ tty: true });
    const pipe = captureIo();

    await runCli(search, tty);
    givenOfferings();
    await runCli(search, pipe);

    expect(tty.err()).toContain("searching p4d.24xlarge offerings: page 1");
    expect(tty.err().endsWith("\r\u001b[2K")).toBe(true);
    expect(pipe.err()).toBe("");
  });

  it("fails with one line when EC2 denies the call", async () => {
    ec2.reset();
    ec2
      .on(DescribeCapacityBlockOfferingsCommand)
      .rejects(Object.assign(new Error("You are not authorized to perform this operation."), { name: "UnauthorizedOperation" }));
    const io = captureIo();

    const code = await runCli(search, io);

    expect(code).toBe(1);
    expect(io.err()).toBe(
      "blockfleet: EC2 DescribeCapacityBlockOfferings (p5.48xlarge) failed: UnauthorizedOperation: You are not authorized to perform this operation. (the caller needs the ec2:DescribeCapacityBlockOfferings permission)\n",
    );
  });

  it.each([
    [["--count", "2", "--duration", "7d", "--region", "us-east-1"], "capacity offerings: --instance-type is required"],
    [
      ["--region", "us-east-1"],
      "capacity offerings: --instance-type, --count, --duration are required, e.g. --instance-type p5.48xlarge --count 2 --duration 7d",
    ],
    [["--instance-type", "p5.48xlarge", "--region", "us-east-1"], "capacity offerings: --count, --duration are required"],
    [
      ["--instance-type", "m5.large", "--count", "2", "--duration", "7d", "--region", "us-east-1"],
      'capacity offerings: --instance-type "m5.large" is not sold as a capacity block',
    ],
    [
      ["--instance-type", "p5.48xlarge", "--count", "0", "--duration", "7d", "--region", "us-east-1"],
      'capacity offerings: --count must be a whole number of 1 or more, got "0"',
    ],
    [
      ["--instance-type", "p5.48xlarge", "--count", "1", "--duration", "15d", "--region", "us-east-1"],
      'capacity offerings: --duration must be whole days from 1d to 14d, or whole weeks up to 26w (182 days), like 7d or 4w; got "15d"',
    ],
    [["--instance-type", "p5.48xlarge", "--count", "1", "--duration", "7d"], "capacity offerings: --region is required (or set AWS_REGION, or pass --env)"],
    [
      ["--instance-type", "p5.48xlarge", "--count", "1", "--duration", "7d", "--region", "us-east-1", "--start-after", "next week"],
      'capacity offerings: --start-after must be a date like 2026-12-01 or 2026-12-01T11:30Z, got "next week"',
    ],
    [
      [
        "--instance-type",
        "p5.48xlarge",
        "--count",
        "1",
        "--duration",
        "7d",
        "--region",
        "us-east-1",
        "--start-after",
        "2026-12-01",
        "--end-before",
        "2026-12-05",
      ],
      "leave less than the 7d duration",
    ],
  ])("fails when the arguments are %j", async (args, message) => {
    const io = captureIo();

    const code = await runCli(["capacity", "offerings", ...args], io);

    expect(code).toBe(1);
    expect(io.err()).toContain(message);
    expect(ec2.commandCalls(DescribeCapacityBlockOfferingsCommand)).toHaveLength(0);
  });
});
