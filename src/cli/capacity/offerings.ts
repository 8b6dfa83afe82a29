import { capacityBlockSchema } from "../../config/schema";
import { CAPACITY_BLOCK_INSTANCE_TYPES, GPU_AMI_TYPES, type GpuAmiType } from "../../lib/instance-types";
import { formatDuration, formatMoney, formatUtc, textTable } from "../format/text";
import type { Palette } from "../io";
import type { Offering } from "./ec2";

export interface RankedOffering extends Offering {
  readonly rank: number;
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
export function rankOfferings(offerings: readonly Offering[]): RankedOffering[] {
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

export function renderOfferingsTable(offerings: readonly RankedOffering[], colours: Palette): string {
  const money = (amount: number | undefined, currency: string) => (amount === undefined ? "—" : formatMoney(amount, currency));
  return textTable(
    ["#", "Instance type", "AZ", "Count", "Start (UTC)", "End (UTC)", "Length", "Upfront fee", "Per GPU-h", "Per instance-h", "Offering"],
    offerings.map((offering) => [
      String(offering.rank),
      `${offering.instanceType}${offering.acceleratorName ? colours.dim(` (${offering.acceleratorsPerInstance}× ${offering.acceleratorName})`) : ""}`,
      offering.availabilityZone,
      String(offering.instanceCount),
      formatUtc(offering.startDate).replace(" UTC", ""),
      formatUtc(offering.endDate).replace(" UTC", ""),
      formatDuration(offering.durationHours * 3_600_000),
      money(offering.upfrontFee, offering.currency),
      offering.rank === 1 ? colours.green(money(offering.pricePerAcceleratorHour, offering.currency)) : money(offering.pricePerAcceleratorHour, offering.currency),
      money(offering.pricePerInstanceHour, offering.currency),
      colours.dim(offering.offeringId),
    ]),
  );
}

/** The GPU AMI a node group on this instance type should use: the AL2023 one for its architecture and accelerator. */
export function defaultAmiType(instanceType: string): GpuAmiType {
  const facts = CAPACITY_BLOCK_INSTANCE_TYPES[instanceType];
  const fitting = (Object.keys(GPU_AMI_TYPES) as GpuAmiType[]).filter(
    (amiType) => GPU_AMI_TYPES[amiType].architecture === (facts?.architecture ?? "x86_64") && GPU_AMI_TYPES[amiType].acceleratorKind === (facts?.acceleratorKind ?? "nvidia"),
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
export function attachSnippet(offering: Offering, region: string): string {
  // The optional keys show the schema's defaults, so the snippet says what the entry gets without them.
  const shape = capacityBlockSchema.shape;
  return [
    `# 1. Buy it (irreversible; the upfront fee of ${formatMoney(offering.upfrontFee, offering.currency)} is charged now):`,
    `#    aws ec2 purchase-capacity-block --region ${region} --capacity-block-offering-id ${offering.offeringId} \\`,
    `#      --instance-platform Linux/UNIX`,
    `# 2. Add this entry to capacity_blocks in environments/<env>.tfvars, with the CapacityReservationId the purchase printed:`,
    `{`,
    `  name              = "${suggestedBlockName(offering)}"`,
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

/** The `--json` shape: stable keys, ISO dates, numbers as numbers. */
export function offeringsJson(offerings: readonly RankedOffering[], region: string): unknown {
  return {
    region,
    offerings: offerings.map((offering) => ({
      rank: offering.rank,
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
