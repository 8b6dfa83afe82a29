/**
 * Where GPU daemons run. Managed capacity-block nodes are recognised by their block label; Karpenter's nodes by
 * the node-pool label and the GPU manufacturer label Karpenter sets. The AMI decides whether a device plugin is
 * needed: Bottlerocket's NVIDIA variants ship one, AL2023's accelerated AMI does not.
 */

import { CAPACITY_BLOCK_INSTANCE_TYPES } from "../../../lib/instance-types";
import { CAPACITY_BLOCK_LABELS } from "../../capacity-block-node-group";
import { KARPENTER_TAINTS, NODE_POOL_LABEL } from "../../karpenter/manifests";

/** Label Karpenter sets on every node it launches with the instance's GPU maker. */
export const KARPENTER_GPU_MANUFACTURER_LABEL = "karpenter.k8s.aws/instance-gpu-manufacturer";

/** What GPU scheduling needs to know of one capacity block (a slice of its `capacity_blocks` entry). */
export interface GpuBlock {
  /** The block's name in the environment file. */
  readonly name: string;
  /** The block's instance type, e.g. `p5.48xlarge`. */
  readonly instance_type: string;
  /** EKS AMI type of its nodes, e.g. `AL2023_x86_64_NVIDIA`. */
  readonly ami_type: string;
  /** Whether its nodes get EFA interfaces. */
  readonly efa: boolean;
  /** Taints on its nodes, which the device plugins must tolerate. */
  readonly taints: ReadonlyArray<{
    /** Taint key. */
    readonly key: string;
    /** Taint effect, in the EKS API's spelling. */
    readonly effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
  }>;
}

/** The GPU nodes an environment can run: its capacity blocks, and Karpenter's GPU pools when Karpenter is on. */
export interface GpuFleet {
  /** The environment's capacity blocks. */
  readonly capacityBlocks: readonly GpuBlock[];
  /**
   * Karpenter's AMI family when Karpenter is on.
   * @default undefined — Karpenter is off: no Karpenter GPU nodes
   */
  readonly karpenterAmiFamily?: string;
  /**
   * EKS Auto Mode provisions nodes: its NVIDIA nodes carry the device plugin built in (awsdocs/amazon-eks-user-guide
   * latest/ug/automode/auto-accelerated.adoc at 031299c7087381e4774ffa8e4784f2ac77ff07d9), so only metrics target them.
   * @default false
   */
  readonly autoMode?: boolean;
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "Exists";
  readonly values?: string[];
}
export interface NodeSelectorTerm {
  readonly matchExpressions: NodeSelectorRequirement[];
}
export interface Toleration {
  readonly key: string;
  readonly operator: "Exists";
  readonly effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule";
}

const EFFECTS = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" } as const;

function isNvidia(block: GpuBlock): boolean {
  return CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]?.acceleratorKind === "nvidia";
}

function blockTerm(blocks: readonly GpuBlock[]): NodeSelectorTerm[] {
  return blocks.length === 0 ? [] : [{ matchExpressions: [{ key: CAPACITY_BLOCK_LABELS.name, operator: "In", values: blocks.map((block) => block.name) }] }];
}

const karpenterNvidiaTerm: NodeSelectorTerm = {
  matchExpressions: [
    { key: NODE_POOL_LABEL, operator: "Exists" },
    { key: KARPENTER_GPU_MANUFACTURER_LABEL, operator: "In", values: ["nvidia"] },
  ],
};

/**
 * Auto Mode's NVIDIA nodes: `eks.amazonaws.com/compute-type: auto` marks an Auto Mode node (auto-accelerated.adoc,
 * above) and the GPU pools require `eks.amazonaws.com/instance-gpu-manufacturer: nvidia`, which labels their nodes.
 */
export const AUTO_MODE_NVIDIA_TERM: NodeSelectorTerm = {
  matchExpressions: [
    { key: "eks.amazonaws.com/compute-type", operator: "In", values: ["auto"] },
    { key: "eks.amazonaws.com/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
  ],
};

/** Nodes that need the NVIDIA device plugin: AL2023 NVIDIA capacity blocks, and Karpenter's NVIDIA nodes when its AMI is AL2023. */
export function devicePluginNodeTerms(fleet: GpuFleet): NodeSelectorTerm[] {
  const al2023Blocks = fleet.capacityBlocks.filter((block) => isNvidia(block) && block.ami_type.startsWith("AL2023"));
  return [...blockTerm(al2023Blocks), ...(fleet.karpenterAmiFamily === "al2023" ? [karpenterNvidiaTerm] : [])];
}

/** Every NVIDIA node, whatever its AMI, Auto Mode's included (metrics). */
export function nvidiaNodeTerms(fleet: GpuFleet): NodeSelectorTerm[] {
  return [
    ...blockTerm(fleet.capacityBlocks.filter(isNvidia)),
    ...(fleet.karpenterAmiFamily !== undefined ? [karpenterNvidiaTerm] : []),
    ...(fleet.autoMode ? [AUTO_MODE_NVIDIA_TERM] : []),
  ];
}

/** True when some capacity block wants EFA, so its interfaces need the EFA device plugin to be usable by pods. */
export function fleetUsesEfa(fleet: GpuFleet): boolean {
  return fleet.capacityBlocks.some((block) => block.efa);
}

/** The taints GPU nodes carry (accelerator, Karpenter's GPU pools, each block's own), tolerated by key and effect. */
export function gpuTolerations(fleet: GpuFleet): Toleration[] {
  const taints = [
    ...Object.values(KARPENTER_TAINTS).map((taint) => ({ key: taint.key, effect: taint.effect })),
    ...fleet.capacityBlocks.flatMap((block) => block.taints.map((taint) => ({ key: taint.key, effect: EFFECTS[taint.effect] }))),
  ];
  const unique = new Map(taints.map((taint) => [`${taint.key}:${taint.effect}`, taint]));
  return [...unique.values()].map((taint) => ({ key: taint.key, operator: "Exists", effect: taint.effect }));
}

/** Required node affinity from selector terms (terms are ORed). */
export function requiredNodeAffinity(terms: readonly NodeSelectorTerm[]): Record<string, unknown> {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [...terms] } } };
}
