/**
 * Facts about the instance types EC2 sells as Capacity Blocks for ML. Accelerator counts price offerings per GPU-hour;
 * EFA interface counts size the launch template's network interfaces for multi-node training.
 */
import { lookupTable } from "./lookup";

export interface CapacityBlockInstanceType {
  /** Accelerators per instance (GPUs or Trainium chips). */
  readonly accelerators: number;
  readonly acceleratorName: string;
  /** Maximum EFA-capable network cards the instance type supports. */
  readonly maxEfaInterfaces: number;
  readonly architecture: "x86_64" | "arm64";
  readonly acceleratorKind: "nvidia" | "neuron";
  /**
   * Why blockfleet refuses `efa = true` for this type, when its EFA interface layout is one we can't generate
   * correctly yet. Absent when the uniform layout (efa on card 0, efa-only on the rest) is right.
   */
  readonly efaUnsupportedReason?: string;
}

export const CAPACITY_BLOCK_INSTANCE_TYPES: Readonly<Record<string, CapacityBlockInstanceType>> = lookupTable<Record<string, CapacityBlockInstanceType>>({
  "p4d.24xlarge": { accelerators: 8, acceleratorName: "A100", maxEfaInterfaces: 4, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p4de.24xlarge": { accelerators: 8, acceleratorName: "A100 80GB", maxEfaInterfaces: 4, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p5.4xlarge": { accelerators: 1, acceleratorName: "H100", maxEfaInterfaces: 1, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p5.48xlarge": { accelerators: 8, acceleratorName: "H100", maxEfaInterfaces: 32, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p5e.48xlarge": { accelerators: 8, acceleratorName: "H200", maxEfaInterfaces: 32, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p5en.48xlarge": { accelerators: 8, acceleratorName: "H200", maxEfaInterfaces: 16, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p6-b200.48xlarge": { accelerators: 8, acceleratorName: "B200", maxEfaInterfaces: 8, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p6-b300.48xlarge": { accelerators: 8, acceleratorName: "B300", maxEfaInterfaces: 16, architecture: "x86_64", acceleratorKind: "nvidia" },
  "p6e-gb200.36xlarge": {
    accelerators: 4,
    acceleratorName: "GB200",
    maxEfaInterfaces: 8,
    architecture: "arm64",
    acceleratorKind: "nvidia",
    efaUnsupportedReason: "UltraServer capacity blocks need alternating efa/efa-only interfaces, which blockfleet does not generate yet",
  },
  "trn1.32xlarge": { accelerators: 16, acceleratorName: "Trainium", maxEfaInterfaces: 8, architecture: "x86_64", acceleratorKind: "neuron" },
  "trn2.48xlarge": { accelerators: 16, acceleratorName: "Trainium2", maxEfaInterfaces: 16, architecture: "x86_64", acceleratorKind: "neuron" },
});

/** Families capacity blocks sell, used to explain a rejected instance type. */
export const CAPACITY_BLOCK_FAMILIES = [...new Set(Object.keys(CAPACITY_BLOCK_INSTANCE_TYPES).map(familyOf))];

export function familyOf(instanceType: string): string {
  return instanceType.split(".")[0] ?? instanceType;
}

/** GPU AMI types an EKS managed node group accepts, by the architecture and accelerator they serve. */
export const GPU_AMI_TYPES = lookupTable({
  AL2023_x86_64_NVIDIA: { architecture: "x86_64", acceleratorKind: "nvidia" },
  AL2023_ARM_64_NVIDIA: { architecture: "arm64", acceleratorKind: "nvidia" },
  AL2023_x86_64_NEURON: { architecture: "x86_64", acceleratorKind: "neuron" },
  BOTTLEROCKET_x86_64_NVIDIA: { architecture: "x86_64", acceleratorKind: "nvidia" },
  BOTTLEROCKET_ARM_64_NVIDIA: { architecture: "arm64", acceleratorKind: "nvidia" },
} as const);

export type GpuAmiType = keyof typeof GPU_AMI_TYPES;

/** Amazon Linux 2 AMI types (no longer published by EKS), with the GPU AMI type to name in the error instead. */
export const DEPRECATED_AMI_TYPES: Readonly<Record<string, GpuAmiType>> = lookupTable<Record<string, GpuAmiType>>({
  AL2_x86_64_GPU: "AL2023_x86_64_NVIDIA",
  AL2_ARM_64: "AL2023_ARM_64_NVIDIA",
});
