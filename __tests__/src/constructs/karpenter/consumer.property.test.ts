/**
 * One owner per reservation, over generated environments: no Karpenter capacity reservation selector term can
 * select a block whose consumer is its node group, whatever tags the environment selects by and whatever tags a
 * node-group reservation carries (as long as it lacks the Karpenter consumer tag, which blockfleet documents such a
 * reservation must never get), and every Karpenter block is selected.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../../src/config/schema";
import { autoModeManifests } from "../../../../src/constructs/auto-mode/manifests";
import { capacityReservationTerms, karpenterManifests, NODE_POOL_NAMES } from "../../../../src/constructs/karpenter/manifests";
import { CAPACITY_CONSUMER_TAG, KARPENTER_CONSUMER_TAG_VALUE } from "../../../../src/lib/tags";
import { validEnvironmentWithServicesInput } from "../../../support/arbitraries";

type Term = { id: string } | { tags: Record<string, string> };

/** Karpenter's matching: a term with an id matches that reservation; a tag term matches when every tag is equal. */
function termSelects(term: Term, reservation: { id: string; tags: Record<string, string> }): boolean {
  if ("id" in term) return term.id === reservation.id;
  return Object.entries(term.tags).every(([key, value]) => reservation.tags[key] === value);
}

const tagKey = fc.constantFrom("deployment", "team", "cost-center", CAPACITY_CONSUMER_TAG);
const tagValue = fc.constantFrom("prod", "ml", "gpu", "node_group", KARPENTER_CONSUMER_TAG_VALUE);
const reservationTags = fc.dictionary(fc.constantFrom("deployment", "team", "cost-center"), fc.constantFrom("prod", "ml", "gpu"), { maxKeys: 3 });

const scenario = fc.record({
  input: validEnvironmentWithServicesInput,
  selectBy: reservationTags,
  // Tags someone may have put on a node-group reservation by hand: anything but the Karpenter consumer tag.
  handTags: fc.dictionary(tagKey, tagValue, { maxKeys: 4 }).map((tags) => {
    const copy = { ...tags };
    if (copy[CAPACITY_CONSUMER_TAG] === KARPENTER_CONSUMER_TAG_VALUE) delete copy[CAPACITY_CONSUMER_TAG];
    return copy;
  }),
});

describe("consumer exclusivity (property)", () => {
  it("no Karpenter or Auto Mode selector term selects a node-group block, and every NVIDIA Karpenter block is selected by id", () => {
    fc.assert(
      fc.property(scenario, ({ input, selectBy, handTags }) => {
        // GIVEN a valid environment selecting reservations by some tags
        const config = environmentSchema.parse({ ...input, node_pools: { gpu_capacity_block: { reservation_tags: selectBy } } });
        if (!config.karpenter.enabled && !config.cluster.auto_mode) return;
        // WHEN the capacity-block pool's terms are generated (Karpenter's, or Auto Mode's on an Auto Mode cluster)
        const common = { environment: "prop", clusterName: "blockfleet-prop", nodePools: config.node_pools, capacityBlocks: config.capacity_blocks };
        const manifests: { nodeClasses: ReadonlyArray<{ metadata: { name: string }; spec: { capacityReservationSelectorTerms?: Term[] } }> } = config.cluster
          .auto_mode
          ? autoModeManifests({ ...common, nodeRoleName: "blockfleet-prop-auto-node" })
          : karpenterManifests({
              ...common,
              nodeRoleName: "blockfleet-prop-karpenter-node",
              amiFamily: config.karpenter.ami_family,
              amiAliasVersion: config.karpenter.ami_alias_version,
            });
        const nodeClass = manifests.nodeClasses.find((candidate) => candidate.metadata.name === NODE_POOL_NAMES.gpuCapacityBlock);
        const terms: Term[] = nodeClass?.spec.capacityReservationSelectorTerms ?? [];
        expect(terms).toEqual(nodeClass ? capacityReservationTerms({ capacityBlocks: config.capacity_blocks, nodePools: config.node_pools }) : []);
        // THEN no term selects a node-group block, even one carrying the selected tags and more
        for (const block of config.capacity_blocks.filter((candidate) => candidate.consumer === "node_group")) {
          const reservation = { id: block.reservation_id, tags: { ...selectBy, ...handTags } };
          expect(
            terms.filter((term) => termSelects(term, reservation)),
            `${block.name} (${block.reservation_id})`,
          ).toEqual([]);
        }
        // AND every Karpenter block is selected by its id
        for (const block of config.capacity_blocks.filter((candidate) => candidate.consumer === "karpenter")) {
          expect(terms).toContainEqual({ id: block.reservation_id });
        }
      }),
      { numRuns: 200 },
    );
  });
});
