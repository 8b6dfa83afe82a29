import { describe, expect, it } from "vitest";
import { devicePluginNodeTerms, fleetUsesEfa, type GpuBlock, gpuTolerations, nvidiaNodeTerms } from "../../../../src/constructs/platform/gpu-scheduling";

const block = (name: string, overrides: Partial<GpuBlock> = {}): GpuBlock => ({
  name,
  instance_type: "p5.48xlarge",
  ami_type: "AL2023_x86_64_NVIDIA",
  efa: false,
  taints: [],
  ...overrides,
});
const al2023 = block("al-a");
const bottlerocket = block("br-b", { ami_type: "BOTTLEROCKET_x86_64_NVIDIA" });
const trainium = block("trn-c", { instance_type: "trn2.48xlarge", ami_type: "AL2023_x86_64_NEURON" });
const karpenterNvidia = {
  matchExpressions: [
    { key: "blockfleet.io/node-pool", operator: "Exists" },
    { key: "karpenter.k8s.aws/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
  ],
};

describe("GPU scheduling", () => {
  it("runs the device plugin on AL2023 NVIDIA blocks only, never on Bottlerocket or Trainium", () => {
    // GIVEN one block of each kind and Karpenter on Bottlerocket  WHEN terms are computed  THEN only the AL2023 NVIDIA block
    expect(devicePluginNodeTerms({ capacityBlocks: [al2023, bottlerocket, trainium], karpenterAmiFamily: "bottlerocket" })).toEqual([
      { matchExpressions: [{ key: "blockfleet.io/capacity-block", operator: "In", values: ["al-a"] }] },
    ]);
  });

  it("adds Karpenter's NVIDIA nodes to the device plugin when Karpenter runs AL2023", () => {
    expect(devicePluginNodeTerms({ capacityBlocks: [bottlerocket], karpenterAmiFamily: "al2023" })).toEqual([karpenterNvidia]);
  });

  it("needs no device plugin when every NVIDIA node runs Bottlerocket", () => {
    expect(devicePluginNodeTerms({ capacityBlocks: [bottlerocket], karpenterAmiFamily: "bottlerocket" })).toEqual([]);
    expect(devicePluginNodeTerms({ capacityBlocks: [] })).toEqual([]);
  });

  it("collects metrics from every NVIDIA node whatever its AMI", () => {
    expect(nvidiaNodeTerms({ capacityBlocks: [al2023, bottlerocket, trainium], karpenterAmiFamily: "bottlerocket" })).toEqual([
      { matchExpressions: [{ key: "blockfleet.io/capacity-block", operator: "In", values: ["al-a", "br-b"] }] },
      karpenterNvidia,
    ]);
    expect(nvidiaNodeTerms({ capacityBlocks: [trainium] })).toEqual([]);
  });

  it("wants the EFA plugin exactly when a block uses EFA", () => {
    expect(fleetUsesEfa({ capacityBlocks: [al2023, bottlerocket] })).toBe(false);
    expect(fleetUsesEfa({ capacityBlocks: [al2023, { ...bottlerocket, efa: true }] })).toBe(true);
  });

  it("tolerates the accelerator, Karpenter's GPU pool taints and each block's own taints, once each", () => {
    const tainted = block("t", {
      taints: [
        { key: "workload", effect: "NO_SCHEDULE" },
        { key: "nvidia.com/gpu", effect: "NO_SCHEDULE" },
        { key: "drain", effect: "NO_EXECUTE" },
      ],
    });
    expect(gpuTolerations({ capacityBlocks: [tainted, tainted] })).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      { key: "blockfleet.io/capacity-block", operator: "Exists", effect: "NoSchedule" },
      { key: "blockfleet.io/gpu-on-demand", operator: "Exists", effect: "NoSchedule" },
      { key: "workload", operator: "Exists", effect: "NoSchedule" },
      { key: "drain", operator: "Exists", effect: "NoExecute" },
    ]);
  });
});
