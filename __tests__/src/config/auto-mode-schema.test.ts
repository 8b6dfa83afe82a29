import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../../src/config/schema";
import { expectRejected, type Input, withCluster } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";

/** The base environment on Auto Mode, with other top-level settings added. */
function autoMode(overrides: Input = {}, cluster: Input = {}): Input {
  return { ...withCluster({ auto_mode: true, ...cluster }), ...overrides };
}

describe("cluster.auto_mode", () => {
  it("is off by default: Karpenter, its default settings and the system node group as before", () => {
    // GIVEN a file that says nothing about Auto Mode
    const config = environmentSchema.parse(baseEnvironmentInput());
    // THEN
    expect(config.cluster.auto_mode).toBe(false);
    expect(config.cluster.auto_mode_node_pools).toEqual([]);
    expect(config.karpenter.enabled).toBe(true);
    expect(config.system_node_group.min_size).toBe(2);
  });

  it("with auto_mode = true: Auto Mode's system pool by default, and blockfleet's Karpenter off", () => {
    // GIVEN auto_mode and nothing else
    const config = environmentSchema.parse(autoMode());
    // THEN
    expect(config.cluster.auto_mode).toBe(true);
    expect(config.cluster.auto_mode_node_pools).toEqual(["system"]);
    expect(config.karpenter.enabled).toBe(false);
  });

  it("takes the built-in pools as configured, also none, and a system node group when the system pool is off", async () => {
    expect(environmentSchema.parse(autoMode({}, { auto_mode_node_pools: ["general-purpose", "system"] })).cluster.auto_mode_node_pools).toEqual([
      "general-purpose",
      "system",
    ]);
    expect(environmentSchema.parse(autoMode({}, { auto_mode_node_pools: [] })).cluster.auto_mode_node_pools).toEqual([]);
    expect(await issuesOf(autoMode({ system_node_group: { min_size: 1, desired_size: 1 } }, { auto_mode_node_pools: [] }))).toEqual([]);
  });

  it("accepts karpenter-consumed blocks: Auto Mode's capacity-block pool launches into them", async () => {
    const [block] = baseEnvironmentInput().capacity_blocks as Input[];
    expect(await issuesOf(autoMode({ capacity_blocks: [{ ...block, consumer: "karpenter" }] }))).toEqual([]);
  });

  it("fails when the karpenter section is set with auto_mode", async () => {
    await expectRejected(
      autoMode({ karpenter: { enabled: true } }),
      "karpenter",
      /with cluster\.auto_mode = true EKS runs Karpenter itself.*remove the karpenter section/,
    );
  });

  it("fails when platform.load_balancer_controller is set with auto_mode", async () => {
    await expectRejected(
      autoMode({ platform: { load_balancer_controller: { certificate_arn: CERTIFICATE } } }),
      "platform.load_balancer_controller",
      /EKS runs the load balancer controller; remove platform\.load_balancer_controller and set platform\.auto_mode_ingress/,
    );
  });

  it("fails when system_node_group is set while Auto Mode's system pool serves", async () => {
    await expectRejected(
      autoMode({ system_node_group: { min_size: 2 } }),
      "system_node_group",
      /built-in "system" pool runs the add-ons.*remove system_node_group/,
    );
  });

  it("fails when create_spot_service_linked_role is set with auto_mode", async () => {
    await expectRejected(autoMode({ create_spot_service_linked_role: true }), "create_spot_service_linked_role", /no Karpenter stack to create the role in/);
  });

  it("fails when cluster.ssm_access is set with auto_mode", async () => {
    await expectRejected(autoMode({}, { ssm_access: true }), "cluster.ssm_access", /disallows SSM and SSH on its nodes/);
  });

  it("fails when platform.gpu.gpu_operator is set with auto_mode", async () => {
    // Auto Mode's NVIDIA nodes carry the device plugin (amazon-eks-user-guide latest/ug/automode/auto-accelerated.adoc)
    await expectRejected(
      autoMode({ platform: { gpu: { gpu_operator: true, nvidia_device_plugin: false } } }),
      "platform.gpu.gpu_operator",
      /Auto Mode's NVIDIA nodes bring the driver and the NVIDIA device plugin; set gpu_operator = false/,
    );
  });

  it("fails when cluster.auto_mode_node_pools is set without auto_mode", async () => {
    await expectRejected(withCluster({ auto_mode_node_pools: ["system"] }), "cluster.auto_mode_node_pools", /set cluster\.auto_mode = true, or drop it/);
  });

  it("fails when a built-in pool is listed twice", async () => {
    await expectRejected(autoMode({}, { auto_mode_node_pools: ["system", "system"] }), "cluster.auto_mode_node_pools", /list each built-in node pool once/);
  });

  it("fails when a built-in pool is not one EKS has", async () => {
    await expectRejected(autoMode({}, { auto_mode_node_pools: ["gpu"] }), "cluster.auto_mode_node_pools[0]", /expected one of "general-purpose", "system"/);
  });

  it("fails when platform.auto_mode_ingress is set without auto_mode", async () => {
    await expectRejected(
      { ...baseEnvironmentInput(), platform: { auto_mode_ingress: { certificate_arn: CERTIFICATE } } },
      "platform.auto_mode_ingress",
      /configures EKS Auto Mode's ALB ingress class/,
    );
  });

  it("fails when the auto_mode_ingress certificate is in another region", async () => {
    await expectRejected(
      autoMode({ platform: { auto_mode_ingress: { certificate_arn: CERTIFICATE.replace("us-east-1", "eu-west-1") } } }),
      "platform.auto_mode_ingress.certificate_arn",
      /the certificate is in "eu-west-1" but the environment is in "us-east-1"/,
    );
  });

  it("reports every inapplicable setting at once", async () => {
    const issues = await issuesOf(autoMode({ karpenter: {}, create_spot_service_linked_role: true, system_node_group: {} }, { ssm_access: true }));
    expect(issues.map((issue) => issue.path).sort()).toEqual(["cluster.ssm_access", "create_spot_service_linked_role", "karpenter", "system_node_group"]);
  });
});
