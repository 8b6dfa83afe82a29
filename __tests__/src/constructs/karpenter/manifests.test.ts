import { describe, expect, it } from "vitest";
import { nodePoolsSchema } from "../../../../src/config/karpenter-schema";
import { KARPENTER_TAINTS, type KarpenterManifestsInput, karpenterManifests, NODE_POOL_NAMES } from "../../../../src/constructs/karpenter/manifests";
import { INSTANCE_STORE_BOUND_DIRECTORIES, SOCI_PULL_PROFILES } from "../../../../src/constructs/karpenter/user-data";
import { celErrors, crdErrors } from "./crd-validation";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const BLOCK_A = { reservation_id: "cr-0123456789abcdef0", instance_type: "p5.48xlarge", consumer: "karpenter" } as const;
const BLOCK_B = { reservation_id: "cr-0fedcba9876543210", instance_type: "p5e.48xlarge", consumer: "karpenter" } as const;
const TRAINIUM_BLOCK = { reservation_id: "cr-0aaaaaaaaaaaaaaa1", instance_type: "trn2.48xlarge", consumer: "node_group" } as const;
const NODE_GROUP_BLOCK = { reservation_id: "cr-0bbbbbbbbbbbbbbb2", instance_type: "p5.48xlarge", consumer: "node_group" } as const;

function input(overrides: Partial<KarpenterManifestsInput> = {}, pools: Json = {}): KarpenterManifestsInput {
  return {
    environment: "test",
    clusterName: "blockfleet-test",
    nodeRoleName: "blockfleet-test-karpenter-node",
    amiFamily: "bottlerocket",
    amiAliasVersion: "v1.66.0",
    nodePools: nodePoolsSchema.parse(pools),
    capacityBlocks: [BLOCK_A, BLOCK_B],
    ...overrides,
  };
}

const pool = (manifests: ReturnType<typeof karpenterManifests>, name: string): Json => {
  const found = manifests.nodePools.find((candidate) => candidate.metadata.name === name);
  if (!found) throw new Error(`no NodePool ${name}; got ${manifests.nodePools.map((candidate) => candidate.metadata.name).join(", ")}`);
  return found;
};
const nodeClass = (manifests: ReturnType<typeof karpenterManifests>, name: string): Json => {
  const found = manifests.nodeClasses.find((candidate) => candidate.metadata.name === name);
  if (!found) throw new Error(`no EC2NodeClass ${name}`);
  return found;
};
const requirementOf = (nodePool: Json, key: string): Json | undefined =>
  nodePool.spec.template.spec.requirements.find((requirement: Json) => requirement.key === key);

/** A minimal reader for the TOML subset the user data uses: [tables] and `key = <JSON value>` lines. */
function readToml(text: string): Record<string, Record<string, unknown>> {
  const tables: Record<string, Record<string, unknown>> = {};
  let current = "";
  for (const line of text.split("\n").filter((candidate) => candidate.trim() !== "")) {
    const table = /^\[(.+)\]$/.exec(line);
    if (table) {
      current = table[1]!;
      tables[current] = {};
      continue;
    }
    const [, key, value] = /^([a-z0-9-]+) = (.+)$/.exec(line) ?? [];
    if (!key || !value) throw new Error(`unreadable TOML line: ${line}`);
    tables[current]![key] = JSON.parse(value);
  }
  return tables;
}

describe("Karpenter manifests", () => {
  const variants = {
    bottlerocket: karpenterManifests(input()),
    al2023: karpenterManifests(input({ amiFamily: "al2023", amiAliasVersion: "v20260903" })),
    tagsOnly: karpenterManifests(input({ capacityBlocks: [] }, { gpu_capacity_block: { reservation_tags: { deployment: "test" } } })),
  };
  const all = Object.values(variants).flatMap((manifests) => [...manifests.nodeClasses, ...manifests.nodePools]) as Json[];
  const manifests = variants.bottlerocket;

  it("creates the four pools, each with its own node class", () => {
    expect(manifests.nodePools.map((nodePool) => nodePool.metadata.name)).toEqual(["default", "gpu-spot", "gpu-capacity-block", "gpu-on-demand"]);
    for (const nodePool of manifests.nodePools) {
      expect(nodePool.spec.template.spec.nodeClassRef).toEqual({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodePool.metadata.name });
    }
    expect(manifests.nodeClasses.map((candidate) => candidate.metadata.name)).toEqual(manifests.nodePools.map((candidate) => candidate.metadata.name));
  });

  describe("validation", () => {
    it("validates every object strictly against the Karpenter 1.14.1 CRDs, CEL rules included", () => {
      for (const object of all) {
        expect([...crdErrors(object as { kind: string }), ...celErrors(object)], `${object.kind} ${object.metadata.name}`).toEqual([]);
      }
    });

    it("rejects unknown keys", () => {
      // GIVEN a node pool with a misspelt field  WHEN validated  THEN the strict CRD check names it
      const misspelt = structuredClone(pool(manifests, "default"));
      misspelt.spec.disruption.consolidationPolcy = "WhenEmpty";
      expect(crdErrors(misspelt as { kind: string })).toEqual(["/spec/disruption: must NOT have additional properties (consolidationPolcy)"]);
    });

    it("catches a broken CEL rule the structural schema cannot see", () => {
      const broken = structuredClone(nodeClass(manifests, "gpu-capacity-block"));
      broken.spec.capacityReservationSelectorTerms = [{ id: "cr-0123456789abcdef0", tags: { deployment: "x" } }];
      expect(crdErrors(broken as { kind: string })).toEqual([]);
      expect(celErrors(broken)).toEqual(["capacity reservation term: 'id' is mutually exclusive"]);
    });
  });

  describe("node classes", () => {
    it("require IMDSv2 with one hop, encrypted gp3 volumes, the node and EKS cluster security groups, discovery by the cluster tag and the Karpenter node role", () => {
      for (const candidate of [...variants.bottlerocket.nodeClasses, ...variants.al2023.nodeClasses] as Json[]) {
        expect(candidate.spec.metadataOptions).toEqual({
          httpEndpoint: "enabled",
          httpProtocolIPv6: "disabled",
          httpPutResponseHopLimit: 1,
          httpTokens: "required",
        });
        for (const mapping of candidate.spec.blockDeviceMappings) expect(mapping.ebs).toMatchObject({ volumeType: "gp3", encrypted: true });
        expect(candidate.spec.subnetSelectorTerms).toEqual([{ tags: { "karpenter.sh/discovery": "blockfleet-test" } }]);
        expect(candidate.spec.securityGroupSelectorTerms).toEqual([
          { tags: { "karpenter.sh/discovery": "blockfleet-test" } },
          { tags: { "aws:eks:cluster-name": "blockfleet-test" } },
        ]);
        expect(candidate.spec.role).toBe("blockfleet-test-karpenter-node");
        expect(candidate.spec.tags).toMatchObject({ environment: "test", "managed-by": "blockfleet" });
      }
    });

    it("pin the Bottlerocket release by alias and keep containers on the second volume", () => {
      const gpu = nodeClass(manifests, "gpu-spot");
      expect(gpu.spec.amiSelectorTerms).toEqual([{ alias: "bottlerocket@v1.66.0" }]);
      expect(gpu.spec.blockDeviceMappings.map((mapping: Json) => [mapping.deviceName, mapping.ebs.volumeSize])).toEqual([
        ["/dev/xvda", "4Gi"],
        ["/dev/xvdb", "500Gi"],
      ]);
      expect(nodeClass(manifests, "default").spec.blockDeviceMappings[1].ebs.volumeSize).toBe("100Gi");
    });

    it("turn on SOCI parallel pull: 10/16mb/10 on general nodes", () => {
      const settings = readToml(nodeClass(manifests, "default").spec.userData);
      expect(settings["settings.container-runtime"]).toEqual({ snapshotter: "soci" });
      expect(settings["settings.container-runtime-plugins.soci-snapshotter"]).toEqual({ "pull-mode": "parallel-pull-unpack" });
      expect(settings["settings.container-runtime-plugins.soci-snapshotter.parallel-pull-unpack"]).toEqual({
        "max-concurrent-downloads-per-image": 10,
        "concurrent-download-chunk-size": "16mb",
        "max-concurrent-unpacks-per-image": 10,
        "discard-unpacked-layers": true,
      });
      expect(settings["settings.bootstrap-commands.k8s-ephemeral-storage"]).toBeUndefined();
    });

    it("turn on SOCI parallel pull at 30/32mb/30 on GPU nodes and bind container storage to the instance-store NVMe disks", () => {
      for (const name of [NODE_POOL_NAMES.gpuSpot, NODE_POOL_NAMES.gpuCapacityBlock, NODE_POOL_NAMES.gpuOnDemand]) {
        const settings = readToml(nodeClass(manifests, name).spec.userData);
        expect(settings["settings.container-runtime-plugins.soci-snapshotter.parallel-pull-unpack"]).toMatchObject({
          "max-concurrent-downloads-per-image": SOCI_PULL_PROFILES.gpu.maxConcurrentDownloadsPerImage,
          "concurrent-download-chunk-size": "32mb",
          "max-concurrent-unpacks-per-image": 30,
        });
        expect(settings["settings.bootstrap-commands.k8s-ephemeral-storage"]).toEqual({
          commands: [
            ["apiclient", "ephemeral-storage", "init"],
            ["apiclient", "ephemeral-storage", "bind", "--dirs", ...INSTANCE_STORE_BOUND_DIRECTORIES],
          ],
          essential: true,
          mode: "always",
        });
        // The boot command is essential, so the pool must only pick instance types that have the disks.
        expect(requirementOf(pool(manifests, name), "karpenter.k8s.aws/instance-local-nvme")).toEqual({
          key: "karpenter.k8s.aws/instance-local-nvme",
          operator: "Gt",
          values: ["0"],
        });
      }
    });

    it("use AL2023 with a single root volume and RAID-0 instance store on GPU nodes when asked", () => {
      const al2023 = variants.al2023;
      expect(nodeClass(al2023, "default").spec).not.toHaveProperty("userData");
      expect(nodeClass(al2023, "default").spec).not.toHaveProperty("instanceStorePolicy");
      expect(nodeClass(al2023, "gpu-spot").spec).toMatchObject({ amiSelectorTerms: [{ alias: "al2023@v20260903" }], instanceStorePolicy: "RAID0" });
      expect(nodeClass(al2023, "gpu-spot").spec.blockDeviceMappings).toEqual([
        { deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: "500Gi", volumeType: "gp3", encrypted: true, deleteOnTermination: true } },
      ]);
    });
  });

  describe("capacity-block pool", () => {
    it("launches only into capacity blocks, as reserved capacity on NVIDIA GPUs", () => {
      const blockPool = pool(manifests, "gpu-capacity-block");
      expect(requirementOf(blockPool, "karpenter.sh/capacity-type")).toEqual({ key: "karpenter.sh/capacity-type", operator: "In", values: ["reserved"] });
      expect(requirementOf(blockPool, "karpenter.k8s.aws/capacity-reservation-type")?.values).toEqual(["capacity-block"]);
      expect(requirementOf(blockPool, "karpenter.k8s.aws/instance-gpu-manufacturer")?.values).toEqual(["nvidia"]);
    });

    it("is never disrupted voluntarily, consolidates only empty nodes, never expires and drains for a long time", () => {
      const blockPool = pool(manifests, "gpu-capacity-block");
      expect(blockPool.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "10m", budgets: [{ nodes: "0" }] });
      expect(blockPool.spec.template.spec).toMatchObject({ expireAfter: "Never", terminationGracePeriod: "24h" });
      expect(blockPool.spec.weight).toBeGreaterThan(pool(manifests, "gpu-spot").spec.weight);
    });

    it("carries the GPU taint and the blockfleet capacity-block taint", () => {
      expect(pool(manifests, "gpu-capacity-block").spec.template.spec.taints).toEqual([
        { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
        { key: "blockfleet.io/capacity-block", value: "true", effect: "NoSchedule" },
      ]);
    });

    it("selects both blocks of an environment with two, by reservation id", () => {
      expect(nodeClass(manifests, "gpu-capacity-block").spec.capacityReservationSelectorTerms).toEqual([
        { id: BLOCK_A.reservation_id },
        { id: BLOCK_B.reservation_id },
      ]);
    });

    it("is absent in an environment without capacity blocks or reservation tags", () => {
      const none = karpenterManifests(input({ capacityBlocks: [] }));
      expect(none.nodePools.map((nodePool) => nodePool.metadata.name)).not.toContain("gpu-capacity-block");
      expect(none.nodeClasses.map((candidate) => candidate.metadata.name)).not.toContain("gpu-capacity-block");
    });

    it("leaves Trainium blocks to their node groups (they are not NVIDIA)", () => {
      const mixed = karpenterManifests(input({ capacityBlocks: [BLOCK_A, TRAINIUM_BLOCK] }));
      expect(nodeClass(mixed, "gpu-capacity-block").spec.capacityReservationSelectorTerms).toEqual([{ id: BLOCK_A.reservation_id }]);
      expect(karpenterManifests(input({ capacityBlocks: [TRAINIUM_BLOCK] })).nodePools.map((nodePool) => nodePool.metadata.name)).not.toContain(
        "gpu-capacity-block",
      );
    });

    it("selects reservations by tag, e.g. blocks bought later, even with no block in the file", () => {
      expect(nodeClass(variants.tagsOnly, "gpu-capacity-block").spec.capacityReservationSelectorTerms).toEqual([
        { tags: { deployment: "test", "blockfleet.io/capacity-consumer": "karpenter" } },
      ]);
    });

    it("never selects a block whose consumer is its node group, by id or by tag", () => {
      // GIVEN a node-group block beside a Karpenter block, and a tag selection
      const manifests = karpenterManifests(
        input({ capacityBlocks: [BLOCK_A, NODE_GROUP_BLOCK] }, { gpu_capacity_block: { reservation_tags: { deployment: "test" } } }),
      );
      // THEN only the Karpenter block is selected by id, and the tag term needs the Karpenter consumer tag
      expect(nodeClass(manifests, "gpu-capacity-block").spec.capacityReservationSelectorTerms).toEqual([
        { id: BLOCK_A.reservation_id },
        { tags: { deployment: "test", "blockfleet.io/capacity-consumer": "karpenter" } },
      ]);
      expect(karpenterManifests(input({ capacityBlocks: [NODE_GROUP_BLOCK] })).nodePools.map((nodePool) => nodePool.metadata.name)).not.toContain(
        "gpu-capacity-block",
      );
    });

    it("is absent when switched off, whatever it could select", () => {
      const off = karpenterManifests(input({}, { gpu_capacity_block: { enabled: false } }));
      expect(off.nodePools.map((nodePool) => nodePool.metadata.name)).toEqual(["default", "gpu-spot", "gpu-on-demand"]);
    });
  });

  describe("other pools", () => {
    it("default: c/m/r from generation 6, spot and on-demand, CPU-limited, consolidated when underutilized", () => {
      const general = pool(manifests, "default");
      expect(general.spec.template.spec.requirements).toEqual(
        expect.arrayContaining([
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: ["c", "m", "r"] },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["5"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot", "on-demand"] },
        ]),
      );
      expect(general.spec.limits).toEqual({ cpu: "1000" });
      expect(general.spec.template.spec.taints).toBeUndefined();
      expect(general.spec.disruption).toEqual({ consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] });
    });

    it("gpu-spot: the configured GPU types on spot, tainted for GPUs, GPU-limited", () => {
      const spot = pool(karpenterManifests(input({}, { gpu_spot: { instance_types: ["g6e.12xlarge", "p6e-gb200.36xlarge"], gpu_limit: 4 } })), "gpu-spot");
      expect(requirementOf(spot, "node.kubernetes.io/instance-type")?.values).toEqual(["g6e.12xlarge", "p6e-gb200.36xlarge"]);
      expect(requirementOf(spot, "karpenter.sh/capacity-type")?.values).toEqual(["spot"]);
      expect(requirementOf(spot, "kubernetes.io/arch")?.values).toEqual(["amd64", "arm64"]);
      expect(spot.spec.template.spec.taints).toEqual([KARPENTER_TAINTS.gpu]);
      expect(spot.spec.limits).toEqual({ "nvidia.com/gpu": "4" });
      expect(spot.spec.disruption).toMatchObject({ consolidationPolicy: "WhenEmpty", budgets: [{ nodes: "10%" }] });
    });

    it("gpu-on-demand: on-demand behind its own taint, limited to 0 GPUs until raised", () => {
      const onDemand = pool(manifests, "gpu-on-demand");
      expect(requirementOf(onDemand, "karpenter.sh/capacity-type")?.values).toEqual(["on-demand"]);
      expect(onDemand.spec.template.spec.taints).toEqual([KARPENTER_TAINTS.gpu, KARPENTER_TAINTS.gpuOnDemand]);
      expect(onDemand.spec.limits).toEqual({ "nvidia.com/gpu": "0" });
    });

    it("GPU pools on Bottlerocket opt their nodes out of a GPU Operator (Bottlerocket brings its own device plugin); AL2023 and general nodes don't", () => {
      const gpuPools = [NODE_POOL_NAMES.gpuSpot, NODE_POOL_NAMES.gpuCapacityBlock, NODE_POOL_NAMES.gpuOnDemand];
      for (const name of gpuPools) {
        expect(pool(manifests, name).spec.template.metadata.labels).toEqual({ "blockfleet.io/node-pool": name, "nvidia.com/gpu.deploy.operands": "false" });
      }
      expect(pool(manifests, "default").spec.template.metadata.labels).toEqual({ "blockfleet.io/node-pool": "default" });
      for (const name of [NODE_POOL_NAMES.gpuSpot, NODE_POOL_NAMES.gpuOnDemand]) {
        expect(pool(variants.al2023, name).spec.template.metadata.labels).not.toHaveProperty(["nvidia.com/gpu.deploy.operands"]);
      }
    });

    it("every pool sets a disruption budget", () => {
      for (const nodePool of all.filter((object) => object.kind === "NodePool")) expect(nodePool.spec.disruption.budgets.length).toBeGreaterThan(0);
    });
  });
});
