/**
 * Replacement wiring in the synthesized stacks: the declared-blocks document carries a block's `extend.replace`, and
 * reconcile gets NEW_BLOCK_TAGS (the tags `capacity offerings --env` prints, so Karpenter's gpu-capacity-block pool
 * selects a replacement) only where new purchases are allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { newBlockReservationTags } from "../../src/lib/tags";
import { baseEnvironmentInput, type Synthesized, synthesizeWith } from "../support/synth";

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

/** Replacement on, the capacity-block pool with no reservation_tags: on Karpenter, or on EKS Auto Mode. */
function withoutReservationTags(autoMode: boolean): Input {
  const base = withReplacement({ extensions_enabled: true, allow_new_purchases: true, monthly_budget_usd: 500_000 }, { enabled: true });
  return autoMode
    ? { ...Object.fromEntries(Object.entries(base).filter(([key]) => key !== "karpenter")), cluster: { version: "1.34", auto_mode: true }, node_pools: {} }
    : { ...base, node_pools: {} };
}

let buying: Synthesized;
let extendingOnly: Synthesized;
let karpenterUntagged: Synthesized;
let autoUntagged: Synthesized;
beforeAll(async () => {
  buying = await synthesizeWith(
    withReplacement(
      { extensions_enabled: true, allow_new_purchases: true, monthly_budget_usd: 500_000 },
      { enabled: true, availability_zones: ["us-east-1a", "us-east-1b"], duration_hours: 336 },
    ),
    "rb",
  );
  extendingOnly = await synthesizeWith(withReplacement({ extensions_enabled: true, monthly_budget_usd: 500_000 }, undefined), "re");
  karpenterUntagged = await synthesizeWith(withoutReservationTags(false), "rk");
  autoUntagged = await synthesizeWith(withoutReservationTags(true), "ra");
}, 120_000);

type Term = { id?: string; tags?: Record<string, string> };
const capacityBlockTerms = (s: Synthesized, stack: string): Term[] => {
  const manifests = s
    .resources(stack, "kubernetes_manifest")
    .map(([, r]) => (r as { manifest: { kind: string; metadata: { name: string }; spec: { capacityReservationSelectorTerms?: Term[] } } }).manifest);
  const nodeClass = manifests.find((m) => (m.kind === "EC2NodeClass" || m.kind === "NodeClass") && m.metadata.name === "gpu-capacity-block");
  return nodeClass?.spec.capacityReservationSelectorTerms ?? [];
};
/** EC2 selects a reservation by a tag term when the reservation carries every tag of the term. */
const selects = (term: Term, tags: Record<string, string>) => term.tags !== undefined && Object.entries(term.tags).every(([k, v]) => tags[k] === v);

const reconcileVariables = (s: Synthesized, stack: string) =>
  (s.resource(stack, "aws_lambda_function", "reconcile_function") as { environment: { variables: Record<string, string> } }).environment.variables;

describe("replacement wiring", () => {
  it("GIVEN allow_new_purchases THEN reconcile gets the environment's new-block tags: Karpenter's reservation tags, the consumer tag and the environment tag", () => {
    const tags = JSON.parse(reconcileVariables(buying, "rb-capacity-manager")["NEW_BLOCK_TAGS"]!) as Record<string, string>;
    expect(tags).toEqual({ team: "ml", "blockfleet.io/capacity-consumer": "karpenter", "blockfleet.io/environment": "rb" });
    expect(tags).toEqual(newBlockReservationTags("rb", { team: "ml" }));
  });

  it.each([
    ["Karpenter", () => karpenterUntagged, "rk"],
    ["EKS Auto Mode", () => autoUntagged, "ra"],
  ])(
    "GIVEN replacement on and no reservation_tags on %s THEN the capacity-block NodeClass selects the blocks the manager buys, and never a node-group block",
    (_name, synthesized, env) => {
      const s = synthesized();
      const newBlockTags = JSON.parse(reconcileVariables(s, `${env}-capacity-manager`)["NEW_BLOCK_TAGS"]!) as Record<string, string>;
      // What the manager puts on a replacement: NEW_BLOCK_TAGS plus the purchase's intent id.
      const replacement = { ...newBlockTags, "blockfleet.io/intent-id": "replace-cr-0123456789abcdef0-1790000000000-v3" };
      const terms = capacityBlockTerms(s, `${env}-${env === "ra" ? "auto-mode" : "karpenter"}-pools`);
      expect(terms.some((term) => selects(term, replacement))).toBe(true);
      // A node-group block, even tagged as this environment's (so its reconcile may extend it), is never selected.
      const nodeGroupBlocks: Record<string, string>[] = [
        { "blockfleet.io/environment": env },
        { "blockfleet.io/environment": env, "blockfleet.io/capacity-consumer": "node_group" },
        {},
      ];
      for (const tags of nodeGroupBlocks) expect(terms.filter((term) => selects(term, tags))).toEqual([]);
      expect(terms.filter((term) => term.id === "cr-0123456789abcdef0")).toEqual([]);
    },
  );

  it("GIVEN new purchases not allowed THEN reconcile gets no NEW_BLOCK_TAGS (it buys no replacement)", () => {
    expect(reconcileVariables(extendingOnly, "re-capacity-manager")["NEW_BLOCK_TAGS"]).toBeUndefined();
  });

  it("GIVEN extend.replace THEN the declared-blocks document gives the manager the replacement policy", () => {
    const parameter = buying.resource("rb-cluster", "aws_ssm_parameter", "declared") as { value: string };
    const [block] = (JSON.parse(parameter.value) as { blocks: { policy: Record<string, unknown> }[] }).blocks;
    expect(block?.policy).toMatchObject({ allowReplacement: true, replacementAvailabilityZones: ["us-east-1a", "us-east-1b"], replacementDurationHours: 336 });
  });
});
