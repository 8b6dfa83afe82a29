/**
 * EKS Auto Mode on the synthesized JSON. What the values are checked against:
 * - aws_eks_cluster arguments: hashicorp/terraform-provider-aws internal/service/eks/cluster.go (stored commit
 *   00555dc5b38f92abbfa230badea0ed0754cea81e): compute_config {enabled, node_pools, node_role_arn},
 *   kubernetes_network_config.elastic_load_balancing.enabled, storage_config.block_storage.enabled,
 *   bootstrap_self_managed_addons (ForceNew); validateAutoModeCustomizeDiff refuses the three capabilities unless all
 *   are on or all off; node_pools takes "general-purpose" and "system" (nodePoolType_Values); access entry type "EC2".
 * - IAM: awsdocs/amazon-eks-user-guide latest/ug/automode/auto-learn-iam.adoc (cluster role: AmazonEKSComputePolicy,
 *   AmazonEKSBlockStoragePolicy, AmazonEKSLoadBalancingPolicy, AmazonEKSNetworkingPolicy, AmazonEKSClusterPolicy;
 *   node role: AmazonEKSWorkerNodeMinimalPolicy, AmazonEC2ContainerRegistryPullOnly), auto-enable-existing.adoc
 *   (sts:TagSession in the cluster role's trust policy), create-node-class.adoc (the node role needs an access entry
 *   with AmazonEKSAutoNodePolicy; EKS creates it for compute_config.node_role_arn), all at
 *   4d52b4d05e3478582e7d10a73cbd9ba9194dd5f7 (2024-12-18) and the newer stored versions named in
 *   __tests__/fixtures/crds/eks-auto-mode/SOURCE.md.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { AUTO_MODE_CLUSTER_POLICIES, AUTO_MODE_NODE_POLICIES } from "../../src/constructs/eks-cluster";
import { autoModeCelErrors, autoModeSchemaErrors } from "../src/constructs/auto-mode/auto-mode-schema-validation";
import { celErrors, crdErrors } from "../src/constructs/karpenter/crd-validation";
import { baseEnvironmentInput, type Synthesized, synthesizeWith } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const KARPENTER_BLOCK = {
  name: "p5-auto",
  reservation_id: "cr-0aaaaaaaaaaaaaaa1",
  instance_type: "p5.48xlarge",
  instance_count: 1,
  availability_zone: "us-east-1a",
  consumer: "karpenter",
};
const NODE_GROUP_BLOCK = {
  name: "p5-group",
  reservation_id: "cr-0bbbbbbbbbbbbbbb2",
  instance_type: "p5.48xlarge",
  instance_count: 1,
  availability_zone: "us-east-1b",
};

const policiesOf = (out: Synthesized, stack: string, roleId: string): string[] =>
  out
    .resources(stack, "aws_iam_role_policy_attachment")
    .filter(([id]) => id.startsWith(`eks_${roleId}-`))
    .map(([, body]) => String(body.policy_arn).split("/").pop()!)
    .sort();

describe("an Auto Mode environment", () => {
  let out: Synthesized;
  const CLUSTER = "test-cluster";

  beforeAll(async () => {
    // GIVEN Auto Mode with its system pool, a Karpenter-consumed block, a node-group block and the Auto Mode ingress class
    out = await synthesizeWith({
      cluster: { version: "1.34", auto_mode: true },
      capacity_blocks: [KARPENTER_BLOCK, NODE_GROUP_BLOCK],
      platform: { auto_mode_ingress: { certificate_arn: CERTIFICATE, scheme: "internet-facing" } },
    });
  });

  it("turns on compute, block storage and load balancing together, without bootstrapping self-managed add-ons", () => {
    const cluster = out.resource(CLUSTER, "aws_eks_cluster");
    expect(cluster.compute_config).toEqual({
      enabled: true,
      node_pools: ["system"],
      node_role_arn: expect.stringContaining("aws_iam_role.eks_auto-node-role"),
    });
    expect(cluster.kubernetes_network_config).toEqual({ elastic_load_balancing: { enabled: true } });
    expect(cluster.storage_config).toEqual({ block_storage: { enabled: true } });
    expect(cluster.bootstrap_self_managed_addons).toBe(false);
    // Auto Mode requires access entries (API or API_AND_CONFIG_MAP); the cluster is API-only.
    expect(cluster.access_config).toMatchObject({ authentication_mode: "API" });
  });

  it("gives the cluster role the policies Auto Mode needs, and a trust policy with sts:TagSession", () => {
    expect(policiesOf(out, CLUSTER, "cluster-role")).toEqual(
      [...AUTO_MODE_CLUSTER_POLICIES, "AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"].sort(),
    );
    const trust = JSON.parse(String(out.resource(CLUSTER, "aws_iam_role", "eks_cluster-role").assume_role_policy));
    expect(trust.Statement[0].Action).toEqual(expect.arrayContaining(["sts:AssumeRole", "sts:TagSession"]));
  });

  it("gives Auto Mode nodes their own role with the minimal worker policy and image pulls only", () => {
    expect(policiesOf(out, CLUSTER, "auto-node-role")).toEqual([...AUTO_MODE_NODE_POLICIES].sort());
    expect(out.resource(CLUSTER, "aws_iam_role", "eks_auto-node-role").name).toBe("blockfleet-test-auto-node");
    // With a built-in pool EKS creates the node role's access entry itself; a second one would conflict.
    expect(out.resources(CLUSTER, "aws_eks_access_entry").filter(([id]) => id.includes("auto-node"))).toEqual([]);
  });

  it("has no system node group (Auto Mode's system pool serves), keeps the node-group block's group and the add-ons its nodes need", () => {
    const groups = out.resources(CLUSTER, "aws_eks_node_group").map(([id]) => id);
    expect(groups.some((id) => id.includes("system-nodes"))).toBe(false);
    expect(groups.filter((id) => id.includes("capacity-block-p5-group"))).toHaveLength(1);
    expect(groups.some((id) => id.includes("p5-auto"))).toBe(false);
    // Pods on managed nodes can't use Auto Mode's node-local DNS: CoreDNS runs too, tolerating the GPU group's taint
    // (awsdocs/amazon-eks-user-guide latest/ug/workloads/eks-add-ons.adoc, "Considerations for Amazon EKS Auto Mode").
    expect(
      out
        .resources(CLUSTER, "aws_eks_addon")
        .map(([, body]) => body.addon_name)
        .sort(),
    ).toEqual(["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    const coredns = out.resource(CLUSTER, "aws_eks_addon", "addon-coredns");
    const configuration = JSON.parse(String(coredns.configuration_values));
    // It may also run on Auto Mode's system pool, so the add-on turns ACTIVE before any block's nodes exist.
    expect(configuration.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      {
        matchExpressions: [
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "eks.amazonaws.com/compute-type", operator: "NotIn", values: ["fargate", "hybrid"] },
        ],
      },
    ]);
    expect(configuration).toEqual({
      affinity: configuration.affinity,
      tolerations: [
        { key: "CriticalAddonsOnly", operator: "Exists" },
        { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
        { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
      ],
    });
  });

  it("has no Karpenter stacks and no load balancer controller release", () => {
    const stacks = Object.keys(out.stacks);
    expect(stacks).not.toContain("test-karpenter");
    expect(stacks).not.toContain("test-karpenter-pools");
    expect(stacks).not.toContain("test-platform-k8s");
    expect(JSON.stringify(out.stacks)).not.toContain("aws-load-balancer-controller");
    expect(JSON.stringify(out.stacks)).not.toContain("oci://public.ecr.aws/karpenter");
  });

  it("applies the four NodeClasses and NodePools, valid against their schemas, after the cluster stack", () => {
    const manifests = out.resources("test-auto-mode-pools", "kubernetes_manifest").map(([, body]) => body.manifest as Json);
    const kinds = manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).sort();
    expect(kinds).toEqual([
      "NodeClass/default",
      "NodeClass/gpu-capacity-block",
      "NodeClass/gpu-on-demand",
      "NodeClass/gpu-spot",
      "NodePool/default",
      "NodePool/gpu-capacity-block",
      "NodePool/gpu-on-demand",
      "NodePool/gpu-spot",
    ]);
    for (const manifest of manifests) {
      if (manifest.kind === "NodeClass") {
        expect([...autoModeSchemaErrors(manifest as never), ...autoModeCelErrors(manifest)], manifest.metadata.name).toEqual([]);
      } else {
        expect([...crdErrors(manifest as never), ...celErrors(manifest)], manifest.metadata.name).toEqual([]);
      }
    }
    const capacityBlockClass = manifests.find((manifest) => manifest.kind === "NodeClass" && manifest.metadata.name === "gpu-capacity-block")!;
    expect(capacityBlockClass.spec.capacityReservationSelectorTerms).toEqual([{ id: KARPENTER_BLOCK.reservation_id }]);
  });

  it("points the alb IngressClass at Auto Mode's controller and its IngressClassParams with TLS 1.3", () => {
    const manifests = out.resources("test-platform-manifests", "kubernetes_manifest").map(([, body]) => body.manifest as Json);
    const params = manifests.find((manifest) => manifest.kind === "IngressClassParams")!;
    expect(params.apiVersion).toBe("eks.amazonaws.com/v1");
    expect(autoModeSchemaErrors(params as never)).toEqual([]);
    expect(params.spec).toMatchObject({ scheme: "internet-facing", certificateARNs: [CERTIFICATE], sslPolicy: expect.stringContaining("TLS13") });
    expect(manifests.find((manifest) => manifest.kind === "IngressClass")!.spec.controller).toBe("eks.amazonaws.com/alb");
  });
});

describe("an Auto Mode environment without built-in pools", () => {
  it("names no node role to EKS, joins blockfleet's node role through an EC2 access entry with AmazonEKSAutoNodePolicy, and keeps a system node group with CoreDNS", async () => {
    // GIVEN Auto Mode with no built-in pools and only node-group blocks
    const out = await synthesizeWith({
      cluster: { version: "1.34", auto_mode: true, auto_mode_node_pools: [] },
      capacity_blocks: baseEnvironmentInput().capacity_blocks,
    });
    const cluster = out.resource("test-cluster", "aws_eks_cluster");
    expect(cluster.compute_config).toEqual({ enabled: true });
    const entry = out.resource("test-cluster", "aws_eks_access_entry", "auto-node-access");
    expect(entry).toMatchObject({ type: "EC2", principal_arn: expect.stringContaining("aws_iam_role.eks_auto-node-role") });
    const association = out.resource("test-cluster", "aws_eks_access_policy_association", "auto-node-access");
    expect(association.policy_arn).toMatch(/^arn:\$\{[^}]+\}:eks::aws:cluster-access-policy\/AmazonEKSAutoNodePolicy$/);
    expect(association.access_scope).toEqual({ type: "cluster" });
    expect(out.resources("test-cluster", "aws_eks_node_group").filter(([id]) => id.includes("system-nodes"))).toHaveLength(1);
    // The system node group runs CoreDNS, as on a cluster without Auto Mode.
    expect(
      out
        .resources("test-cluster", "aws_eks_addon")
        .map(([, body]) => body.addon_name)
        .sort(),
    ).toEqual(["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
  });
});

describe("an Auto Mode environment with nothing but Auto Mode nodes", () => {
  it("installs no managed add-ons: Auto Mode nodes carry networking and DNS", async () => {
    // GIVEN Auto Mode with its system pool and only a Karpenter-consumed block
    const out = await synthesizeWith({ cluster: { version: "1.34", auto_mode: true }, capacity_blocks: [KARPENTER_BLOCK] });
    // THEN no add-on and no node group
    expect(out.resources("test-cluster", "aws_eks_addon")).toEqual([]);
    expect(out.resources("test-cluster", "aws_eks_node_group")).toEqual([]);
  });
});
