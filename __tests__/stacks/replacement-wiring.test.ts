/**
 * Replacement wiring in the synthesized stacks: the declared-blocks document carries a block's `extend.replace`, and
 * reconcile gets NEW_BLOCK_TAGS (the tags `capacity offerings --env` prints, so Karpenter's gpu-capacity-block pool
 * selects a replacement) only where new purchases are allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { newBlockReservationTags } from "../../src/lib/tags";
import { baseEnvironmentInput, synthesizeWith, type Synthesized } from "../support/synth";

type Input = Record<string, unknown>;

function withReplacement(manager: Input, replace: Input | undefined): Input {
  const base = baseEnvironmentInput();
  const [block] = base.capacity_blocks as Input[];
  return {
    ...base,
    karpenter: { enabled: true },
    node_pools: { gpu_capacity_block: { reservation_tags: { team: "ml" } } },
    capacity_manager: manager,
    capacity_blocks: [{ ...block, ...(replace ? { extend: { replace } } : {}) }],
  };
}

let buying: Synthesized;
let extendingOnly: Synthesized;
beforeAll(async () => {
  buying = await synthesizeWith(withReplacement({ extensions_enabled: true, allow_new_purchases: true, monthly_budget_usd: 500_000 }, { enabled: true, availability_zones: ["us-east-1a", "us-east-1b"], duration_hours: 336 }), "rb");
  extendingOnly = await synthesizeWith(withReplacement({ extensions_enabled: true, monthly_budget_usd: 500_000 }, undefined), "re");
}, 120_000);

const reconcileVariables = (s: Synthesized, stack: string) =>
  (s.resource(stack, "aws_lambda_function", "reconcile_function") as { environment: { variables: Record<string, string> } }).environment.variables;

describe("replacement wiring", () => {
  it("GIVEN allow_new_purchases THEN reconcile gets the environment's new-block tags: Karpenter's reservation tags, the consumer tag and the environment tag", () => {
    const tags = JSON.parse(reconcileVariables(buying, "rb-capacity-manager")["NEW_BLOCK_TAGS"]!) as Record<string, string>;
    expect(tags).toEqual({ team: "ml", "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "rb" });
    expect(tags).toEqual(newBlockReservationTags("rb", { team: "ml" }));
  });

  it("GIVEN new purchases not allowed THEN reconcile gets no NEW_BLOCK_TAGS (it buys no replacement)", () => {
    expect(reconcileVariables(extendingOnly, "re-capacity-manager")["NEW_BLOCK_TAGS"]).toBeUndefined();
  });

  it("GIVEN extend.replace THEN the declared-blocks document gives the manager the replacement policy", () => {
    const parameter = buying.resource("rb-cluster", "aws_ssm_parameter", "declared") as { value: string };
    const [block] = (JSON.parse(parameter.value) as { blocks: { policy: Record<string, unknown> }[] }).blocks;
    expect(block?.policy).toMatchObject({ allowReplacement: true, replacementAvailabilityZones: ["us-east-1a", "us-east-1b"], replacementDurationHours: 336 });
  });
});
