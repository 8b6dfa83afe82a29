import { describe, expect, it } from "vitest";
import type { Extension, Reservation } from "../../../../src/cli/capacity/ec2";
import { capacityStatus, type StatusInput, statusJson } from "../../../../src/cli/capacity/status";
import { type CapacityBlockConfig, capacityBlockSchema } from "../../../../src/config/schema";

const NOW = new Date("2026-11-22T12:00:00Z");

const block = (overrides: Partial<CapacityBlockConfig> = {}): CapacityBlockConfig =>
  capacityBlockSchema.parse({
    name: "p5-training",
    reservation_id: "cr-0123456789abcdef0",
    instance_type: "p5.48xlarge",
    instance_count: 2,
    availability_zone: "us-east-1a",
    ...overrides,
  });

const reservation = (overrides: Partial<Reservation> = {}): Reservation => ({
  reservationId: "cr-0123456789abcdef0",
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  totalInstances: 2,
  availableInstances: 0,
  state: "active",
  startDate: new Date("2026-11-20T11:30:00Z"),
  endDate: new Date("2026-11-27T11:30:00Z"),
  tags: {},
  ...overrides,
});

const statusOf = (input: Partial<StatusInput>) =>
  capacityStatus({ environment: "prod", blocks: [block()], reservations: [reservation()], extensions: [], now: NOW, ...input });

describe("capacityStatus", () => {
  it("GIVEN a block that matches EC2 THEN it has no warnings and shows the time left", () => {
    const [status] = statusOf({});

    expect(status).toMatchObject({ name: "p5-training", state: "active", timing: "4d 23h left", warnings: [], usedBy: ["node group p5-training-*"] });
  });

  it("GIVEN EC2 holds another instance type and fewer instances than the file says THEN both are warned about", () => {
    const [status] = statusOf({ reservations: [reservation({ instanceType: "p5e.48xlarge", totalInstances: 1 })] });

    expect(status?.warnings).toEqual([
      "instance_type is p5.48xlarge in prod.tfvars but the reservation holds p5e.48xlarge",
      "instance_count is 2 in prod.tfvars but the reservation holds 1",
    ]);
  });

  it("GIVEN the block's payment failed THEN it warns the block will not start", () => {
    const [status] = statusOf({ reservations: [reservation({ state: "payment-failed", startDate: new Date("2026-12-01T11:30:00Z") })] });

    expect(status?.warnings).toEqual(["payment failed: the block will not start"]);
    expect(status?.timing).toBe("starts in 8d 23h");
  });

  it.each([
    ["p5.48xlarge", "2026-11-22 23:30 UTC"],
    ["p6e-gb200.36xlarge", "2026-11-22 23:00 UTC"],
  ])("GIVEN a %s block ending in 12 hours with no extension THEN it warns when its instances go (UltraServers an hour early)", (instanceType, terminatedAt) => {
    const ending = reservation({ instanceType, endDate: new Date("2026-11-23T00:00:00Z") });
    const [status] = statusOf({
      blocks: [block({ instance_type: instanceType, ami_type: instanceType.startsWith("p6e") ? "AL2023_ARM_64_NVIDIA" : "AL2023_x86_64_NVIDIA" })],
      reservations: [ending],
    });

    expect(status?.warnings).toEqual([
      `ends in 12h with no extension; its instances are terminated at ${terminatedAt}; gap from 2026-11-23 00:00 UTC, no replacement bought yet`,
    ]);
  });

  it("GIVEN a tracked block that expired THEN it is still listed, with how long ago it ended and a hint to remove it", () => {
    const [status] = statusOf({ reservations: [reservation({ state: "expired", endDate: new Date("2026-11-22T06:00:00Z") })] });

    expect(status).toMatchObject({
      state: "expired",
      timing: "ended 6h ago",
      warnings: ["expired 6h ago: no longer a usable block, remove it from capacity_blocks in prod.tfvars"],
    });
    expect(status?.instancesInUse).toBeUndefined();
  });

  it("GIVEN an active block with instances running THEN it counts the instances in use against the reservation", () => {
    const [status] = statusOf({ reservations: [reservation({ totalInstances: 4, availableInstances: 1 })] });

    expect(status?.instancesInUse).toBe(3);
  });

  it("GIVEN extensions THEN paid ones already over are dropped and pending and failed ones are kept", () => {
    const extension = (status: string, end: string): Extension => ({ reservationId: "cr-0123456789abcdef0", status, endDate: new Date(end) });

    const [status] = statusOf({
      extensions: [
        extension("payment-succeeded", "2026-11-20T11:30:00Z"),
        extension("payment-succeeded", "2026-11-27T11:30:00Z"),
        extension("payment-pending", "2026-12-04T11:30:00Z"),
        extension("payment-failed", "2026-12-04T11:30:00Z"),
      ],
    });

    expect(status?.extensions.map((entry) => entry.status)).toEqual(["payment-succeeded", "payment-pending", "payment-failed"]);
  });

  it("GIVEN a Karpenter pool selecting by tag THEN an untracked block with all the tags is used by it and one missing a tag is not", () => {
    const karpenter = { nodePool: "gpu-capacity-block", terms: [{ tags: { deployment: "prod", team: "ml" } }] };
    const tagged = reservation({ reservationId: "cr-0bbbbbbbbbbbbbbbb", tags: { deployment: "prod", team: "ml", extra: "x" } });
    const partly = reservation({ reservationId: "cr-0cccccccccccccccc", tags: { deployment: "prod" } });

    const statuses = statusOf({ blocks: [], reservations: [tagged, partly], karpenter });

    expect(statuses.map((status) => [status.reservationId, status.usedBy])).toEqual([
      ["cr-0bbbbbbbbbbbbbbbb", ["node pool gpu-capacity-block"]],
      ["cr-0cccccccccccccccc", []],
    ]);
  });

  describe("one consumer per reservation", () => {
    const karpenter = { nodePool: "gpu-capacity-block", terms: [{ tags: { deployment: "prod", "blockfleet.io/capacity-consumer": "karpenter" } }] };

    it("GIVEN a node group's reservation whose tags were changed by hand so Karpenter's selector matches it THEN both consumers are shown and it warns", () => {
      const handTagged = reservation({ tags: { deployment: "prod", "blockfleet.io/capacity-consumer": "karpenter" } });
      const [status] = statusOf({ reservations: [handTagged], karpenter });
      expect(status?.usedBy).toEqual(["node group p5-training-*", "node pool gpu-capacity-block"]);
      expect(status?.warnings).toEqual([
        expect.stringMatching(/^its node group launches into it and Karpenter's node pool also selects it .*compete for the same instances/),
      ]);
    });

    it("GIVEN a node group's reservation carrying the pool's tags but not the Karpenter consumer tag THEN only the node group uses it", () => {
      const [status] = statusOf({ reservations: [reservation({ tags: { deployment: "prod" } })], karpenter });
      expect(status?.usedBy).toEqual(["node group p5-training-*"]);
      expect(status?.warnings).toEqual([]);
    });

    it("GIVEN an active karpenter block no node pool selects THEN it warns that nothing consumes it", () => {
      const [status] = statusOf({ blocks: [block({ consumer: "karpenter" })] });
      expect(status?.usedBy).toEqual([]);
      expect(status?.warnings).toEqual([expect.stringMatching(/^active, but nothing launches into it: consumer = "karpenter" in prod.tfvars/)]);
    });

    it("GIVEN a karpenter block selected by id THEN its pool is its consumer and there is no node group", () => {
      const [status] = statusOf({
        blocks: [block({ consumer: "karpenter" })],
        karpenter: { nodePool: "gpu-capacity-block", terms: [{ id: "cr-0123456789abcdef0" }] },
      });
      expect(status?.usedBy).toEqual(["node pool gpu-capacity-block"]);
      expect(status?.warnings).toEqual([]);
    });

    it("GIVEN an active reservation the file does not declare and no pool selects THEN it warns that nothing consumes it while paid for", () => {
      const [status] = statusOf({ blocks: [], reservations: [reservation({ reservationId: "cr-0dddddddddddddddd" })] });
      expect(status?.warnings).toEqual([expect.stringMatching(/nothing consumes it while it is paid for/)]);
    });
  });
});

describe("capacityStatus: replacements and gaps", () => {
  const ending = reservation({ endDate: new Date("2026-11-23T06:00:00Z") });
  const replacement = (start: string) =>
    reservation({
      reservationId: "cr-0fedcba9876543210",
      state: "payment-pending",
      startDate: new Date(start),
      endDate: new Date(Date.parse(start) + 168 * 3_600_000),
      tags: { "blockfleet.io/intent-id": "replace-cr-0123456789abcdef0-1795413600000-v7", "blockfleet.io/capacity-consumer": "karpenter" },
    });

  it("GIVEN the manager bought a replacement starting at the end THEN status shows it, no gap and no expiry warning", () => {
    const [status] = statusOf({ reservations: [ending, replacement("2026-11-23T06:00:00Z")] });
    expect(status?.replacedBy).toMatchObject({ reservationId: "cr-0fedcba9876543210", gapMs: 0 });
    expect(status?.warnings).toEqual([]);
  });

  it("GIVEN the replacement starts after the end THEN status warns of the gap and its length, with the on-demand fallback", () => {
    const [status] = statusOf({ reservations: [ending, replacement("2026-11-23T16:00:00Z")] });
    expect(status?.replacedBy?.gapMs).toBe(10 * 3_600_000);
    expect(status?.warnings).toEqual([expect.stringMatching(/replaced by cr-0fedcba9876543210 from .*: a gap of 10h after its end .*gpu-on-demand/)]);
  });

  it("GIVEN the block ends within 24 h with no extension and no replacement bought THEN status and --json show the open-ended gap from its end", () => {
    const [status] = statusOf({ reservations: [ending] });
    expect(status?.gap).toEqual({ from: new Date("2026-11-23T06:00:00Z") });
    expect(status?.warnings).toEqual([expect.stringContaining("gap from 2026-11-23 06:00 UTC, no replacement bought yet")]);
    const json = statusJson("prod", "us-east-1", [status!]) as { blocks: Array<{ gap: unknown }> };
    expect(json.blocks[0]?.gap).toEqual({ from: "2026-11-23T06:00:00.000Z", replacement_bought: false });
    const [replaced] = statusOf({ reservations: [ending, replacement("2026-11-23T06:00:00Z")] });
    expect(replaced?.gap).toBeUndefined();
    expect((statusJson("prod", "us-east-1", [replaced!]) as { blocks: Array<{ gap: unknown }> }).blocks[0]?.gap).toBeNull();
  });

  it("GIVEN a reservation tagged for another block's replacement THEN it is not taken for this block's", () => {
    const other = { ...replacement("2026-11-23T06:00:00Z"), tags: { "blockfleet.io/intent-id": "replace-cr-0aaaaaaaaaaaaaaaa-1-v1" } };
    const [status] = statusOf({ reservations: [ending, other] });
    expect(status?.replacedBy).toBeUndefined();
    expect(status?.warnings).toEqual([expect.stringContaining("with no extension")]);
  });
});
