/**
 * Facts about EC2 Capacity Blocks for ML that the CLI, the constructs and the capacity manager Lambda all rely on,
 * in one home. Pure: no cdktf, no AWS SDK client (the SDK is imported for a type only, erased at build), so esbuild
 * bundles it into the Lambda as it is. It imports nothing at run time and its top-level values are marked
 * `@__PURE__`, so the Lambda's bundle carries only the facts it uses.
 *
 * Sources (each fact's test in __tests__/src/lib/capacity-blocks/facts.test.ts names its own):
 * - EC2 User Guide, "Capacity Blocks for ML" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-capacity-blocks.html):
 *   durations, and the termination lead of 30 minutes for instance types and 60 minutes for UltraServer types.
 * - @aws-sdk/client-ec2 3.1169.0, dist-types/models/enums.d.ts `CapacityReservationState`: the states EC2 reports.
 * - aws/karpenter-provider-aws v1.14.1 (bde00654cd316fddb3dccfba3f5ac07039865429), pkg/providers/amifamily/al2023.go
 *   and bottlerocket.go `EphemeralBlockDevice`: the data volume's device per AMI family; and
 *   website/content/en/docs/reference/instance-types.md: g5g is arm64.
 */
import type { CapacityReservationState } from "@aws-sdk/client-ec2";

// ---------------------------------------------------------------------------------------------------------------
// Reservation states

/** A state EC2 reports for a capacity reservation (and so for a capacity block), as the SDK types it. */
export type ReservationState = CapacityReservationState;

/**
 * What a reservation in each state means for whoever wants its capacity:
 * - `live`: holds capacity now or will (paid or being paid for, being set up, or waiting for its start);
 * - `ended`: over: expired, cancelled or failed; it holds nothing any more;
 * - `refused`: EC2 will not deliver it (its payment failed, or the request is not supported);
 * - `winding-down`: being cancelled, or unavailable: no capacity to count on.
 */
export type ReservationPhase = "live" | "ended" | "refused" | "winding-down";

/**
 * Every state of the SDK's `CapacityReservationState`, classified. `satisfies Record<ReservationState, …>` makes a
 * state added by a newer SDK fail the typecheck here until someone classifies it.
 */
export const RESERVATION_STATE_PHASES = /* @__PURE__ */ Object.freeze({
  active: "live",
  scheduled: "live",
  "payment-pending": "live",
  pending: "live",
  assessing: "live",
  delayed: "live",
  expired: "ended",
  cancelled: "ended",
  failed: "ended",
  "payment-failed": "refused",
  unsupported: "refused",
  cancelling: "winding-down",
  unavailable: "winding-down",
} as const satisfies Record<ReservationState, ReservationPhase>);

/** The phase of a state EC2 reported, or undefined for a string that is not one of its states. */
export function reservationPhase(state: string): ReservationPhase | undefined {
  return Object.hasOwn(RESERVATION_STATE_PHASES, state) ? RESERVATION_STATE_PHASES[state as ReservationState] : undefined;
}

function statesIn(phase: ReservationPhase): ReadonlySet<string> {
  return new Set((Object.keys(RESERVATION_STATE_PHASES) as ReservationState[]).filter((state) => RESERVATION_STATE_PHASES[state] === phase));
}

/** States of a block that is, or will be, usable and paid for: it covers its dates. */
export const LIVE_RESERVATION_STATES: ReadonlySet<string> = /* @__PURE__ */ statesIn("live");
/** States after which a block holds nothing any more. */
export const ENDED_RESERVATION_STATES: ReadonlySet<string> = /* @__PURE__ */ statesIn("ended");
/** States in which EC2 will not deliver the block at all. */
export const REFUSED_RESERVATION_STATES: ReadonlySet<string> = /* @__PURE__ */ statesIn("refused");

// ---------------------------------------------------------------------------------------------------------------
// Termination lead

const MINUTE_MS = 60_000;
/** EC2 begins terminating the instances of an instance-type block this long before its end. */
export const INSTANCE_TERMINATION_LEAD_MS = 30 * MINUTE_MS;
/** An UltraServer block must be empty this long before its end (EC2 terminates what is left). */
export const ULTRASERVER_TERMINATION_LEAD_MS = 60 * MINUTE_MS;
/** Families EC2 sells as Capacity Blocks of UltraServers only: P6e-GB200. */
export const ULTRASERVER_FAMILIES: ReadonlySet<string> = /* @__PURE__ */ new Set(["p6e-gb200"]);

/** How long before the end a block of this instance type loses its instances. */
export function terminationLeadMs(instanceType: string): number {
  return ULTRASERVER_FAMILIES.has(instanceType.split(".")[0] ?? instanceType) ? ULTRASERVER_TERMINATION_LEAD_MS : INSTANCE_TERMINATION_LEAD_MS;
}

// ---------------------------------------------------------------------------------------------------------------
// Durations

/** Up to this many days EC2 sells a block (or extension) by whole days. */
export const DAILY_DURATION_MAX_DAYS = 14;
/** Beyond DAILY_DURATION_MAX_DAYS, durations are whole weeks. */
export const WEEKLY_DURATION_STEP_DAYS = 7;
/** The longest block (or extension) EC2 sells. */
export const MAX_DURATION_DAYS = 182;

/**
 * Durations EC2 sells for a Capacity Block (and its extensions): 1-day steps up to 14 days,
 * then 7-day steps up to 182 days.
 */
export function isSellableDurationHours(hours: number): boolean {
  if (!Number.isInteger(hours) || hours <= 0) return false;
  if (hours % 24 !== 0) return false;
  const days = hours / 24;
  if (days <= DAILY_DURATION_MAX_DAYS) return true;
  return days <= MAX_DURATION_DAYS && days % WEEKLY_DURATION_STEP_DAYS === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Families and architectures

export type CpuArchitecture = "x86_64" | "arm64";

/**
 * GPU families on Arm CPUs: G5g (AWS Graviton2 with NVIDIA T4G) and P6e-GB200 (NVIDIA Grace). Every other GPU family
 * is x86_64. The capacity-block table in ../instance-types agrees (a test holds them together).
 */
export const ARM64_GPU_FAMILIES: ReadonlySet<string> = /* @__PURE__ */ new Set(["g5g", "p6e-gb200"]);

/** The CPU architecture of a GPU instance type (`family.size`); a name without a size is taken as x86_64. */
export function gpuInstanceArchitecture(instanceType: string): CpuArchitecture {
  const dot = instanceType.indexOf(".");
  return dot > 0 && ARM64_GPU_FAMILIES.has(instanceType.slice(0, dot)) ? "arm64" : "x86_64";
}

// ---------------------------------------------------------------------------------------------------------------
// Data volume device

/** How the AMI's disks are laid out, by family: Bottlerocket keeps its OS on a small first volume. */
export type AmiFamilyKind = "al2023" | "bottlerocket";

/** The device the node's data volume (images, container storage) is attached as, per AMI family. */
export const DATA_VOLUME_DEVICE: Readonly<Record<AmiFamilyKind, string>> = /* @__PURE__ */ Object.freeze({
  al2023: "/dev/xvda",
  bottlerocket: "/dev/xvdb",
});
/** Bottlerocket's OS volume, before the data volume. */
export const BOTTLEROCKET_OS_VOLUME_DEVICE = "/dev/xvda";

/** The AMI family of an EKS AMI type (`BOTTLEROCKET_…` or `AL2023_…`). */
export function amiFamilyOfAmiType(amiType: string): AmiFamilyKind {
  return amiType.startsWith("BOTTLEROCKET") ? "bottlerocket" : "al2023";
}

/** The data volume's device for an EKS AMI type. */
export function dataVolumeDeviceFor(amiType: string): string {
  return DATA_VOLUME_DEVICE[amiFamilyOfAmiType(amiType)];
}
