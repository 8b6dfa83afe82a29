import { describe, expect, it } from "vitest";
import { nodePoolsSchema } from "../../../../src/config/karpenter-schema";
import { AUTO_MODE_MAX_NODE_LIFETIME, type AutoModeManifestsInput, autoModeManifests } from "../../../../src/constructs/auto-mode/manifests";
import { KARPENTER_TAINTS, karpenterManifests, NODE_POOL_NAMES } from "../../../../src/constructs/karpenter/manifests";
import { ALB_SSL_POLICY, autoModeAlbIngressClass, autoModeAlbIngressClassParams } from "../../../../src/constructs/platform/manifests";
import { CAPACITY_CONSUMER_TAG } from "../../../../src/lib/tags";
import { celErrors, crdErrors } from "../karpenter/crd-validation";
import { autoModeCelErrors, autoModeSchemaErrors } from "./auto-mode-schema-validation";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const KARPENTER_BLOCK = { reservation_id: "cr-0123456789abcdef0", instance_type: "p5.48xlarge", consumer: "karpenter" } as const;
const NODE_GROUP_BLOCK = { reservation_id: "cr-0bbbbbbbbbbbbbbb2", instance_type: "p5.48xlarge", consumer: "node_group" } as const;

function input(pools: Json = {}, overrides: Partial<AutoModeManifestsInput> = {}): AutoModeManifestsInput {
  return {
    environment: "test",
    clusterName: "blockfleet-test",
    nodeRoleName: "blockfleet-test-auto-node",
    nodePools: nodePoolsSchema.parse(pools),
    capacityBlocks: [KARPENTER_BLOCK, NODE_GROUP_BLOCK],
    ...overrides,
  };
}

const byName = <T extends { metadata: { name: string } }>(objects: readonly T[], name: string): Json => {
  const found = objects.find((candidate) => candidate.metadata.name === name);
  if (!found) throw new Error(`no ${name}; got ${objects.map((candidate) => candidate.metadata.name).join(", ")}`);
  return found;
};
const requirementOf = (nodePool: Json, key: string): Json | undefined =>
  nodePool.spec.template.spec.requirements.find((requirement: Json) => requirement.key === key);

describe("EKS Auto Mode node classes and pools", () => {
  // GIVEN every pool on, one Karpenter-consumed block, one node-group block, and tagged reservations
  const manifests = autoModeManifests(input({ gpu_capacity_block: { reservation_tags: { team: "research" } } }));

  it("mirrors the four Karpenter pools, each with its own NodeClass of the same name", () => {
    const names = [NODE_POOL_NAMES.default, NODE_POOL_NAMES.gpuSpot, NODE_POOL_NAMES.gpuCapacityBlock, NODE_POOL_NAMES.gpuOnDemand];
    expect(manifests.nodePools.map((pool) => pool.metadata.name)).toEqual(names);
    expect(manifests.nodeClasses.map((nodeClass) => nodeClass.metadata.name)).toEqual(names);
    for (const pool of manifests.nodePools) {
      expect(pool.spec.template.spec.nodeClassRef).toEqual({ group: "eks.amazonaws.com", kind: "NodeClass", name: pool.metadata.name });
    }
  });

  it("validates every NodeClass strictly against the Auto Mode NodeClass schema and its CEL rules", () => {
    for (const nodeClass of manifests.nodeClasses) {
      expect(autoModeSchemaErrors(nodeClass), nodeClass.metadata.name).toEqual([]);
      expect(autoModeCelErrors(nodeClass), nodeClass.metadata.name).toEqual([]);
    }
  });

  it("validates every NodePool strictly against the karpenter.sh/v1 NodePool CRD and its CEL rules", () => {
    for (const pool of manifests.nodePools) {
      expect(crdErrors(pool), pool.metadata.name).toEqual([]);
      expect(celErrors(pool), pool.metadata.name).toEqual([]);
    }
  });

  it("the validators refuse what the schemas refuse (an unknown key, a bad reservation term, an EC2NodeClass-only field)", () => {
    const nodeClass = byName(manifests.nodeClasses, NODE_POOL_NAMES.gpuCapacityBlock);
    expect(autoModeSchemaErrors({ ...nodeClass, spec: { ...nodeClass.spec, amiSelectorTerms: [{ alias: "bottlerocket@latest" }] } } as never)).toContain(
      "/spec: must NOT have additional properties (amiSelectorTerms)",
    );
    expect(autoModeSchemaErrors({ ...nodeClass, spec: { ...nodeClass.spec, ephemeralStorage: { size: "70000Gi" } } } as never).join()).toMatch(
      /ephemeralStorage\/size: must match pattern/,
    );
    expect(
      autoModeCelErrors({ ...nodeClass, spec: { ...nodeClass.spec, capacityReservationSelectorTerms: [{ id: "cr-0123456789abcdef0", tags: { a: "b" } }] } }),
    ).toEqual(["capacity reservation term: 'id' is mutually exclusive"]);
  });

  it("names the Auto Mode node role and selects the subnets and security groups blockfleet tags for nodes", () => {
    const spec = byName(manifests.nodeClasses, NODE_POOL_NAMES.default).spec;
    expect(spec.role).toBe("blockfleet-test-auto-node");
    expect(spec.subnetSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": "blockfleet-test" } }]);
    expect(spec.securityGroupSelectorTerms).toEqual([
      { tags: { "karpenter.sh/discovery": "blockfleet-test" } },
      { tags: { "aws:eks:cluster-name": "blockfleet-test" } },
    ]);
    expect(spec.ephemeralStorage).toEqual({ size: "100Gi" });
  });

  it("the capacity-block NodeClass selects only consumer = karpenter blocks by id, and tagged reservations only with the consumer tag", () => {
    const terms = byName(manifests.nodeClasses, NODE_POOL_NAMES.gpuCapacityBlock).spec.capacityReservationSelectorTerms;
    expect(terms).toEqual([{ id: KARPENTER_BLOCK.reservation_id }, { tags: { team: "research", [CAPACITY_CONSUMER_TAG]: "karpenter" } }]);
    expect(JSON.stringify(terms)).not.toContain(NODE_GROUP_BLOCK.reservation_id);
    // No other NodeClass selects reservations: with any selector set, Auto Mode stops using open reservations.
    expect(manifests.nodeClasses.filter((nodeClass) => nodeClass.spec.capacityReservationSelectorTerms)).toHaveLength(1);
  });

  it("the capacity-block pool takes reserved capacity only, with the Karpenter pool's taints, budget, weight and grace period", () => {
    const pool = byName(manifests.nodePools, NODE_POOL_NAMES.gpuCapacityBlock);
    const karpenterPool = byName(
      karpenterManifests({
        ...input({ gpu_capacity_block: { reservation_tags: { team: "research" } } }),
        amiFamily: "bottlerocket",
        amiAliasVersion: "v1.66.0",
      }).nodePools,
      NODE_POOL_NAMES.gpuCapacityBlock,
    );
    expect(requirementOf(pool, "karpenter.sh/capacity-type")).toEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved"] });
    expect(requirementOf(pool, "eks.amazonaws.com/instance-gpu-manufacturer")?.values).toEqual(["nvidia"]);
    expect(pool.spec.template.spec.taints).toEqual([KARPENTER_TAINTS.gpu, KARPENTER_TAINTS.capacityBlock]);
    expect(pool.spec.template.spec.taints).toEqual(karpenterPool.spec.template.spec.taints);
    expect(pool.spec.disruption).toEqual(karpenterPool.spec.disruption);
    expect(pool.spec.disruption.budgets).toEqual([{ nodes: "0" }]);
    expect(pool.spec.weight).toBe(karpenterPool.spec.weight);
    expect(pool.spec.template.spec.terminationGracePeriod).toBe("24h");
    expect(pool.spec.template.spec.expireAfter).toBe(AUTO_MODE_MAX_NODE_LIFETIME);
  });

  it("the GPU spot and on-demand pools use Auto Mode's instance-family and instance-gpu requirements, with the Karpenter pools' taints", () => {
    const spot = byName(manifests.nodePools, NODE_POOL_NAMES.gpuSpot);
    expect(requirementOf(spot, "eks.amazonaws.com/instance-family")?.values).toEqual(["g6e", "p5"]);
    expect(requirementOf(spot, "eks.amazonaws.com/instance-gpu-manufacturer")?.values).toEqual(["nvidia"]);
    expect(requirementOf(spot, "eks.amazonaws.com/instance-gpu-count")).toEqual({ key: "eks.amazonaws.com/instance-gpu-count", operator: "Gt", values: ["0"] });
    expect(requirementOf(spot, "karpenter.sh/capacity-type")?.values).toEqual(["spot"]);
    expect(spot.spec.template.spec.taints).toEqual([KARPENTER_TAINTS.gpu]);
    const onDemand = byName(manifests.nodePools, NODE_POOL_NAMES.gpuOnDemand);
    expect(requirementOf(onDemand, "karpenter.sh/capacity-type")?.values).toEqual(["on-demand"]);
    expect(onDemand.spec.template.spec.taints).toEqual([KARPENTER_TAINTS.gpu, KARPENTER_TAINTS.gpuOnDemand]);
    expect(onDemand.spec.limits).toEqual({ "nvidia.com/gpu": "0" });
  });

  it("the default pool uses Auto Mode's instance-category and instance-generation labels and no kubernetes.io/os (Auto Mode refuses it)", () => {
    const pool = byName(manifests.nodePools, NODE_POOL_NAMES.default);
    expect(requirementOf(pool, "eks.amazonaws.com/instance-category")?.values).toEqual(["c", "m", "r"]);
    expect(requirementOf(pool, "eks.amazonaws.com/instance-generation")).toEqual({
      key: "eks.amazonaws.com/instance-generation",
      operator: "Gt",
      values: ["5"],
    });
    expect(requirementOf(pool, "kubernetes.io/os")).toBeUndefined();
    expect(JSON.stringify(manifests.nodePools)).not.toContain("karpenter.k8s.aws/");
  });

  it("makes no capacity-block pool when nothing is there to select (only node-group blocks, no tags)", () => {
    const none = autoModeManifests(input({}, { capacityBlocks: [NODE_GROUP_BLOCK] }));
    expect(none.nodePools.map((pool) => pool.metadata.name)).not.toContain(NODE_POOL_NAMES.gpuCapacityBlock);
  });
});

describe("the alb ingress class on Auto Mode's controller", () => {
  const params = autoModeAlbIngressClassParams({ certificateArn: "arn:aws:acm:us-west-2:111122223333:certificate/abc", scheme: "internal" });

  it("is valid against the Auto Mode IngressClassParams schema, with certificateARNs and the TLS 1.3 policy", () => {
    expect(autoModeSchemaErrors(params as never)).toEqual([]);
    expect(params.spec).toMatchObject({
      scheme: "internal",
      certificateARNs: ["arn:aws:acm:us-west-2:111122223333:certificate/abc"],
      sslPolicy: ALB_SSL_POLICY,
    });
    expect(ALB_SSL_POLICY).toMatch(/TLS13/);
  });

  it("the schema refuses the open-source controller's certificateArn spelling", () => {
    expect(autoModeSchemaErrors({ ...params, spec: { ...params.spec, certificateArn: ["x"] } } as never)).toContain(
      "/spec: must NOT have additional properties (certificateArn)",
    );
  });

  it("points the IngressClass at eks.amazonaws.com/alb and its eks.amazonaws.com IngressClassParams", () => {
    expect(autoModeAlbIngressClass().spec).toEqual({
      controller: "eks.amazonaws.com/alb",
      parameters: { apiGroup: "eks.amazonaws.com", kind: "IngressClassParams", name: "alb" },
    });
  });
});
