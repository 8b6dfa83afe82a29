import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_AMI_ALIAS_VERSIONS, DEFAULT_KARPENTER_CHART_VERSION } from "../../../src/config/karpenter-schema";
import { parseEnvironment } from "../../../src/config/load";
import { environmentSchema } from "../../../src/config/schema";
import { expectRejected, type Input } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

const withKarpenter = (section: Input): Input => ({ ...baseEnvironmentInput(), karpenter: section });
const withPool = (pool: string, section: Input): Input => ({ ...baseEnvironmentInput(), node_pools: { [pool]: section } });

describe("karpenter and node_pools schema", () => {
  it("turns Karpenter on with pinned versions and cost-safe pools when the file says nothing", () => {
    // GIVEN an environment without karpenter keys  WHEN parsed  THEN the documented defaults apply
    const env = environmentSchema.parse(baseEnvironmentInput());
    expect(env.karpenter).toEqual({
      enabled: true,
      chart_version: DEFAULT_KARPENTER_CHART_VERSION,
      replicas: 2,
      ami_family: "bottlerocket",
      ami_alias_version: DEFAULT_AMI_ALIAS_VERSIONS.bottlerocket,
    });
    expect(env.create_spot_service_linked_role).toBe(false);
    expect(env.node_pools.default).toMatchObject({
      enabled: true,
      instance_categories: ["c", "m", "r"],
      capacity_types: ["spot", "on-demand"],
      cpu_limit: 1000,
    });
    expect(env.node_pools.gpu_spot).toMatchObject({ enabled: true, gpu_limit: 16 });
    expect(env.node_pools.gpu_capacity_block).toEqual({ enabled: true, reservation_tags: {}, termination_grace_period: "24h", volume_gib: 500 });
    expect(env.node_pools.gpu_on_demand).toMatchObject({ enabled: true, instance_types: ["p5.48xlarge"], gpu_limit: 0 });
  });

  it("pins the AL2023 release by default when AL2023 is chosen", () => {
    // GIVEN ami_family al2023 without a version  WHEN parsed  THEN the AL2023 default release is used, not Bottlerocket's
    expect(environmentSchema.parse(withKarpenter({ ami_family: "al2023" })).karpenter.ami_alias_version).toBe(DEFAULT_AMI_ALIAS_VERSIONS.al2023);
  });

  it("defaults to a chart version of at least 1.6, the first that launches into capacity blocks", () => {
    const [major, minor] = DEFAULT_KARPENTER_CHART_VERSION.split(".").map(Number);
    expect(major! > 1 || (major === 1 && minor! >= 6)).toBe(true);
  });

  it("keeps both shipped environment files valid, with prod showing the feature", async () => {
    for (const name of ["dev", "prod"]) {
      const file = `environments/${name}.tfvars`;
      const result = await parseEnvironment(file, readFileSync(file, "utf8"));
      expect(result.ok ? [] : result.issues).toEqual([]);
    }
    const prod = await parseEnvironment("environments/prod.tfvars", readFileSync("environments/prod.tfvars", "utf8"));
    if (!prod.ok) throw new Error("prod.tfvars is invalid");
    expect(prod.environment.config.karpenter.chart_version).toBe(DEFAULT_KARPENTER_CHART_VERSION);
    expect(prod.environment.config.node_pools.gpu_capacity_block.reservation_tags).toEqual({ deployment: "prod" });
  });

  describe("karpenter", () => {
    it("fails when the chart version is not a plain x.y.z version", async () => {
      await expectRejected(withKarpenter({ chart_version: "v1.8" }), "karpenter.chart_version", /expected a chart version such as "1.14.1"/);
    });

    it("fails when the chart version predates capacity block support (1.6)", async () => {
      await expectRejected(withKarpenter({ chart_version: "1.5.3" }), "karpenter.chart_version", /capacity blocks from 1\.6\.0; use that version or newer/);
    });

    it("accepts 1.6.0 exactly and later majors", async () => {
      expect(await issuesOf(withKarpenter({ chart_version: "1.6.0" }))).toEqual([]);
      expect(await issuesOf(withKarpenter({ chart_version: "2.0.0" }))).toEqual([]);
    });

    it("fails when the AMI alias version is not pinned (latest)", async () => {
      await expectRejected(withKarpenter({ ami_alias_version: "latest" }), "karpenter.ami_alias_version", /pinned bottlerocket release such as "v1.66.0"/);
    });

    it("fails when the AMI alias version has the other family's format", async () => {
      await expectRejected(
        withKarpenter({ ami_family: "al2023", ami_alias_version: "v1.66.0" }),
        "karpenter.ami_alias_version",
        /pinned al2023 release such as "v20260903"/,
      );
    });

    it("fails when the AMI family is not Bottlerocket or AL2023", async () => {
      await expectRejected(withKarpenter({ ami_family: "al2" }), "karpenter.ami_family", /"bottlerocket"\|"al2023"/);
    });

    it("fails when there are no controller replicas", async () => {
      await expectRejected(withKarpenter({ replicas: 0 }), "karpenter.replicas", />=1/);
    });

    it("fails with a did-you-mean on a misspelt key", async () => {
      await expectRejected(withKarpenter({ chart_verison: "1.14.1" }), "karpenter.chart_verison", /did you mean "chart_version"/);
    });
  });

  describe("node_pools", () => {
    it("fails when a GPU pool lists an instance type without NVIDIA GPUs", async () => {
      await expectRejected(
        withPool("gpu_spot", { instance_types: ["m7i.large"] }),
        "node_pools.gpu_spot.instance_types[0]",
        /expected an NVIDIA GPU instance type \(families g4dn, g5/,
      );
    });

    it("fails when a GPU pool lists a type without instance-store NVMe, which its pool could never launch", async () => {
      // GIVEN EBS-only GPU types (g5g, p3 but not p3dn)  WHEN parsed  THEN each is named; p3dn with local NVMe passes
      await expectRejected(
        withPool("gpu_spot", { instance_types: ["g6e.12xlarge", "g5g.16xlarge"] }),
        "node_pools.gpu_spot.instance_types[1]",
        /"g5g\.16xlarge" has no instance-store NVMe disks/,
      );
      await expectRejected(
        withPool("gpu_on_demand", { instance_types: ["p3.16xlarge"] }),
        "node_pools.gpu_on_demand.instance_types[0]",
        /"p3\.16xlarge" has no instance-store NVMe disks/,
      );
      expect(await issuesOf(withPool("gpu_on_demand", { instance_types: ["p3dn.24xlarge"] }))).toEqual([]);
    });

    it("fails when a GPU pool lists an instance type twice", async () => {
      await expectRejected(
        withPool("gpu_on_demand", { instance_types: ["p5.48xlarge", "p5.48xlarge"] }),
        "node_pools.gpu_on_demand.instance_types",
        /must not repeat/,
      );
    });

    it("fails when a GPU pool lists no instance types", async () => {
      await expectRejected(withPool("gpu_spot", { instance_types: [] }), "node_pools.gpu_spot.instance_types", />=1/);
    });

    it("fails when a GPU limit is negative", async () => {
      await expectRejected(withPool("gpu_on_demand", { gpu_limit: -1 }), "node_pools.gpu_on_demand.gpu_limit", />=0/);
    });

    it("fails when the default pool's CPU limit is zero", async () => {
      await expectRejected(withPool("default", { cpu_limit: 0 }), "node_pools.default.cpu_limit", />=1/);
    });

    it("fails when the default pool has an unknown capacity type", async () => {
      await expectRejected(withPool("default", { capacity_types: ["reserved"] }), "node_pools.default.capacity_types[0]", /"spot"\|"on-demand"/);
    });

    it("fails when an instance category is not a single letter", async () => {
      await expectRejected(withPool("default", { instance_categories: ["c7"] }), "node_pools.default.instance_categories[0]", /instance category letter/);
    });

    it("fails when the termination grace period is not a duration", async () => {
      await expectRejected(
        withPool("gpu_capacity_block", { termination_grace_period: "1 day" }),
        "node_pools.gpu_capacity_block.termination_grace_period",
        /duration such as "24h"/,
      );
    });

    it("fails when a reservation tag value is empty (Karpenter rejects empty selector tags)", async () => {
      await expectRejected(
        withPool("gpu_capacity_block", { reservation_tags: { deployment: "" } }),
        "node_pools.gpu_capacity_block.reservation_tags.deployment",
        /tag values must not be empty/,
      );
    });

    it("fails when more than 19 tags select reservations (the CRD's 20 per term, one being the consumer tag)", async () => {
      const tags = Object.fromEntries(Array.from({ length: 20 }, (_, index) => [`tag${index}`, "x"]));
      await expectRejected(withPool("gpu_capacity_block", { reservation_tags: tags }), "node_pools.gpu_capacity_block.reservation_tags", /at most 19 tags/);
    });

    it("fails when the reservation tags set the consumer tag blockfleet adds itself", async () => {
      await expectRejected(
        withPool("gpu_capacity_block", { reservation_tags: { "blockfleet.io/capacity-consumer": "node_group" } }),
        "node_pools.gpu_capacity_block.reservation_tags",
        /added to the selection by blockfleet/,
      );
    });

    it("fails when a volume is too small for container images", async () => {
      await expectRejected(withPool("gpu_spot", { volume_gib: 10 }), "node_pools.gpu_spot.volume_gib", />=20/);
    });

    it("fails with a did-you-mean on a misspelt pool", async () => {
      await expectRejected({ ...baseEnvironmentInput(), node_pools: { gpu_spots: {} } }, "node_pools.gpu_spots", /did you mean "gpu_spot"/);
    });
  });
});
