/**
 * On EKS Auto Mode every pod blockfleet installs must land on a node that exists. What the node inventory is built from:
 * - Auto Mode's built-in pools: `system` nodes carry `karpenter.sh/nodepool: system` and the `CriticalAddonsOnly`
 *   taint; `general-purpose` nodes are untainted (awsdocs/amazon-eks-user-guide latest/ug/automode/critical-workload.adoc
 *   at 390223ef50785e42bd70f41d6d5216d8261b1627, set-builtin-node-pools.adoc at 01c16ed8b31533d1b829b7e185345e3af01ce43b).
 *   Every Auto Mode node carries `eks.amazonaws.com/compute-type: auto` (auto-accelerated.adoc at
 *   031299c7087381e4774ffa8e4784f2ac77ff07d9).
 * - blockfleet's Auto Mode NodePools, read from the synthesized manifests: template labels, `In` requirements (Karpenter
 *   labels nodes with them) and template taints.
 * - Managed node groups, read from the synthesized aws_eks_node_group: labels and taints.
 * - Chart keys: external-secrets `values.yaml` at tag helm-chart-2.0.1 (8da4c674d25a18cefc3bbb725ab3873624d4841e) has
 *   nodeSelector/tolerations at the top level, under `webhook` and under `certController`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Synthesized, synthesizeWith } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const EFFECTS: Record<string, string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" };

interface Node {
  readonly source: string;
  readonly labels: ReadonlyMap<string, ReadonlySet<string>>;
  readonly taints: ReadonlyArray<{ key: string; effect: string }>;
}

interface Placement {
  readonly where: string;
  readonly nodeSelector?: Record<string, string>;
  readonly terms?: Array<{ matchExpressions: Array<{ key: string; operator: string; values?: string[] }> }>;
  readonly tolerations: Array<{ key?: string; operator?: string; effect?: string }>;
}

const labelMap = (entries: Array<[string, string[]]>): Map<string, Set<string>> => new Map(entries.map(([key, values]) => [key, new Set(values)]));

/** Every node kind the synthesized environment can run. */
function nodesOf(out: Synthesized): Node[] {
  const nodes: Node[] = [];
  for (const [stackName, stack] of Object.entries(out.stacks)) {
    for (const [, cluster] of Object.entries((stack.resource?.aws_eks_cluster ?? {}) as Json)) {
      for (const pool of (cluster.compute_config?.node_pools ?? []) as string[]) {
        nodes.push({
          source: `built-in ${pool}`,
          labels: labelMap([
            ["karpenter.sh/nodepool", [pool]],
            ["eks.amazonaws.com/compute-type", ["auto"]],
          ]),
          taints: pool === "system" ? [{ key: "CriticalAddonsOnly", effect: "NoSchedule" }] : [],
        });
      }
    }
    for (const [id, group] of out.resources(stackName, "aws_eks_node_group")) {
      const labels = Object.entries((group.labels ?? {}) as Record<string, string>).map(([key, value]): [string, string[]] => [key, [value]]);
      const taints = ((group.taint ?? []) as Json[]).map((taint) => ({ key: taint.key as string, effect: EFFECTS[taint.effect as string]! }));
      nodes.push({ source: `node group ${id}`, labels: labelMap(labels), taints });
    }
    for (const [, resource] of out.resources(stackName, "kubernetes_manifest")) {
      const manifest = resource.manifest as Json;
      if (manifest.kind !== "NodePool") continue;
      const template = manifest.spec.template;
      const labels: Array<[string, string[]]> = [
        ...Object.entries((template.metadata?.labels ?? {}) as Record<string, string>).map(([key, value]): [string, string[]] => [key, [value]]),
        ["karpenter.sh/nodepool", [manifest.metadata.name]],
        ["eks.amazonaws.com/compute-type", ["auto"]],
        ...((template.spec.requirements ?? []) as Json[])
          .filter((requirement) => requirement.operator === "In")
          .map((requirement): [string, string[]] => [requirement.key, requirement.values]),
      ];
      nodes.push({
        source: `NodePool ${manifest.metadata.name}`,
        labels: labelMap(labels),
        taints: ((template.spec.taints ?? []) as Json[]).map((taint) => ({ key: taint.key, effect: taint.effect })),
      });
    }
  }
  return nodes;
}

/** Every object in the values that places pods: a nodeSelector or required node affinity, with its sibling tolerations. */
function placementsIn(value: unknown, where: string, into: Placement[]): Placement[] {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) placementsIn(item, `${where}[${index}]`, into);
  } else if (value !== null && typeof value === "object") {
    const object = value as Json;
    const nodeSelector =
      object.nodeSelector && typeof object.nodeSelector === "object" && !Array.isArray(object.nodeSelector) && Object.keys(object.nodeSelector).length > 0
        ? object.nodeSelector
        : undefined;
    const terms = object.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (nodeSelector || terms) into.push({ where, nodeSelector, terms, tolerations: object.tolerations ?? [] });
    for (const [key, child] of Object.entries(object)) {
      if (key !== "nodeSelector" && key !== "affinity") placementsIn(child, `${where}.${key}`, into);
    }
  }
  return into;
}

function placementsOf(out: Synthesized): Placement[] {
  const placements: Placement[] = [];
  for (const stackName of Object.keys(out.stacks)) {
    for (const [, release] of out.resources(stackName, "helm_release")) {
      for (const values of (release.values ?? []) as string[]) placementsIn(JSON.parse(values), String(release.chart), placements);
    }
    for (const [id, resource] of out.resources(stackName, "kubernetes_manifest")) {
      if ((resource.manifest as Json).kind !== "NodePool") placementsIn(resource.manifest, `kubernetes_manifest.${id}`, placements);
    }
  }
  return placements;
}

const tolerates = (tolerations: Placement["tolerations"], taint: { key: string; effect: string }): boolean =>
  tolerations.some(
    (toleration) => (toleration.key === undefined || toleration.key === taint.key) && (toleration.effect === undefined || toleration.effect === taint.effect),
  );

const selectorMatches = (node: Node, selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([key, value]) => node.labels.get(key)?.has(value) ?? false);

const termMatches = (node: Node, term: NonNullable<Placement["terms"]>[number]): boolean =>
  term.matchExpressions.every((expression) =>
    expression.operator === "Exists"
      ? node.labels.has(expression.key)
      : expression.operator === "In"
        ? (expression.values ?? []).some((value) => node.labels.get(expression.key)?.has(value))
        : false,
  );

/** Nodes a placement can schedule onto: selector and (per term) affinity match, every taint tolerated. */
function landingNodes(placement: Placement, nodes: readonly Node[]): Node[] {
  return nodes.filter(
    (node) =>
      (!placement.nodeSelector || selectorMatches(node, placement.nodeSelector)) &&
      (!placement.terms || placement.terms.some((term) => termMatches(node, term))) &&
      node.taints.every((taint) => tolerates(placement.tolerations, taint)),
  );
}

describe("an Auto Mode environment with every platform feature it allows", () => {
  let out: Synthesized;
  let nodes: Node[];
  let placements: Placement[];

  beforeAll(async () => {
    // GIVEN Auto Mode with its system pool, GPU pools, a Karpenter-consumed block, AL2023 (EFA) and Bottlerocket
    // (tainted) node-group blocks, and External Secrets, Reloader, the device plugin, the EFA plugin and DCGM
    out = await synthesizeWith({
      cluster: { version: "1.34", auto_mode: true },
      node_pools: { gpu_spot: { instance_types: ["g6e.12xlarge"], gpu_limit: 8 }, gpu_on_demand: { instance_types: ["g6e.12xlarge"], gpu_limit: 8 } },
      capacity_blocks: [
        {
          name: "p5-auto",
          reservation_id: "cr-0aaaaaaaaaaaaaaa1",
          instance_type: "p5.48xlarge",
          instance_count: 1,
          availability_zone: "us-east-1a",
          consumer: "karpenter",
        },
        { name: "p5-al", reservation_id: "cr-0bbbbbbbbbbbbbbb2", instance_type: "p5.48xlarge", instance_count: 1, availability_zone: "us-east-1b", efa: true },
        {
          name: "p5-br",
          reservation_id: "cr-0ccccccccccccccc3",
          instance_type: "p5.48xlarge",
          instance_count: 1,
          availability_zone: "us-east-1b",
          ami_type: "BOTTLEROCKET_x86_64_NVIDIA",
          taints: [{ key: "workload", value: "inference", effect: "NO_SCHEDULE" }],
        },
      ],
      platform: {
        model_registry: {},
        secrets: { oidc_providers: [{ name: "Okta", key: "okta", issuer_url: "https://example.okta.com", client_id: "abc123" }] },
        external_secrets: {},
        reloader: {},
        gpu: { nvidia_device_plugin: true, dcgm_exporter: true, efa_device_plugin: true },
        auto_mode_ingress: { certificate_arn: CERTIFICATE, scheme: "internal" },
      },
    });
    nodes = nodesOf(out);
    placements = placementsOf(out);
  });

  it("installs the controllers and GPU daemons it was asked for", () => {
    const charts = Object.keys(out.stacks).flatMap((stack) => out.resources(stack, "helm_release").map(([, body]) => body.chart as string));
    expect(charts.sort()).toEqual(["aws-efa-k8s-device-plugin", "dcgm-exporter", "external-secrets", "nvidia-device-plugin", "reloader"]);
    expect(placements.length).toBeGreaterThanOrEqual(6);
  });

  it("places every pod on a node some Auto Mode pool or node group provides, tolerating that node's taints", () => {
    const stranded = placements.filter((placement) => landingNodes(placement, nodes).length === 0).map((placement) => placement.where);
    expect(stranded, `nodes: ${JSON.stringify(nodes.map((node) => node.source))}`).toEqual([]);
  });

  it("lets no affinity term point at nodes that don't exist", () => {
    const deadTerms = placements.flatMap((placement) =>
      (placement.terms ?? []).filter((term) => !nodes.some((node) => termMatches(node, term))).map((term) => `${placement.where}: ${JSON.stringify(term)}`),
    );
    expect(deadTerms).toEqual([]);
  });

  it("runs the controllers on Auto Mode's system pool, never on the system node group it doesn't have", () => {
    const controllers = placements.filter((placement) => /^(external-secrets|reloader)\b/.test(placement.where));
    expect(controllers.map((placement) => placement.where).sort()).toEqual([
      "external-secrets",
      "external-secrets.certController",
      "external-secrets.webhook",
      "reloader.reloader.deployment",
    ]);
    for (const placement of controllers) {
      expect(landingNodes(placement, nodes).map((node) => node.source)).toEqual(["built-in system"]);
    }
  });

  it("gives DCGM the Auto Mode NVIDIA nodes and the node-group blocks, and the device plugin only the AL2023 block", () => {
    const dcgm = placements.find((placement) => placement.where === "dcgm-exporter")!;
    expect(
      landingNodes(dcgm, nodes)
        .map((node) => node.source)
        .sort(),
    ).toEqual(
      ["NodePool gpu-capacity-block", "NodePool gpu-on-demand", "NodePool gpu-spot", expect.stringContaining("p5-al"), expect.stringContaining("p5-br")].sort(),
    );
    const plugin = placements.find((placement) => placement.where === "nvidia-device-plugin")!;
    expect(landingNodes(plugin, nodes).map((node) => node.source)).toEqual([expect.stringContaining("p5-al")]);
  });

  it("runs CoreDNS beside the node groups, tolerating their taints (Auto Mode's node-local DNS doesn't serve them)", () => {
    const addons = out.resources("test-cluster", "aws_eks_addon").map(([, body]) => body);
    expect(addons.map((addon) => addon.addon_name).sort()).toEqual(["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    const coredns = addons.find((addon) => addon.addon_name === "coredns")!;
    const tolerations = JSON.parse(String(coredns.configuration_values)).tolerations as Placement["tolerations"];
    const groups = nodes.filter((node) => node.source.startsWith("node group"));
    expect(groups).toHaveLength(2);
    for (const group of groups)
      expect(
        group.taints.every((taint) => tolerates(tolerations, taint)),
        group.source,
      ).toBe(true);
  });
});
