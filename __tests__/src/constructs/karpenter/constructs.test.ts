import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { nodePoolsSchema } from "../../../../src/config/karpenter-schema";
import { karpenterManifests } from "../../../../src/constructs/karpenter/manifests";
import { karpenterNames } from "../../../../src/constructs/karpenter/names";
import { KarpenterNodePools } from "../../../../src/constructs/karpenter/node-pools";
import { KarpenterRelease } from "../../../../src/constructs/karpenter/release";
import { naming } from "../../../../src/lib/naming";

const names = karpenterNames(naming("test"));
const stack = () => new TerraformStack(Testing.app(), "test");

describe("Karpenter constructs", () => {
  it("fails when the release is asked for no controller replicas", () => {
    expect(
      () =>
        new KarpenterRelease(stack(), "karpenter", {
          clusterName: "blockfleet-test",
          clusterEndpoint: "https://example",
          names,
          chartVersion: "1.14.1",
          replicas: 0,
          systemNodeMinSize: 2,
          dependsOn: [],
        }),
    ).toThrow("karpenter release: replicas must be a whole number >= 1, got 0");
  });

  it("fails when there are more controller replicas than system nodes to keep them apart", () => {
    // GIVEN 3 replicas and a system node group of at least 2 nodes  THEN the third replica could never schedule
    expect(
      () =>
        new KarpenterRelease(stack(), "karpenter", {
          clusterName: "blockfleet-test",
          clusterEndpoint: "https://example",
          names,
          chartVersion: "1.14.1",
          replicas: 3,
          systemNodeMinSize: 2,
          dependsOn: [],
        }),
    ).toThrow(
      "karpenter release: replicas must not exceed systemNodeMinSize (each replica needs a system node of its own; karpenter.replicas vs system_node_group.min_size), got replicas=3, systemNodeMinSize=2",
    );
  });

  it("moves the CRD chart with the controller chart when the version changes", () => {
    // GIVEN a release pinned to another version  WHEN synthesized  THEN both charts carry it
    const scope = stack();
    new KarpenterRelease(scope, "karpenter", {
      clusterName: "blockfleet-test",
      clusterEndpoint: "https://example",
      names,
      chartVersion: "1.8.2",
      systemNodeMinSize: 2,
      dependsOn: [],
    });
    const releases = Object.values(JSON.parse(Testing.synth(scope)).resource.helm_release as Record<string, { chart: string; version: string }>);
    expect(releases.map((release) => [release.chart, release.version]).sort()).toEqual([
      ["oci://public.ecr.aws/karpenter/karpenter", "1.8.2"],
      ["oci://public.ecr.aws/karpenter/karpenter-crd", "1.8.2"],
    ]);
  });

  it("fails when a NodePool refers to a node class that is not applied", () => {
    const manifests = karpenterManifests({
      environment: "test",
      clusterName: "blockfleet-test",
      nodeRoleName: names.nodeRoleName,
      amiFamily: "bottlerocket",
      amiAliasVersion: "v1.66.0",
      nodePools: nodePoolsSchema.parse({}),
      capacityBlocks: [],
    });
    const withoutDefaultClass = { ...manifests, nodeClasses: manifests.nodeClasses.filter((nodeClass) => nodeClass.metadata.name !== "default") };
    expect(() => new KarpenterNodePools(stack(), "node-pools", { manifests: withoutDefaultClass })).toThrow(
      'karpenter node pools: NodePool "default" refers to EC2NodeClass "default", which is not among ["gpu-spot","gpu-on-demand"]',
    );
  });

  it("derives every physical name from the environment within AWS limits", () => {
    const long = karpenterNames(naming("abcdefghijklmnop"));
    expect(names.queueName).toBe("blockfleet-test-karpenter");
    expect(long.ruleName("capacity-interruption").length).toBeLessThanOrEqual(64);
    expect(long.ruleName("capacity-interruption")).toBe("blockfleet-abcdefghijklmnop-karpenter-capacity-interruption");
    expect(long.controllerRoleName.length).toBeLessThanOrEqual(64);
  });
});
