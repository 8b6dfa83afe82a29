import { capacityBlockSchema } from "../../config/schema";
import { CAPACITY_BLOCK_INSTANCE_TYPES, GPU_AMI_TYPES, type GpuAmiType } from "../../lib/instance-types";
import { CAPACITY_CONSUMER_TAG, KARPENTER_CONSUMER_TAG_VALUE, RESERVATION_ENVIRONMENT_TAG } from "../../lib/tags";
import { formatDuration, formatMoney, formatUtc, textTable } from "../format/text";
import type { Palette } from "../io";
import type { Offering } from "./ec2";

export interface RankedOffering extends Offering {
  readonly rank: number;
  /** The region searched; offerings carry only their zone. */
  readonly region?: string;
  /** Accelerators (GPUs or Trainium chips) per instance; undefined for a type blockfleet has no facts about. */
  readonly acceleratorsPerInstance?: number;
  readonly acceleratorName?: string;
  readonly pricePerInstanceHour: number;
  readonly pricePerAcceleratorHour?: number;
}

/**
 * Cheapest accelerator-hour first (the price that compares p5 with p4d or trn2), then cheapest instance-hour, then
 * the earliest start. Offerings of types without accelerator facts go last, still ordered by instance-hour.
 */
export function rankOfferings(offerings: readonly (Offering & { readonly region?: string })[]): RankedOffering[] {
  const priced = offerings.map((offering) => {
    const facts = CAPACITY_BLOCK_INSTANCE_TYPES[offering.instanceType];
    const instanceHours = offering.instanceCount * offering.durationHours;
    const pricePerInstanceHour = instanceHours > 0 ? offering.upfrontFee / instanceHours : Number.POSITIVE_INFINITY;
    return {
      ...offering,
      acceleratorsPerInstance: facts?.accelerators,
      acceleratorName: facts?.acceleratorName,
      pricePerInstanceHour,
      pricePerAcceleratorHour: facts ? pricePerInstanceHour / facts.accelerators : undefined,
    };
  });
  const byPrice = (left: (typeof priced)[number], right: (typeof priced)[number]) =>
    (left.pricePerAcceleratorHour ?? Number.POSITIVE_INFINITY) - (right.pricePerAcceleratorHour ?? Number.POSITIVE_INFINITY) ||
    left.pricePerInstanceHour - right.pricePerInstanceHour ||
    left.startDate.getTime() - right.startDate.getTime() ||
    left.offeringId.localeCompare(right.offeringId);
  return priced.sort(byPrice).map((offering, index) => ({ ...offering, rank: index + 1 }));
}

/** The GPU generation an offering belongs to (H100, H200, A100 …): offerings are grouped by it. */
export function gpuGeneration(offering: Pick<RankedOffering, "acceleratorName" | "instanceType">): string {
  return offering.acceleratorName ?? `other (${offering.instanceType})`;
}

/**
 * The ranked offerings as one table, grouped by GPU generation (the group with the cheapest offering first, each
 * group in rank order) under a heading per generation; a Region column when more than one region was searched.
 */
export function renderOfferingsTable(offerings: readonly RankedOffering[], colours: Palette, options: { showRegion?: boolean } = {}): string {
  const money = (amount: number | undefined, currency: string) => (amount === undefined ? "—" : formatMoney(amount, currency));
  const groups = new Map<string, RankedOffering[]>();
  for (const offering of [...offerings].sort((left, right) => left.rank - right.rank)) {
    const key = gpuGeneration(offering);
    groups.set(key, [...(groups.get(key) ?? []), offering]);
  }
  const ordered = [...groups.values()].flat();
  const table = textTable(
    [
      "#",
      "Instance type",
      ...(options.showRegion ? ["Region"] : []),
      "AZ",
      "Count",
      "Start (UTC)",
      "End (UTC)",
      "Length",
      "Upfront fee",
      "Per GPU-h",
      "Per instance-h",
      "Offering",
    ],
    ordered.map((offering) => [
      String(offering.rank),
      `${offering.instanceType}${offering.acceleratorName ? colours.dim(` (${offering.acceleratorsPerInstance}× ${offering.acceleratorName})`) : ""}`,
      ...(options.showRegion ? [offering.region ?? "—"] : []),
      offering.availabilityZone,
      String(offering.instanceCount),
      formatUtc(offering.startDate).replace(" UTC", ""),
      formatUtc(offering.endDate).replace(" UTC", ""),
      formatDuration(offering.durationHours * 3_600_000),
      money(offering.upfrontFee, offering.currency),
      offering.rank === 1
        ? colours.green(money(offering.pricePerAcceleratorHour, offering.currency))
        : money(offering.pricePerAcceleratorHour, offering.currency),
      money(offering.pricePerInstanceHour, offering.currency),
      colours.dim(offering.offeringId),
    ]),
  ).split("\n");
  const lines = [table[0]!];
  let row = 1;
  for (const [generation, members] of groups) {
    const types = [...new Set(members.map((member) => member.instanceType))].join(", ");
    lines.push(colours.bold(`${generation}: ${types}`));
    for (let index = 0; index < members.length; index++) lines.push(table[row++]!);
  }
  return lines.join("\n");
}

/** The GPU AMI a node group on this instance type should use: the AL2023 one for its architecture and accelerator. */
export function defaultAmiType(instanceType: string): GpuAmiType {
  const facts = CAPACITY_BLOCK_INSTANCE_TYPES[instanceType];
  const fitting = (Object.keys(GPU_AMI_TYPES) as GpuAmiType[]).filter(
    (amiType) =>
      GPU_AMI_TYPES[amiType].architecture === (facts?.architecture ?? "x86_64") &&
      GPU_AMI_TYPES[amiType].acceleratorKind === (facts?.acceleratorKind ?? "nvidia"),
  );
  return fitting.find((amiType) => amiType.startsWith("AL2023_")) ?? fitting[0] ?? "AL2023_x86_64_NVIDIA";
}

/** A DNS-safe capacity block name: family, AZ suffix and start day, e.g. `p5-use1a-1201` (at most 40 characters). */
export function suggestedBlockName(offering: Offering): string {
  const family = (offering.instanceType.split(".")[0] ?? offering.instanceType).replace(/[^a-z0-9-]/g, "-");
  const zone = offering.availabilityZone.replace(/^([a-z]{2})(?:-gov)?-([a-z])[a-z]*-(\d)([a-z])$/, "$1$2$3$4");
  const day = offering.startDate.toISOString().slice(5, 10).replace("-", "");
  return `${family}-${zone}-${day}`.slice(0, 40).replace(/-+$/, "");
}

/**
 * What to run and what to paste once an offering is chosen. The purchase stays a deliberate human step (blockfleet
 * never buys); the reservation id is only known after it, so the snippet holds a marker the schema rejects until
 * it is replaced.
 */
export function attachSnippet(offering: Offering, region: string, tags: Readonly<Record<string, string>> = {}): string {
  // The optional keys show the schema's defaults, so the snippet says what the entry gets without them.
  const shape = capacityBlockSchema.shape;
  const tagged = Object.keys(tags).length > 0;
  return [
    `# 1. Buy it (irreversible; the upfront fee of ${formatMoney(offering.upfrontFee, offering.currency)} is charged now):`,
    `#    aws ec2 purchase-capacity-block --region ${region} --capacity-block-offering-id ${offering.offeringId} \\`,
    ...(tagged
      ? [
          `#      --instance-platform Linux/UNIX \\`,
          `#      --tag-specifications ${shellQuote(tagSpecification(tags))}`,
          `#    (the tags make Karpenter's capacity-block pool select the block: node_pools.gpu_capacity_block.reservation_tags`,
          `#     plus ${CAPACITY_CONSUMER_TAG}=${KARPENTER_CONSUMER_TAG_VALUE}; ${RESERVATION_ENVIRONMENT_TAG} lets the capacity manager extend it)`,
        ]
      : [`#      --instance-platform Linux/UNIX`]),
    `# 2. Add this entry to capacity_blocks in environments/<env>.tfvars, with the CapacityReservationId the purchase printed:`,
    `{`,
    `  name              = "${suggestedBlockName(offering)}"`,
    ...(tagged ? [`  consumer          = "karpenter"`] : []),
    `  reservation_id    = "<cr-... from the purchase>"`,
    `  instance_type     = "${offering.instanceType}"`,
    `  instance_count    = ${offering.instanceCount}`,
    `  availability_zone = "${offering.availabilityZone}"`,
    `  ami_type          = "${defaultAmiType(offering.instanceType)}"`,
    `  labels            = ${JSON.stringify(shape.labels.parse(undefined))}`,
    `  taints            = ${JSON.stringify(shape.taints.parse(undefined))}`,
    `  root_volume_gib   = ${shape.root_volume_gib.parse(undefined)}`,
    `},`,
    `# The availability zone must be one of the environment's availability_zones. Starts ${formatUtc(offering.startDate)}, ends ${formatUtc(offering.endDate)}.`,
  ].join("\n");
}

/**
 * The AWS CLI shorthand for PurchaseCapacityBlock's TagSpecifications on the reservation it creates:
 * `ResourceType=capacity-reservation,Tags=[{Key=k,Value=v}]`.
 */
export function tagSpecification(tags: Readonly<Record<string, string>>): string {
  const list = Object.entries(tags)
    .map(([key, value]) => `{Key=${key},Value=${value}}`)
    .join(",");
  return `ResourceType=capacity-reservation,Tags=[${list}]`;
}

/** Single quotes for a POSIX shell (a quote inside becomes '\''). */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/** The `--json` shape: stable keys, ISO dates, numbers as numbers. `region` is kept for a single region. */
export function offeringsJson(offerings: readonly RankedOffering[], regions: readonly string[]): unknown {
  return {
    ...(regions.length === 1 ? { region: regions[0] } : {}),
    regions,
    offerings: offerings.map((offering) => ({
      rank: offering.rank,
      region: offering.region ?? (regions.length === 1 ? regions[0] : null),
      gpu_generation: gpuGeneration(offering),
      offering_id: offering.offeringId,
      instance_type: offering.instanceType,
      availability_zone: offering.availabilityZone,
      instance_count: offering.instanceCount,
      start_date: offering.startDate.toISOString(),
      end_date: offering.endDate.toISOString(),
      duration_hours: offering.durationHours,
      upfront_fee: offering.upfrontFee,
      currency: offering.currency,
      accelerators_per_instance: offering.acceleratorsPerInstance ?? null,
      price_per_accelerator_hour: offering.pricePerAcceleratorHour ?? null,
      price_per_instance_hour: offering.pricePerInstanceHour,
    })),
  };
}
