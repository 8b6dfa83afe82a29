import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { nodePoolsSchema } from "../../src/config/karpenter-schema";
import { karpenterManifests, type NodePoolManifest, type Taint } from "../../src/constructs/karpenter/manifests";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

interface Toleration {
  readonly key?: string;
  readonly operator?: "Equal" | "Exists";
  readonly value?: string;
  readonly effect?: string;
}

const podSpecOf = (file: string): Json => (parse(readFileSync(`examples/${file}`, "utf8")) as Json).spec.template.spec;

const tolerates = (tolerations: readonly Toleration[], taint: Taint): boolean =>
  tolerations.some(
    (toleration) =>
      (toleration.key === undefined || toleration.key === taint.key) &&
      (toleration.operator === "Exists" || toleration.value === taint.value) &&
      (toleration.effect === undefined || toleration.effect === taint.effect),
  );

/** Whether every node a pool launches carries the selector's label value, as Karpenter decides it. */
function guaranteesLabel(pool: NodePoolManifest, key: string, value: string): boolean {
  if (key === "karpenter.sh/nodepool") return pool.metadata.name === value;
  if (pool.spec.template.metadata.labels[key] !== undefined) return pool.spec.template.metadata.labels[key] === value;
  const requirement = pool.spec.template.spec.requirements.find((candidate) => candidate.key === key);
  return requirement?.operator === "In" && requirement.values.length === 1 && requirement.values[0] === value;
}

/** Node pools a pod spec can be scheduled on: it tolerates every taint and every selected label is guaranteed. */
function poolsFor(podSpec: Json, pools: readonly NodePoolManifest[]): string[] {
  const tolerations = (podSpec.tolerations ?? []) as Toleration[];
  const selector = (podSpec.nodeSelector ?? {}) as Record<string, string>;
  return pools
    .filter((pool) => (pool.spec.template.spec.taints ?? []).every((taint) => tolerates(tolerations, taint)))
    .filter((pool) => Object.entries(selector).every(([key, value]) => guaranteesLabel(pool, key, value)))
    .map((pool) => pool.metadata.name);
}

describe("examples", () => {
  // GIVEN the node pools of an environment with a capacity block (every pool present)
  const { nodePools } = karpenterManifests({
    environment: "test",
    clusterName: "blockfleet-test",
    nodeRoleName: "blockfleet-test-karpenter-node",
    amiFamily: "bottlerocket",
    amiAliasVersion: "v1.66.0",
    nodePools: nodePoolsSchema.parse({}),
    capacityBlocks: [{ reservation_id: "cr-0123456789abcdef0", instance_type: "p5.48xlarge", consumer: "karpenter" }],
  });

  it("inflate lands on the default pool and nowhere else", () => {
    expect(poolsFor(podSpecOf("inflate.yaml"), nodePools)).toEqual(["default"]);
  });

  it("the GPU smoke test tolerates the capacity-block pool's taints and selects only that pool", () => {
    const spec = podSpecOf("gpu-smoke-test.yaml");
    expect(poolsFor(spec, nodePools)).toEqual(["gpu-capacity-block"]);
    expect(spec.containers[0].command).toEqual(["nvidia-smi"]);
    expect(spec.containers[0].resources.limits["nvidia.com/gpu"]).toBe(1);
  });

  it("the check would notice a missing toleration", () => {
    // GIVEN the smoke test without the blockfleet capacity-block toleration  THEN no pool admits it
    const spec = podSpecOf("gpu-smoke-test.yaml");
    const withoutBlockToleration = {
      ...spec,
      tolerations: spec.tolerations.filter((toleration: Toleration) => toleration.key !== "blockfleet.io/capacity-block"),
    };
    expect(poolsFor(withoutBlockToleration, nodePools)).toEqual([]);
  });
});
