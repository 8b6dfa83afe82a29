/** `capacity_blocks[].extend.replace`: the replacement policy of a declared block, and its validation rules. */
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/config/schema";
import { expectRejected, type Input } from "../../support/config-input";
import { baseEnvironmentInput } from "../../support/synth";

const BUYING = { extensions_enabled: true, allow_new_purchases: true, monthly_budget_usd: 500_000 };

function withReplace(replace: Input, manager: Input = BUYING): Input {
  const base = baseEnvironmentInput();
  const [block] = base.capacity_blocks as Input[];
  return { ...base, capacity_manager: manager, capacity_blocks: [{ ...block, extend: { replace } }] };
}

describe("capacity_blocks[].extend.replace", () => {
  it("GIVEN replace with only enabled THEN duration defaults to 168 h and zones to the block's own (left out)", () => {
    const [block] = environmentSchema.parse(withReplace({ enabled: true })).capacity_blocks;
    expect(block?.extend.replace).toEqual({ enabled: true, duration_hours: 168 });
  });

  it("GIVEN listed zones of the environment and a sellable duration THEN they are kept", () => {
    const zones = (baseEnvironmentInput().availability_zones as string[]).slice(0, 2);
    const [block] = environmentSchema.parse(withReplace({ enabled: true, availability_zones: zones, duration_hours: 336 })).capacity_blocks;
    expect(block?.extend.replace).toEqual({ enabled: true, availability_zones: zones, duration_hours: 336 });
  });

  it("GIVEN no replace THEN the block's policy has none (replacement off)", () => {
    expect(environmentSchema.parse({ ...baseEnvironmentInput(), capacity_manager: BUYING }).capacity_blocks[0]?.extend.replace).toBeUndefined();
  });

  it("fails when replacement is enabled without capacity_manager.allow_new_purchases", async () => {
    await expectRejected(
      withReplace({ enabled: true }, { extensions_enabled: true, monthly_budget_usd: 500_000 }),
      "capacity_blocks[0].extend.replace.enabled",
      /set capacity_manager\.allow_new_purchases = true/,
    );
  });

  it("fails when a replacement zone is not one of the environment's zones", async () => {
    await expectRejected(
      withReplace({ enabled: true, availability_zones: ["eu-west-1a"] }),
      "capacity_blocks[0].extend.replace.availability_zones[0]",
      /"eu-west-1a" is not one of availability_zones/,
    );
  });

  it("fails when the zone list is empty", async () => {
    await expectRejected(
      withReplace({ enabled: true, availability_zones: [] }),
      "capacity_blocks[0].extend.replace.availability_zones",
      /list at least one zone/,
    );
  });

  it("fails when the duration is not one EC2 sells", async () => {
    await expectRejected(withReplace({ enabled: true, duration_hours: 400 }), "capacity_blocks[0].extend.replace.duration_hours", /a duration EC2 sells/);
  });

  it("fails when replace has an unknown key", async () => {
    await expectRejected(
      withReplace({ enabled: true, zones: ["x"] }),
      "capacity_blocks[0].extend.replace.zones",
      /unknown key; expected one of enabled, availability_zones, duration_hours/,
    );
  });

  it("fails when no gpu-capacity-block pool would select the replacement", async () => {
    await expectRejected(
      { ...withReplace({ enabled: true }), karpenter: { enabled: false } },
      "capacity_blocks[0].extend.replace.enabled",
      /enable karpenter \(or cluster\.auto_mode\) and node_pools\.gpu_capacity_block/,
    );
  });
});
