import { parse } from "@cdktf/hcl2json";
import { describe, expect, it } from "vitest";
import type { Offering } from "../../../../src/cli/capacity/ec2";
import { attachSnippet, defaultAmiType, rankOfferings, suggestedBlockName } from "../../../../src/cli/capacity/offerings";
import { capacityBlockSchema } from "../../../../src/config/schema";

const offering = (overrides: Partial<Offering>): Offering => ({
  offeringId: "cb-0123456789abcdef0",
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  instanceCount: 2,
  startDate: new Date("2026-12-01T11:30:00Z"),
  endDate: new Date("2026-12-08T11:30:00Z"),
  durationHours: 168,
  upfrontFee: 10_752,
  currency: "USD",
  ...overrides,
});

describe("rankOfferings", () => {
  it("GIVEN offerings of different types THEN the cheapest GPU-hour ranks first, not the cheapest block", () => {
    const p5 = offering({ offeringId: "cb-p5", upfrontFee: 10_752 }); // 2 × 8 GPUs × 168 h → USD 4.00 per GPU-hour
    const p4d = offering({ offeringId: "cb-p4d", instanceType: "p4d.24xlarge", upfrontFee: 8_064 }); // USD 3.00
    const trn2 = offering({ offeringId: "cb-trn2", instanceType: "trn2.48xlarge", upfrontFee: 13_440 }); // 16 chips → USD 2.50

    const ranked = rankOfferings([p5, p4d, trn2]);

    expect(ranked.map((entry) => [entry.rank, entry.offeringId, entry.pricePerAcceleratorHour])).toEqual([
      [1, "cb-trn2", 2.5],
      [2, "cb-p4d", 3],
      [3, "cb-p5", 4],
    ]);
    expect(ranked[0]?.pricePerInstanceHour).toBe(40);
  });

  it("GIVEN equal GPU-hour prices THEN the earlier start ranks first", () => {
    const later = offering({ offeringId: "cb-later", startDate: new Date("2026-12-05T11:30:00Z"), endDate: new Date("2026-12-12T11:30:00Z") });
    const earlier = offering({ offeringId: "cb-earlier" });

    expect(rankOfferings([later, earlier]).map((entry) => entry.offeringId)).toEqual(["cb-earlier", "cb-later"]);
  });

  it("GIVEN an instance type without accelerator facts THEN it ranks after priced ones and has no GPU-hour price", () => {
    const unknown = offering({ offeringId: "cb-unknown", instanceType: "p9.96xlarge", upfrontFee: 1 });
    const known = offering({ offeringId: "cb-known" });

    const ranked = rankOfferings([unknown, known]);

    expect(ranked.map((entry) => entry.offeringId)).toEqual(["cb-known", "cb-unknown"]);
    expect(ranked[1]?.pricePerAcceleratorHour).toBeUndefined();
    expect(ranked[1]?.pricePerInstanceHour).toBeCloseTo(1 / 336);
  });
});

describe("attachSnippet", () => {
  it("GIVEN an offering THEN the snippet is a capacity_blocks entry the schema accepts once the reservation id is filled in", async () => {
    const snippet = attachSnippet(offering({}), "us-east-1");
    const entry = snippet
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("\n")
      .replace(/,$/, "");
    const parsed = (await parse("snippet.tfvars", `capacity_blocks = [${entry}]`)) as { capacity_blocks: unknown[] };
    const block = parsed.capacity_blocks[0] as Record<string, unknown>;

    expect(capacityBlockSchema.safeParse({ ...block, reservation_id: "cr-0123456789abcdef0" }).success).toBe(true);
    expect(block).toMatchObject({
      name: "p5-use1a-1201",
      instance_type: "p5.48xlarge",
      instance_count: 2,
      availability_zone: "us-east-1a",
      ami_type: "AL2023_x86_64_NVIDIA",
    });
  });

  it("GIVEN the snippet pasted without the purchase's reservation id THEN validation refuses it", async () => {
    const entry = attachSnippet(offering({}), "us-east-1")
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("\n")
      .replace(/,$/, "");
    const parsed = (await parse("snippet.tfvars", `capacity_blocks = [${entry}]`)) as { capacity_blocks: unknown[] };

    const result = capacityBlockSchema.safeParse(parsed.capacity_blocks[0]);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["reservation_id"]);
  });

  it("GIVEN an offering THEN the snippet shows the purchase command with the offering id and the fee, as a comment", () => {
    const snippet = attachSnippet(offering({}), "us-west-2");

    expect(snippet).toContain("#    aws ec2 purchase-capacity-block --region us-west-2 --capacity-block-offering-id cb-0123456789abcdef0 \\");
    expect(snippet).toContain("the upfront fee of USD 10,752.00 is charged now");
  });
});

describe("defaultAmiType and suggestedBlockName", () => {
  it.each([
    ["p5.48xlarge", "AL2023_x86_64_NVIDIA"],
    ["p6e-gb200.36xlarge", "AL2023_ARM_64_NVIDIA"],
    ["trn2.48xlarge", "AL2023_x86_64_NEURON"],
  ])("GIVEN %s THEN the AMI type is %s", (instanceType, amiType) => {
    expect(defaultAmiType(instanceType)).toBe(amiType);
  });

  it("GIVEN a GovCloud zone and a hyphenated family THEN the name stays DNS-safe", () => {
    const name = suggestedBlockName(offering({ instanceType: "p6-b200.48xlarge", availabilityZone: "us-gov-west-1b" }));

    expect(name).toBe("p6-b200-usw1b-1201");
    expect(capacityBlockSchema.shape.name.safeParse(name).success).toBe(true);
  });
});
