/**
 * EKS Auto Mode's NodeClasses (`eks.amazonaws.com/v1`) and the `karpenter.sh/v1` NodePools that use them, mirroring
 * blockfleet's four Karpenter pools: default, GPU spot, GPU capacity block and GPU on-demand fallback. Same names,
 * taints, weights, limits and disruption budgets as the Karpenter pools; requirement keys from Auto Mode's own label
 * set (awsdocs/amazon-eks-user-guide latest/ug/automode/create-node-pool.adoc, "EKS Auto Mode Supported"; reserved
 * capacity from auto-odcr.adoc). Pure data; tests validate them against the schemas in
 * __tests__/fixtures/crds/eks-auto-mode and karpenter-1.14.1.
 */
import type { NodePoolsConfig } from "../../config/karpenter-schema";
import { KARPENTER_DISCOVERY_TAG } from "../../lib/tags";
import {
  capacityReservationTerms,
  KARPENTER_TAINTS,
  NODE_POOL_LABEL,
  NODE_POOL_NAMES,
  type NodePoolManifest,
  type Requirement,
  type Taint,
} from "../karpenter/manifests";

/** Auto Mode replaces a node after at most 21 days (automode.adoc, "Security"); pools may only shorten that. */
export const AUTO_MODE_MAX_NODE_LIFETIME = "504h";

export interface AutoModeNodeClassManifest {
  readonly apiVersion: "eks.amazonaws.com/v1";
  readonly kind: "NodeClass";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly role: string;
    readonly subnetSelectorTerms: Array<{ readonly tags: Record<string, string> }>;
    readonly securityGroupSelectorTerms: Array<{ readonly tags: Record<string, string> }>;
    readonly capacityReservationSelectorTerms?: Array<{ readonly id: string } | { readonly tags: Record<string, string> }>;
    readonly ephemeralStorage: { readonly size: string };
    readonly tags: Record<string, string>;
  };
}

/** A NodePool on Auto Mode's NodeClass: the same `karpenter.sh/v1` object as Karpenter's pools. */
export type AutoModeNodePoolManifest = NodePoolManifest<{ readonly group: "eks.amazonaws.com"; readonly kind: "NodeClass"; readonly name: string }>;

export interface AutoModeManifests {
  /** NodeClass objects (`eks.amazonaws.com/v1`), one per node class the pools use. */
  readonly nodeClasses: AutoModeNodeClassManifest[];
  /** NodePool objects (`karpenter.sh/v1`), each naming its NodeClass. */
  readonly nodePools: AutoModeNodePoolManifest[];
}

export interface AutoModeManifestsInput {
  readonly environment: string;
  readonly clusterName: string;
  /** The Auto Mode node role (EksCluster's `auto-node-role`), named in every NodeClass. */
  readonly nodeRoleName: string;
  readonly nodePools: NodePoolsConfig;
  /** The environment's capacity blocks; the NVIDIA ones whose consumer is `karpenter` are selected by id. */
  readonly capacityBlocks: ReadonlyArray<{ readonly reservation_id: string; readonly instance_type: string; readonly consumer: "node_group" | "karpenter" }>;
  /**
   * Tags the capacity manager puts on the new blocks it buys for this environment; the pool selects them.
   * @default none (the manager buys no new blocks)
   */
  readonly newBlockTags?: Readonly<Record<string, string>>;
}

/** Tag EKS puts on the cluster security group it creates; only AWS can set `aws:` tags. */
const EKS_CLUSTER_SECURITY_GROUP_TAG = "aws:eks:cluster-name";

/** Instance families of an instance type list, for `eks.amazonaws.com/instance-family`. */
function familiesOf(instanceTypes: readonly string[]): string[] {
  return [...new Set(instanceTypes.map((type) => type.split(".")[0]!))];
}

const requirement = (key: string, operator: Requirement["operator"], values: readonly string[]): Requirement => ({ key, operator, values: [...values] });

export function autoModeManifests(input: AutoModeManifestsInput): AutoModeManifests {
  const { nodePools: config } = input;
  const labels = (pool: string) => ({ "app.kubernetes.io/managed-by": "blockfleet", [NODE_POOL_LABEL]: pool });

  const nodeClass = (
    name: string,
    volumeGib: number,
    capacityReservationSelectorTerms?: AutoModeNodeClassManifest["spec"]["capacityReservationSelectorTerms"],
  ): AutoModeNodeClassManifest => ({
    apiVersion: "eks.amazonaws.com/v1",
    kind: "NodeClass",
    metadata: { name, labels: labels(name) },
    spec: {
      role: input.nodeRoleName,
      // The private subnets and security groups blockfleet tags for node discovery, as the Karpenter node classes use.
      subnetSelectorTerms: [{ tags: { [KARPENTER_DISCOVERY_TAG]: input.clusterName } }],
      securityGroupSelectorTerms: [
        { tags: { [KARPENTER_DISCOVERY_TAG]: input.clusterName } },
        { tags: { [EKS_CLUSTER_SECURITY_GROUP_TAG]: input.clusterName } },
      ],
      ...(capacityReservationSelectorTerms ? { capacityReservationSelectorTerms } : {}),
      ephemeralStorage: { size: `${volumeGib}Gi` },
      tags: { environment: input.environment, "managed-by": "blockfleet", [NODE_POOL_LABEL]: name },
    },
  });

  const nodePool = (
    name: string,
    spec: Omit<AutoModeNodePoolManifest["spec"], "template"> & { template: Omit<AutoModeNodePoolManifest["spec"]["template"]["spec"], "nodeClassRef"> },
  ): AutoModeNodePoolManifest => ({
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name, labels: labels(name) },
    spec: {
      ...spec,
      template: {
        metadata: { labels: { [NODE_POOL_LABEL]: name } },
        spec: { nodeClassRef: { group: "eks.amazonaws.com", kind: "NodeClass", name }, ...spec.template },
      },
    },
  });

  const nodeClasses: AutoModeNodeClassManifest[] = [];
  const nodePools: AutoModeNodePoolManifest[] = [];

  if (config.default.enabled) {
    const pool = config.default;
    nodeClasses.push(nodeClass(NODE_POOL_NAMES.default, pool.volume_gib));
    nodePools.push(
      nodePool(NODE_POOL_NAMES.default, {
        limits: { cpu: String(pool.cpu_limit) },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] },
        template: {
          // Auto Mode runs Linux only and does not take kubernetes.io/os as a requirement.
          requirements: [
            requirement("eks.amazonaws.com/instance-category", "In", pool.instance_categories),
            requirement("eks.amazonaws.com/instance-generation", "Gt", [String(pool.min_instance_generation - 1)]),
            requirement("karpenter.sh/capacity-type", "In", pool.capacity_types),
            requirement("kubernetes.io/arch", "In", pool.architectures),
          ],
          expireAfter: AUTO_MODE_MAX_NODE_LIFETIME,
        },
      }),
    );
  }

  /** A GPU pool of listed instance types bought one way (spot or on-demand), limited in GPUs. */
  const addInstanceTypeGpuPool = (
    name: string,
    pool: { readonly instance_types: readonly string[]; readonly gpu_limit: number; readonly volume_gib: number },
    capacityType: "spot" | "on-demand",
    weight: number,
    taints: readonly Taint[],
  ): void => {
    nodeClasses.push(nodeClass(name, pool.volume_gib));
    nodePools.push(
      nodePool(name, {
        weight,
        limits: { "nvidia.com/gpu": String(pool.gpu_limit) },
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "5m", budgets: [{ nodes: "10%" }] },
        template: {
          requirements: [
            requirement("eks.amazonaws.com/instance-family", "In", familiesOf(pool.instance_types)),
            requirement("node.kubernetes.io/instance-type", "In", pool.instance_types),
            requirement("eks.amazonaws.com/instance-gpu-manufacturer", "In", ["nvidia"]),
            requirement("eks.amazonaws.com/instance-gpu-count", "Gt", ["0"]),
            requirement("karpenter.sh/capacity-type", "In", [capacityType]),
          ],
          taints: taints.map((taint) => ({ ...taint })),
          expireAfter: AUTO_MODE_MAX_NODE_LIFETIME,
        },
      }),
    );
  };

  if (config.gpu_spot.enabled) {
    addInstanceTypeGpuPool(NODE_POOL_NAMES.gpuSpot, config.gpu_spot, "spot", 50, [KARPENTER_TAINTS.gpu]);
  }

  // The same terms as Karpenter's pool: `karpenter` blocks by id, and tagged reservations only with the consumer tag.
  const reservationTerms = capacityReservationTerms(input);
  if (config.gpu_capacity_block.enabled && reservationTerms.length > 0) {
    const pool = config.gpu_capacity_block;
    nodeClasses.push(nodeClass(NODE_POOL_NAMES.gpuCapacityBlock, pool.volume_gib, reservationTerms));
    nodePools.push(
      nodePool(NODE_POOL_NAMES.gpuCapacityBlock, {
        weight: 100,
        // A block's nodes are never disrupted voluntarily, as in the Karpenter pool.
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "10m", budgets: [{ nodes: "0" }] },
        template: {
          requirements: [
            requirement("karpenter.sh/capacity-type", "In", ["reserved"]),
            requirement("eks.amazonaws.com/instance-gpu-manufacturer", "In", ["nvidia"]),
            requirement("eks.amazonaws.com/instance-gpu-count", "Gt", ["0"]),
            requirement("kubernetes.io/arch", "In", ["amd64", "arm64"]),
          ],
          taints: [{ ...KARPENTER_TAINTS.gpu }, { ...KARPENTER_TAINTS.capacityBlock }],
          // Auto Mode replaces every node within 21 days whatever the pool says; the grace period still lets jobs checkpoint.
          expireAfter: AUTO_MODE_MAX_NODE_LIFETIME,
          terminationGracePeriod: pool.termination_grace_period,
        },
      }),
    );
  }

  if (config.gpu_on_demand.enabled) {
    addInstanceTypeGpuPool(NODE_POOL_NAMES.gpuOnDemand, config.gpu_on_demand, "on-demand", 10, [KARPENTER_TAINTS.gpu, KARPENTER_TAINTS.gpuOnDemand]);
  }

  return { nodeClasses, nodePools };
}
