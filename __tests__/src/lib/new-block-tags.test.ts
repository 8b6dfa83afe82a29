/** The tags a new block bought for an environment carries: one source for `capacity offerings --env` and replacements. */
import { describe, expect, it } from "vitest";
import { environmentNewBlockTags } from "../../../src/lib/tags";

const settings = (karpenter: boolean, autoMode: boolean, poolEnabled = true) => ({
  karpenter: { enabled: karpenter },
  cluster: { auto_mode: autoMode },
  node_pools: { gpu_capacity_block: { enabled: poolEnabled, reservation_tags: { team: "ml" } } },
});

describe("environmentNewBlockTags", () => {
  it.each([
    ["Karpenter", settings(true, false)],
    ["EKS Auto Mode", settings(false, true)],
  ])("GIVEN the gpu-capacity-block pool runs on %s THEN its reservation tags, the consumer tag and the environment tag", (_name, config) => {
    expect(environmentNewBlockTags("prod", config)).toEqual({
      team: "ml",
      "blockfleet.io/capacity-consumer": "karpenter",
      "blockfleet.io/environment": "prod",
    });
  });

  it.each([
    ["neither Karpenter nor Auto Mode", settings(false, false)],
    ["the pool switched off", settings(true, false, false)],
  ])("GIVEN %s THEN no tags (nothing would select the block)", (_name, config) => {
    expect(environmentNewBlockTags("prod", config)).toBeUndefined();
  });
});
