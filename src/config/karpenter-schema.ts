/**
 * Environment-file sections for Karpenter: the controller (`karpenter`) and the node pools it manages (`node_pools`).
 * Imported by schema.ts; defaults live here and nowhere else.
 */
import { z } from "zod";
import { CAPACITY_CONSUMER_TAG } from "../lib/tags";

/** Karpenter learned to launch into EC2 Capacity Blocks in 1.6; older charts ignore the reservations. */
export const MIN_KARPENTER_CHART_VERSION = "1.6.0";
/** The chart whose CRDs blockfleet's node pools are validated against. */
export const DEFAULT_KARPENTER_CHART_VERSION = "1.14.1";

export const AMI_FAMILIES = ["bottlerocket", "al2023"] as const;
export type AmiFamily = (typeof AMI_FAMILIES)[number];

/**
 * Pinned AMI alias versions, per family: Karpenter resolves `<family>@<version>` to that release's AMI for each
 * architecture and accelerator, so nodes only change when this file changes.
 */
export const DEFAULT_AMI_ALIAS_VERSIONS: Readonly<Record<AmiFamily, string>> = {
  bottlerocket: "v1.66.0",
  al2023: "v20260903",
};

const AMI_ALIAS_VERSION_FORMATS: Readonly<Record<AmiFamily, { pattern: RegExp; example: string }>> = {
  bottlerocket: { pattern: /^v\d+\.\d+\.\d+$/, example: "v1.66.0" },
  al2023: { pattern: /^v\d{8}$/, example: "v20260903" },
};

/** Instance families with NVIDIA GPUs, for the GPU pools' instance type lists. */
export const NVIDIA_GPU_FAMILIES = [
  "g4dn",
  "g5",
  "g5g",
  "g6",
  "g6e",
  "g6f",
  "gr6",
  "gr6f",
  "g7e",
  "p3",
  "p3dn",
  "p4d",
  "p4de",
  "p5",
  "p5e",
  "p5en",
  "p6-b200",
  "p6-b300",
  "p6e-gb200",
] as const;

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;
/** Kubernetes/Karpenter duration such as "24h" or "1h30m". */
const DURATION = /^([0-9]+(s|m|h))+$/;

function semverAtLeast(version: string, minimum: string): boolean {
  const [a, b] = [SEMVER.exec(version), SEMVER.exec(minimum)];
  if (!a || !b) return false;
  for (let part = 1; part <= 3; part++) {
    const difference = Number(a[part]) - Number(b[part]);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

export const karpenterSchema = z
  .strictObject({
    /** Install Karpenter (the `<env>-karpenter` and `<env>-karpenter-pools` stacks). */
    enabled: z.boolean().default(true),
    /** Version of the `oci://public.ecr.aws/karpenter/karpenter` chart and of `karpenter-crd`, which installs and upgrades its CRDs. */
    chart_version: z
      .string()
      .regex(SEMVER, { message: 'expected a chart version such as "1.14.1"' })
      .refine((version) => !SEMVER.test(version) || semverAtLeast(version, MIN_KARPENTER_CHART_VERSION), {
        message: `Karpenter launches into capacity blocks from ${MIN_KARPENTER_CHART_VERSION}; use that version or newer`,
      })
      .default(DEFAULT_KARPENTER_CHART_VERSION),
    /** Controller replicas; two keep provisioning going through a node drain. */
    replicas: z.number().int().min(1).max(5).default(2),
    /** Node OS: Bottlerocket (SOCI parallel image pull, instance-store container storage) or AL2023. */
    ami_family: z.enum(AMI_FAMILIES).default("bottlerocket"),
    /** Pinned AMI release for the family. @default per family, see DEFAULT_AMI_ALIAS_VERSIONS */
    ami_alias_version: z.string().optional(),
  })
  .superRefine((karpenter, ctx) => {
    const version = karpenter.ami_alias_version;
    if (version === undefined) return;
    const format = Object.hasOwn(AMI_ALIAS_VERSION_FORMATS, karpenter.ami_family) ? AMI_ALIAS_VERSION_FORMATS[karpenter.ami_family] : undefined;
    if (!format) return;
    if (!format.pattern.test(version)) {
      ctx.addIssue({
        code: "custom",
        path: ["ami_alias_version"],
        message: `expected a pinned ${karpenter.ami_family} release such as "${format.example}" ("latest" would roll every node whenever AWS publishes an AMI)`,
      });
    }
  })
  .transform((karpenter) => ({ ...karpenter, ami_alias_version: karpenter.ami_alias_version ?? DEFAULT_AMI_ALIAS_VERSIONS[karpenter.ami_family] }));

/**
 * NVIDIA families with EBS storage only. GPU nodes keep container storage on instance-store NVMe disks, so the GPU
 * pools require them and Karpenter would silently never launch these types.
 */
export const GPU_FAMILIES_WITHOUT_INSTANCE_STORE = ["g5g", "p3"] as const;

const familyMatches = (instanceType: string, families: readonly string[]): boolean => families.some((family) => instanceType.startsWith(`${family}.`));

const gpuInstanceType = z
  .string()
  .refine((value) => familyMatches(value, NVIDIA_GPU_FAMILIES), {
    message: `expected an NVIDIA GPU instance type (families ${NVIDIA_GPU_FAMILIES.join(", ")}), e.g. "g6e.12xlarge"`,
  })
  .superRefine((value, ctx) => {
    if (familyMatches(value, GPU_FAMILIES_WITHOUT_INSTANCE_STORE)) {
      ctx.addIssue({
        code: "custom",
        message: `"${value}" has no instance-store NVMe disks, which GPU nodes keep container storage on, so no node would ever launch; choose a type with local NVMe such as "g6e.12xlarge"`,
      });
    }
  });

const gpuInstanceTypes = (defaults: readonly string[]) =>
  z
    .array(gpuInstanceType)
    .min(1)
    .refine((types) => new Set(types).size === types.length, { message: "instance types must not repeat" })
    .default([...defaults]);

/** Size of the volume holding images and container storage, in GiB. */
const volumeGib = (defaultGib: number) => z.number().int().min(20).max(16_384).default(defaultGib);

const defaultPoolSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** EC2 instance categories (first letter of the family): compute, general purpose, memory. */
  instance_categories: z
    .array(z.string().regex(/^[a-z]$/, { message: 'expected an instance category letter such as "c"' }))
    .min(1)
    .default(["c", "m", "r"]),
  /** Oldest instance generation allowed (6 = c6i/m6i/r6i and newer). */
  min_instance_generation: z.number().int().min(1).default(6),
  capacity_types: z
    .array(z.enum(["spot", "on-demand"]))
    .min(1)
    .default(["spot", "on-demand"]),
  architectures: z
    .array(z.enum(["amd64", "arm64"]))
    .min(1)
    .default(["amd64"]),
  /** Total vCPUs the pool may run; Karpenter stops launching at the limit. */
  cpu_limit: z.number().int().min(1).default(1000),
  volume_gib: volumeGib(100),
});

const gpuSpotPoolSchema = z.strictObject({
  enabled: z.boolean().default(true),
  instance_types: gpuInstanceTypes(["g6e.12xlarge", "g6e.48xlarge", "p5.48xlarge"]),
  /** Total GPUs the pool may run. */
  gpu_limit: z.number().int().min(0).default(16),
  volume_gib: volumeGib(500),
});

const gpuCapacityBlockPoolSchema = z.strictObject({
  /**
   * Created only when there is something to select: NVIDIA capacity_blocks with consumer = "karpenter", reservation_tags,
   * or (capacity_manager.allow_new_purchases) the blocks the manager buys, tagged blockfleet.io/environment = <env>.
   */
  enabled: z.boolean().default(true),
  /**
   * Also select capacity reservations carrying all of these tags and `blockfleet.io/capacity-consumer = karpenter`
   * (e.g. blocks bought later by hand), beside the ids of capacity_blocks with consumer = "karpenter". A reservation
   * without the consumer tag is never selected, so node-group blocks cannot be.
   */
  reservation_tags: z
    .record(z.string().min(1, { message: "tag keys must not be empty" }), z.string().min(1, { message: "tag values must not be empty" }))
    // The CRD allows 20 tags per term (karpenter.k8s.aws_ec2nodeclasses.yaml, maxProperties); blockfleet adds the consumer tag.
    .refine((tags) => Object.keys(tags).length <= 19, {
      message: "at most 19 tags can select reservations (Karpenter allows 20 per term; blockfleet adds the consumer tag)",
    })
    .refine((tags) => !(CAPACITY_CONSUMER_TAG in tags), {
      message: `"${CAPACITY_CONSUMER_TAG}" is added to the selection by blockfleet (= "karpenter"); leave it out`,
    })
    .default({}),
  /** How long a draining node waits for pods (training jobs checkpointing) before it is forced down. */
  termination_grace_period: z.string().regex(DURATION, { message: 'expected a duration such as "24h" or "1h30m"' }).default("24h"),
  volume_gib: volumeGib(500),
});

const gpuOnDemandPoolSchema = z.strictObject({
  enabled: z.boolean().default(true),
  instance_types: gpuInstanceTypes(["p5.48xlarge"]),
  /** Fallback for when no block is active; 0 GPUs means it costs nothing until someone raises it. */
  gpu_limit: z.number().int().min(0).default(0),
  volume_gib: volumeGib(500),
});

export const nodePoolsSchema = z.strictObject({
  /** General purpose (c/m/r), spot and on-demand. */
  default: defaultPoolSchema.prefault({}),
  /** Spot GPUs, tainted `nvidia.com/gpu`. */
  gpu_spot: gpuSpotPoolSchema.prefault({}),
  /** Reserved capacity from EC2 Capacity Blocks, never disrupted voluntarily. */
  gpu_capacity_block: gpuCapacityBlockPoolSchema.prefault({}),
  /** On-demand GPUs behind their own taint, limited to 0 GPUs by default. */
  gpu_on_demand: gpuOnDemandPoolSchema.prefault({}),
});

export type KarpenterConfig = z.output<typeof karpenterSchema>;
export type NodePoolsConfig = z.output<typeof nodePoolsSchema>;
