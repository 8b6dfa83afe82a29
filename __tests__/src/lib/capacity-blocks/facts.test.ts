import { join } from "node:path";
import { CapacityReservationState } from "@aws-sdk/client-ec2";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import {
  ARM64_GPU_FAMILIES,
  BOTTLEROCKET_OS_VOLUME_DEVICE,
  DATA_VOLUME_DEVICE,
  dataVolumeDeviceFor,
  ENDED_RESERVATION_STATES,
  gpuInstanceArchitecture,
  isSellableDurationHours,
  LIVE_RESERVATION_STATES,
  REFUSED_RESERVATION_STATES,
  RESERVATION_STATE_PHASES,
  reservationPhase,
  terminationLeadMs,
} from "../../../../src/lib/capacity-blocks/facts";
import { CAPACITY_BLOCK_INSTANCE_TYPES, GPU_AMI_TYPES, type GpuAmiType } from "../../../../src/lib/instance-types";

const MINUTE_MS = 60_000;
const FACTS = join(__dirname, "../../../../src/lib/capacity-blocks/facts.ts");

describe("capacity block facts", () => {
  describe("reservation states (source: @aws-sdk/client-ec2 3.1169.0, dist-types/models/enums.d.ts, CapacityReservationState)", () => {
    it("classify every state the installed SDK knows, and nothing else", () => {
      // GIVEN the SDK's runtime enum  WHEN compared with the classification  THEN both name the same states
      expect(Object.keys(RESERVATION_STATE_PHASES).sort()).toEqual(Object.values(CapacityReservationState).sort());
    });

    it("count as live exactly the states that hold or will hold capacity (the CLI's status and timeline before the move)", () => {
      expect([...LIVE_RESERVATION_STATES].sort()).toEqual(["active", "assessing", "delayed", "payment-pending", "pending", "scheduled"]);
    });

    it("count as ended expired, cancelled and failed, and as refused a failed payment or an unsupported request", () => {
      expect([...ENDED_RESERVATION_STATES].sort()).toEqual(["cancelled", "expired", "failed"]);
      expect([...REFUSED_RESERVATION_STATES].sort()).toEqual(["payment-failed", "unsupported"]);
    });

    it("give no phase to a string EC2 never reports, not even an Object.prototype key", () => {
      expect(reservationPhase("not-found")).toBeUndefined();
      expect(reservationPhase("toString")).toBeUndefined();
      expect(reservationPhase("cancelling")).toBe("winding-down");
    });
  });

  describe("termination lead (source: EC2 User Guide, Capacity Blocks for ML, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-capacity-blocks.html: 30 minutes for instance types, 60 minutes for UltraServer types; P6e-GB200 UltraServer blocks must be empty 60 minutes before the end)", () => {
    it.each([
      ["p6e-gb200.36xlarge", 60],
      ["p5.48xlarge", 30],
      ["p5en.48xlarge", 30],
      ["p6-b200.48xlarge", 30],
      ["trn2.48xlarge", 30],
    ])("GIVEN a %s block THEN its instances go %i minutes before the end", (instanceType, minutes) => {
      expect(terminationLeadMs(instanceType)).toBe(minutes * MINUTE_MS);
    });
  });

  describe("durations EC2 sells (source: EC2 User Guide, Capacity Blocks for ML: one to 14 days, or a multiple of 7 days up to 182 days)", () => {
    it.each([
      [24, true],
      [14 * 24, true],
      [21 * 24, true],
      [182 * 24, true],
      [15 * 24, false],
      [189 * 24, false],
      [0, false],
      [-24, false],
      [36, false],
      [Number.NaN, false],
    ])("GIVEN %d hours THEN sellable is %s", (hours, sellable) => {
      expect(isSellableDurationHours(hours)).toBe(sellable);
    });
  });

  // Sources: g5g from aws/karpenter-provider-aws v1.14.1, website/content/en/docs/reference/instance-types.md
  // (`g5g.xlarge`: kubernetes.io/arch arm64; `p5.48xlarge`: amd64); p6e-gb200 (NVIDIA Grace) from the capacity-block
  // table in src/lib/instance-types.ts, which the test below holds the facts to.
  describe("GPU families and architectures", () => {
    it.each([
      ["g5g.xlarge", "arm64"],
      ["p6e-gb200.36xlarge", "arm64"],
      ["p5.48xlarge", "x86_64"],
      ["g6e.12xlarge", "x86_64"],
      // A bare family is no instance type; Karpenter's requirement keeps it x86_64 as before.
      ["g5g", "x86_64"],
    ])("GIVEN %s THEN its architecture is %s", (instanceType, architecture) => {
      expect(gpuInstanceArchitecture(instanceType)).toBe(architecture);
    });

    it("agree with the architecture of every capacity block instance type", () => {
      // GIVEN the capacity-block table  THEN each row's architecture is what the shared facts say for its type
      for (const [instanceType, facts] of Object.entries(CAPACITY_BLOCK_INSTANCE_TYPES)) {
        expect([instanceType, gpuInstanceArchitecture(instanceType)]).toEqual([instanceType, facts.architecture]);
      }
      expect([...ARM64_GPU_FAMILIES].sort()).toEqual(["g5g", "p6e-gb200"]);
    });
  });

  describe("data volume device (source: aws/karpenter-provider-aws v1.14.1 bde00654, pkg/providers/amifamily/al2023.go and bottlerocket.go EphemeralBlockDevice / DefaultBlockDeviceMappings)", () => {
    it("is /dev/xvda on AL2023 (the root volume) and /dev/xvdb on Bottlerocket (after the OS volume /dev/xvda)", () => {
      expect(DATA_VOLUME_DEVICE).toEqual({ al2023: "/dev/xvda", bottlerocket: "/dev/xvdb" });
      expect(BOTTLEROCKET_OS_VOLUME_DEVICE).toBe("/dev/xvda");
    });

    it.each(Object.keys(GPU_AMI_TYPES) as GpuAmiType[])("GIVEN the EKS AMI type %s THEN the data volume goes on its family's device", (amiType) => {
      expect(dataVolumeDeviceFor(amiType)).toBe(amiType.startsWith("BOTTLEROCKET_") ? "/dev/xvdb" : "/dev/xvda");
    });
  });

  it("is pure: it bundles on its own, reading no other file at run time (no cdktf, no SDK client), so the Lambda can import it", () => {
    // GIVEN the module  WHEN esbuild bundles it with nothing external  THEN the only input is the module itself
    const result = buildSync({ entryPoints: [FACTS], bundle: true, write: false, metafile: true, platform: "node", format: "esm", logLevel: "silent" });
    expect(Object.keys(result.metafile.inputs).map((input) => input.split("/").slice(-3).join("/"))).toEqual(["lib/capacity-blocks/facts.ts"]);
  });
});
