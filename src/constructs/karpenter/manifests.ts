/**
 * Karpenter EC2NodeClasses and NodePools as plain objects, built from the environment file. Pure: the pools stack
 * wraps them in kubernetes_manifest, tests validate them against the CRDs directly.
 */
import type { AmiFamily, NodePoolsConfig } from "../../config/karpenter-schema";
import { GPU_OPERATOR_OPT_OUT_LABEL } from "../../config/platform-schema";
import { BOTTLEROCKET_OS_VOLUME_DEVICE, DATA_VOLUME_DEVICE, gpuInstanceArchitecture } from "../../lib/capacity-blocks/facts";
import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../lib/instance-types";
import { CAPACITY_CONSUMER_TAG, KARPENTER_CONSUMER_TAG_VALUE, KARPENTER_DISCOVERY_TAG } from "../../lib/tags";
import { bottlerocketUserData, SOCI_PULL_PROFILES, type SociPullProfile } from "./user-data";

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: TaintEffect;
}

export interface Requirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
  readonly values: string[];
}

export interface DisruptionBudget {
  readonly nodes: string;
}

/** Which node class a NodePool's nodes use; Karpenter's EC2NodeClass unless another provider's (Auto Mode's NodeClass). */
export interface NodeClassRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
}

/** A `karpenter.sh/v1` NodePool, shared by Karpenter and EKS Auto Mode; only the node class it refers to differs. */
export interface NodePoolManifest<Ref extends NodeClassRef = { readonly group: "karpenter.k8s.aws"; readonly kind: "EC2NodeClass"; readonly name: string }> {
  readonly apiVersion: "karpenter.sh/v1";
  readonly kind: "NodePool";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly weight?: number;
    readonly limits?: Record<string, string>;
    readonly disruption: {
      readonly consolidationPolicy: "WhenEmpty" | "WhenEmptyOrUnderutilized";
      readonly consolidateAfter: string;
      readonly budgets: DisruptionBudget[];
    };
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string> };
      readonly spec: {
        readonly nodeClassRef: Ref;
        readonly requirements: Requirement[];
        readonly taints?: Taint[];
        readonly expireAfter: string;
        readonly terminationGracePeriod?: string;
      };
    };
  };
}

export interface BlockDeviceMapping {
  readonly deviceName: string;
  readonly rootVolume?: boolean;
  readonly ebs: { readonly volumeSize: string; readonly volumeType: "gp3"; readonly encrypted: true; readonly deleteOnTermination: true };
}

export interface EC2NodeClassManifest {
  readonly apiVersion: "karpenter.k8s.aws/v1";
  readonly kind: "EC2NodeClass";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: {
    readonly role: string;
    readonly amiSelectorTerms: Array<{ readonly alias: string }>;
    readonly subnetSelectorTerms: Array<{ readonly tags: Record<string, string> }>;
    readonly securityGroupSelectorTerms: Array<{ readonly tags: Record<string, string> }>;
    readonly capacityReservationSelectorTerms?: Array<{ readonly id: string } | { readonly tags: Record<string, string> }>;
    readonly metadataOptions: {
      readonly httpEndpoint: "enabled";
      readonly httpProtocolIPv6: "disabled";
      readonly httpPutResponseHopLimit: 1;
      readonly httpTokens: "required";
    };
    readonly blockDeviceMappings: BlockDeviceMapping[];
    readonly userData?: string;
    readonly instanceStorePolicy?: "RAID0";
    readonly tags: Record<string, string>;
  };
}

/** Pool (and node class) names; workloads select pools by the `karpenter.sh/nodepool` label. */
export const NODE_POOL_NAMES = {
  default: "default",
  gpuSpot: "gpu-spot",
  gpuCapacityBlock: "gpu-capacity-block",
  gpuOnDemand: "gpu-on-demand",
} as const;

/** Taints the GPU pools set; a workload tolerates exactly the ones of the capacity it accepts. */
export const KARPENTER_TAINTS = {
  gpu: { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
  capacityBlock: { key: "blockfleet.io/capacity-block", value: "true", effect: "NoSchedule" },
  gpuOnDemand: { key: "blockfleet.io/gpu-on-demand", value: "true", effect: "NoSchedule" },
} as const satisfies Record<string, Taint>;

/** Label every blockfleet node pool puts on its nodes and objects. */
export const NODE_POOL_LABEL = "blockfleet.io/node-pool";

/** Tag EKS puts on the cluster security group it creates; only AWS can set `aws:` tags, so it selects exactly that group. */
const EKS_CLUSTER_SECURITY_GROUP_TAG = "aws:eks:cluster-name";

export interface KarpenterManifestsInput {
  readonly environment: string;
  readonly clusterName: string;
  /** Role named in every EC2NodeClass; Karpenter creates the instance profiles from it. */
  readonly nodeRoleName: string;
  readonly amiFamily: AmiFamily;
  /** Pinned release, e.g. "v1.66.0" for Bottlerocket. */
  readonly amiAliasVersion: string;
  readonly nodePools: NodePoolsConfig;
  /** The environment's capacity blocks; the NVIDIA ones whose consumer is `karpenter` are selected by id. */
  readonly capacityBlocks: ReadonlyArray<{ readonly reservation_id: string; readonly instance_type: string; readonly consumer: "node_group" | "karpenter" }>;
  /**
   * Tags the capacity manager puts on the new blocks it buys for this environment (src/lib/tags.ts
   * `managerNewBlockTags`); the capacity-block pool selects them, so a bought replacement is used.
   * @default none (the manager buys no new blocks)
   */
  readonly newBlockTags?: Readonly<Record<string, string>>;
}

export interface KarpenterManifests {
  /** EC2NodeClass objects (`karpenter.k8s.aws/v1`), one per node class the pools use. */
  readonly nodeClasses: EC2NodeClassManifest[];
  /** NodePool objects (`karpenter.sh/v1`), each naming its EC2NodeClass. */
  readonly nodePools: NodePoolManifest[];
}

interface NodeClassOptions {
  readonly name: string;
  readonly volumeGib: number;
  readonly soci: SociPullProfile;
  /** GPU nodes keep container storage on the instance-store NVMe disks. */
  readonly instanceStore: boolean;
  readonly capacityReservationSelectorTerms?: EC2NodeClassManifest["spec"]["capacityReservationSelectorTerms"];
}

const requirement = (key: string, operator: Requirement["operator"], values: readonly string[]): Requirement => ({ key, operator, values: [...values] });

/** Only instance types with local NVMe: the GPU node classes' boot command binds storage to those disks. */
const HAS_INSTANCE_STORE = requirement("karpenter.k8s.aws/instance-local-nvme", "Gt", ["0"]);

function architecturesOf(instanceTypes: readonly string[]): string[] {
  const arm = instanceTypes.some((type) => gpuInstanceArchitecture(type) === "arm64");
  const x86 = instanceTypes.some((type) => gpuInstanceArchitecture(type) === "x86_64");
  return [...(x86 ? ["amd64"] : []), ...(arm ? ["arm64"] : [])];
}

/**
 * Capacity reservation selector terms for the capacity-block pool; empty when there is nothing to select. One owner
 * per reservation: only `karpenter` blocks are selected by id, and the tag term also requires the consumer tag
 * `blockfleet.io/capacity-consumer = karpenter`, which a node-group block's reservation never carries, so no term
 * can select a block a node group launches into.
 */
export function capacityReservationTerms(
  input: Pick<KarpenterManifestsInput, "capacityBlocks" | "nodePools" | "newBlockTags">,
): Array<{ id: string } | { tags: Record<string, string> }> {
  // Neuron (Trainium) blocks would never satisfy the pool's NVIDIA requirement or taint (config refuses them as `karpenter`).
  const karpenterBlocks = input.capacityBlocks.filter(
    (block) => block.consumer === "karpenter" && CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]?.acceleratorKind === "nvidia",
  );
  const tags = input.nodePools.gpu_capacity_block.reservation_tags;
  return [
    ...karpenterBlocks.map((block) => ({ id: block.reservation_id })),
    ...(Object.keys(tags).length > 0 ? [{ tags: { ...tags, [CAPACITY_CONSUMER_TAG]: KARPENTER_CONSUMER_TAG_VALUE } }] : []),
    ...newBlockTerm(tags, input.newBlockTags),
  ];
}

/**
 * The term selecting the blocks the manager buys, needed only when no reservation_tags term does already (the manager's
 * tags are the pool's reservation_tags plus the consumer and environment tags). It requires the consumer tag too.
 */
function newBlockTerm(
  reservationTags: Readonly<Record<string, string>>,
  newBlockTags: Readonly<Record<string, string>> | undefined,
): Array<{ tags: Record<string, string> }> {
  if (newBlockTags === undefined || Object.keys(reservationTags).length > 0) return [];
  return [{ tags: { ...newBlockTags, [CAPACITY_CONSUMER_TAG]: KARPENTER_CONSUMER_TAG_VALUE } }];
}

export function karpenterManifests(input: KarpenterManifestsInput): KarpenterManifests {
  const { nodePools: config } = input;
  const labels = (pool: string) => ({ "app.kubernetes.io/managed-by": "blockfleet", [NODE_POOL_LABEL]: pool });

  const nodeClass = (options: NodeClassOptions): EC2NodeClassManifest => {
    const bottlerocket = input.amiFamily === "bottlerocket";
    const volume = (size: string) => ({ volumeSize: size, volumeType: "gp3", encrypted: true, deleteOnTermination: true }) as const;
    return {
      apiVersion: "karpenter.k8s.aws/v1",
      kind: "EC2NodeClass",
      metadata: { name: options.name, labels: labels(options.name) },
      spec: {
        role: input.nodeRoleName,
        amiSelectorTerms: [{ alias: `${input.amiFamily}@${input.amiAliasVersion}` }],
        subnetSelectorTerms: [{ tags: { [KARPENTER_DISCOVERY_TAG]: input.clusterName } }],
        // The node group's security group and the one EKS made for the cluster (API server <-> kubelet), as managed nodes get.
        securityGroupSelectorTerms: [
          { tags: { [KARPENTER_DISCOVERY_TAG]: input.clusterName } },
          { tags: { [EKS_CLUSTER_SECURITY_GROUP_TAG]: input.clusterName } },
        ],
        ...(options.capacityReservationSelectorTerms ? { capacityReservationSelectorTerms: options.capacityReservationSelectorTerms } : {}),
        // IMDSv2 only, one hop: pods cannot reach the node role's credentials.
        metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
        // Bottlerocket keeps the OS on a small first volume and containers on the second.
        blockDeviceMappings: bottlerocket
          ? [
              { deviceName: BOTTLEROCKET_OS_VOLUME_DEVICE, ebs: volume("4Gi") },
              { deviceName: DATA_VOLUME_DEVICE.bottlerocket, ebs: volume(`${options.volumeGib}Gi`) },
            ]
          : [{ deviceName: DATA_VOLUME_DEVICE.al2023, rootVolume: true, ebs: volume(`${options.volumeGib}Gi`) }],
        ...(bottlerocket
          ? { userData: bottlerocketUserData({ soci: options.soci, bindContainerStorageToInstanceStore: options.instanceStore }) }
          : options.instanceStore
            ? { instanceStorePolicy: "RAID0" as const }
            : {}),
        // Provider default tags don't reach instances Karpenter launches; these do.
        tags: { environment: input.environment, "managed-by": "blockfleet", [NODE_POOL_LABEL]: options.name },
      },
    };
  };

  const nodePool = (
    name: string,
    spec: Omit<NodePoolManifest["spec"], "template"> & { template: Omit<NodePoolManifest["spec"]["template"]["spec"], "nodeClassRef"> },
    nodeLabels: Readonly<Record<string, string>> = {},
  ): NodePoolManifest => ({
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name, labels: labels(name) },
    spec: {
      ...spec,
      template: {
        metadata: { labels: { [NODE_POOL_LABEL]: name, ...nodeLabels } },
        spec: { nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name }, ...spec.template },
      },
    },
  });

  const nodeClasses: EC2NodeClassManifest[] = [];
  const nodePools: NodePoolManifest[] = [];
  // Bottlerocket's NVIDIA variants run their own device plugin; this label keeps a GPU Operator from adding a second.
  const gpuNodeLabels: Record<string, string> =
    input.amiFamily === "bottlerocket" ? { [GPU_OPERATOR_OPT_OUT_LABEL.key]: GPU_OPERATOR_OPT_OUT_LABEL.value } : {};

  if (config.default.enabled) {
    const pool = config.default;
    nodeClasses.push(nodeClass({ name: NODE_POOL_NAMES.default, volumeGib: pool.volume_gib, soci: SOCI_PULL_PROFILES.general, instanceStore: false }));
    nodePools.push(
      nodePool(NODE_POOL_NAMES.default, {
        limits: { cpu: String(pool.cpu_limit) },
        disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: "1m", budgets: [{ nodes: "10%" }] },
        template: {
          requirements: [
            requirement("karpenter.k8s.aws/instance-category", "In", pool.instance_categories),
            requirement("karpenter.k8s.aws/instance-generation", "Gt", [String(pool.min_instance_generation - 1)]),
            requirement("karpenter.sh/capacity-type", "In", pool.capacity_types),
            requirement("kubernetes.io/arch", "In", pool.architectures),
            requirement("kubernetes.io/os", "In", ["linux"]),
          ],
          expireAfter: "720h",
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
    nodeClasses.push(nodeClass({ name, volumeGib: pool.volume_gib, soci: SOCI_PULL_PROFILES.gpu, instanceStore: true }));
    nodePools.push(
      nodePool(
        name,
        {
          weight,
          limits: { "nvidia.com/gpu": String(pool.gpu_limit) },
          // GPU jobs are not moved for bin packing: only empty GPU nodes are consolidated.
          disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "5m", budgets: [{ nodes: "10%" }] },
          template: {
            requirements: [
              requirement("node.kubernetes.io/instance-type", "In", pool.instance_types),
              requirement("karpenter.sh/capacity-type", "In", [capacityType]),
              requirement("kubernetes.io/arch", "In", architecturesOf(pool.instance_types)),
              HAS_INSTANCE_STORE,
            ],
            taints: taints.map((taint) => ({ ...taint })),
            expireAfter: "720h",
          },
        },
        gpuNodeLabels,
      ),
    );
  };

  if (config.gpu_spot.enabled) {
    addInstanceTypeGpuPool(NODE_POOL_NAMES.gpuSpot, config.gpu_spot, "spot", 50, [KARPENTER_TAINTS.gpu]);
  }

  const reservationTerms = capacityReservationTerms(input);
  if (config.gpu_capacity_block.enabled && reservationTerms.length > 0) {
    const pool = config.gpu_capacity_block;
    nodeClasses.push(
      nodeClass({
        name: NODE_POOL_NAMES.gpuCapacityBlock,
        volumeGib: pool.volume_gib,
        soci: SOCI_PULL_PROFILES.gpu,
        instanceStore: true,
        capacityReservationSelectorTerms: reservationTerms,
      }),
    );
    nodePools.push(
      nodePool(
        NODE_POOL_NAMES.gpuCapacityBlock,
        {
          // Prepaid capacity first: pods tolerating several GPU pools land here while the block has room.
          weight: 100,
          // A block's nodes are never disrupted voluntarily; EC2 ends them at the block's end and Karpenter drains first.
          disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "10m", budgets: [{ nodes: "0" }] },
          template: {
            requirements: [
              requirement("karpenter.sh/capacity-type", "In", ["reserved"]),
              requirement("karpenter.k8s.aws/capacity-reservation-type", "In", ["capacity-block"]),
              requirement("karpenter.k8s.aws/instance-gpu-manufacturer", "In", ["nvidia"]),
              requirement("kubernetes.io/arch", "In", ["amd64", "arm64"]),
              HAS_INSTANCE_STORE,
            ],
            taints: [{ ...KARPENTER_TAINTS.gpu }, { ...KARPENTER_TAINTS.capacityBlock }],
            // The block's end bounds the node's life; expiring earlier would cut a training run short.
            expireAfter: "Never",
            terminationGracePeriod: pool.termination_grace_period,
          },
        },
        gpuNodeLabels,
      ),
    );
  }

  if (config.gpu_on_demand.enabled) {
    addInstanceTypeGpuPool(NODE_POOL_NAMES.gpuOnDemand, config.gpu_on_demand, "on-demand", 10, [KARPENTER_TAINTS.gpu, KARPENTER_TAINTS.gpuOnDemand]);
  }

  return { nodeClasses, nodePools };
}
