import { describe, expect, it } from "vitest";
import { expectRejected, type Input, withBlock, withCluster } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

describe("environment schema", () => {
  it("accepts the base environment and fills in documented defaults", async () => {
    // GIVEN a minimal environment  WHEN validated  THEN there are no issues
    expect(await issuesOf(baseEnvironmentInput())).toEqual([]);
  });

  describe("capacity blocks", () => {
    it("fails when a reservation id is not cr- followed by 17 hex digits", async () => {
      await expectRejected(withBlock({ reservation_id: "cr-12345" }), "capacity_blocks[0].reservation_id", /"cr-" followed by 17 hex digits/);
    });

    it("fails when a reservation id has upper-case hex", async () => {
      await expectRejected(withBlock({ reservation_id: "cr-0123456789ABCDEF0" }), "capacity_blocks[0].reservation_id", /17 hex digits/);
    });

    it("fails when a block name is not DNS-safe", async () => {
      await expectRejected(withBlock({ name: "P5_Block" }), "capacity_blocks[0].name", /DNS-safe name/);
    });

    it("fails when two blocks share a name", async () => {
      const base = baseEnvironmentInput();
      const [block] = base.capacity_blocks as Input[];
      const input = { ...base, capacity_blocks: [block, { ...block, reservation_id: "cr-0fedcba9876543210" }] };
      await expectRejected(input, "capacity_blocks[1].name", /"p5-a" is already used by capacity_blocks\[0\]/);
    });

    it("fails when two blocks attach the same reservation", async () => {
      const base = baseEnvironmentInput();
      const [block] = base.capacity_blocks as Input[];
      const input = { ...base, capacity_blocks: [block, { ...block, name: "p5-b" }] };
      await expectRejected(input, "capacity_blocks[1].reservation_id", /already attached by capacity_blocks\[0\] \("p5-a"\)/);
    });

    it("gives a block the node group as its consumer unless it says otherwise", async () => {
      const { environmentSchema } = await import("../../../src/config/schema");
      expect(environmentSchema.parse(baseEnvironmentInput()).capacity_blocks[0]!.consumer).toBe("node_group");
    });

    it("fails when a block's consumer is neither node_group nor karpenter", async () => {
      await expectRejected(withBlock({ consumer: "cluster_autoscaler" }), "capacity_blocks[0].consumer", /expected one of "node_group", "karpenter"/);
    });

    it("fails when a karpenter block is declared in an environment without Karpenter, naming both places", async () => {
      await expectRejected(
        { ...withBlock({ consumer: "karpenter" }), karpenter: { enabled: false } },
        "capacity_blocks[0].consumer",
        /capacity_blocks\[0\] \("p5-a"\) has consumer = "karpenter", but karpenter.enabled = false/,
      );
    });

    it("fails when a karpenter block is declared with the capacity-block pool switched off, naming both places", async () => {
      await expectRejected(
        { ...withBlock({ consumer: "karpenter" }), node_pools: { gpu_capacity_block: { enabled: false } } },
        "capacity_blocks[0].consumer",
        /has consumer = "karpenter", but node_pools.gpu_capacity_block.enabled = false/,
      );
    });

    it("fails when a karpenter block is a Neuron type the GPU pool never launches", async () => {
      await expectRejected(
        withBlock({ consumer: "karpenter", instance_type: "trn2.48xlarge", ami_type: "AL2023_x86_64_NEURON" }),
        "capacity_blocks[0].consumer",
        /Neuron type/,
      );
    });

    it("fails when a block's desired size is above its instance count", async () => {
      await expectRejected(withBlock({ desired_size: 3 }), "capacity_blocks[0].desired_size", /must be at most instance_count \(2\)/);
    });

    it("fails when a karpenter block sets a desired size (it has no node group)", async () => {
      await expectRejected(withBlock({ consumer: "karpenter", desired_size: 1 }), "capacity_blocks[0].desired_size", /does not have/);
    });

    it("fails when a karpenter block asks for EFA, which only its node group's launch template configures", async () => {
      await expectRejected(withBlock({ consumer: "karpenter", efa: true }), "capacity_blocks[0].efa", /consumer = "node_group" for EFA/);
    });

    it("fails when a block's availability zone is not one of the environment's", async () => {
      await expectRejected(
        withBlock({ availability_zone: "us-east-1d" }),
        "capacity_blocks[0].availability_zone",
        /"us-east-1d" is not one of availability_zones \[us-east-1a, us-east-1b\]/,
      );
    });

    it("fails when the instance type is not a family capacity blocks sell", async () => {
      await expectRejected(
        withBlock({ instance_type: "g5.48xlarge" }),
        "capacity_blocks[0].instance_type",
        /sold as a capacity block \(families p4d, p4de, p5/,
      );
    });

    it("fails when the AMI type is not a GPU AMI", async () => {
      await expectRejected(
        withBlock({ ami_type: "AL2023_x86_64_STANDARD" }),
        "capacity_blocks[0].ami_type",
        /expected a GPU AMI type, one of AL2023_x86_64_NVIDIA/,
      );
    });

    it("fails when the deprecated AL2 GPU AMI is used, naming its replacement", async () => {
      await expectRejected(
        withBlock({ ami_type: "AL2_x86_64_GPU" }),
        "capacity_blocks[0].ami_type",
        /"AL2_x86_64_GPU" is deprecated.*use "AL2023_x86_64_NVIDIA"/,
      );
    });

    it("fails when the AMI's architecture does not fit the instance type", async () => {
      await expectRejected(
        withBlock({ instance_type: "trn2.48xlarge", ami_type: "AL2023_x86_64_NVIDIA" }),
        "capacity_blocks[0].ami_type",
        /does not fit instance_type "trn2.48xlarge" \(x86_64, neuron\)/,
      );
    });

    it("fails when EFA is asked for on an instance type whose EFA layout blockfleet can't generate", async () => {
      await expectRejected(
        withBlock({ instance_type: "p6e-gb200.36xlarge", ami_type: "AL2023_ARM_64_NVIDIA", efa: true }),
        "capacity_blocks[0].efa",
        /efa = true is not supported for "p6e-gb200.36xlarge": UltraServer capacity blocks need alternating efa\/efa-only interfaces/,
      );
    });

    it("fails when the instance count is zero", async () => {
      await expectRejected(withBlock({ instance_count: 0 }), "capacity_blocks[0].instance_count", />=1/);
    });

    it("fails when a taint effect is not one EKS knows", async () => {
      await expectRejected(withBlock({ taints: [{ key: "a", value: "b", effect: "NoSchedule" }] }), "capacity_blocks[0].taints[0].effect", /NO_SCHEDULE/);
    });
  });

  describe("production", () => {
    it("fails when a production environment keeps its database in one availability zone", async () => {
      const input = { ...baseEnvironmentInput(), production: true, platform: { database: { multi_az: false } } };
      await expectRejected(
        input,
        "platform.database.multi_az",
        /a production environment keeps its database in two availability zones; set multi_az = true or production = false/,
      );
    });

    it("accepts a single-AZ database outside production", async () => {
      expect(await issuesOf({ ...baseEnvironmentInput(), platform: { database: { multi_az: false } } })).toEqual([]);
    });
  });

  describe("network", () => {
    it("fails when the VPC CIDR is not a valid network", async () => {
      await expectRejected({ ...baseEnvironmentInput(), vpc_cidr: "10.0.0.1/16" }, "vpc_cidr", /IPv4 network in CIDR notation/);
    });

    it("fails when the VPC CIDR is too small for the subnet plan", async () => {
      await expectRejected({ ...baseEnvironmentInput(), vpc_cidr: "10.0.0.0/20" }, "vpc_cidr", /too small for the subnet plan.*\/16 or larger/);
    });

    it("fails when an availability zone is in another region", async () => {
      await expectRejected(
        { ...baseEnvironmentInput(), availability_zones: ["us-east-1a", "us-west-2b"] },
        "availability_zones[1]",
        /"us-west-2b" is not in region "us-east-1"/,
      );
    });

    it("fails when an availability zone is listed twice", async () => {
      await expectRejected({ ...baseEnvironmentInput(), availability_zones: ["us-east-1a", "us-east-1a"] }, "availability_zones[1]", /listed twice/);
    });

    it("fails when fewer than two availability zones are given", async () => {
      await expectRejected(
        { ...baseEnvironmentInput(), availability_zones: ["us-east-1a"], capacity_blocks: [] },
        "availability_zones",
        /at least 2 availability zones/,
      );
    });

    it("fails when more than eight availability zones are given", async () => {
      const zones = "abcdefghi".split("").map((letter) => `us-east-1${letter}`);
      await expectRejected({ ...baseEnvironmentInput(), availability_zones: zones }, "availability_zones", /<=8/);
    });

    it("fails when the region is not an AWS region name", async () => {
      await expectRejected({ ...baseEnvironmentInput(), region: "virginia" }, "region", /AWS region name/);
    });

    it("fails when the account id is not 12 digits", async () => {
      await expectRejected({ ...baseEnvironmentInput(), account_id: "1234" }, "account_id", /12-digit AWS account id/);
    });
  });

  describe("cluster", () => {
    it("fails when the Kubernetes version is not one EKS supports", async () => {
      await expectRejected(withCluster({ version: "1.27" }), "cluster.version", /Kubernetes version EKS supports: 1.32/);
    });

    it("fails when a public endpoint is open to 0.0.0.0/0 without the explicit opt-in", async () => {
      await expectRejected(
        withCluster({ endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"] }),
        "cluster.public_access_cidrs[0]",
        /opens the API server to the internet.*allow_public_endpoint_from_anywhere = true/,
      );
    });

    it("accepts 0.0.0.0/0 on a public endpoint when explicitly allowed", async () => {
      expect(
        await issuesOf(withCluster({ endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"], allow_public_endpoint_from_anywhere: true })),
      ).toEqual([]);
    });

    it("fails when a public endpoint lists no CIDRs", async () => {
      await expectRejected(withCluster({ endpoint_public_access: true }), "cluster.public_access_cidrs", /needs the CIDRs allowed to reach it/);
    });

    it("fails when public access CIDRs overlap", async () => {
      await expectRejected(
        withCluster({ endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24", "203.0.113.128/25"] }),
        "cluster.public_access_cidrs[1]",
        /overlaps "203.0.113.0\/24"/,
      );
    });

    it("fails when an admin principal is not an IAM ARN", async () => {
      await expectRejected(withCluster({ admin_principal_arns: ["alice"] }), "cluster.admin_principal_arns[0]", /IAM role or user ARN/);
    });

    it("fails when an admin principal is an assumed-role session ARN, which access entries refuse", async () => {
      const session = "arn:aws:sts::111122223333:assumed-role/admin/alice";
      await expectRejected(withCluster({ admin_principal_arns: [session] }), "cluster.admin_principal_arns[0]", /refuse root and assumed-role session ARNs/);
    });

    it("fails when an admin principal is the account root, which access entries refuse", async () => {
      await expectRejected(
        withCluster({ admin_principal_arns: ["arn:aws:iam::111122223333:root"] }),
        "cluster.admin_principal_arns[0]",
        /IAM role or user ARN/,
      );
    });

    it("fails when the log retention is not a period CloudWatch accepts", async () => {
      await expectRejected(withCluster({ log_retention_days: 45 }), "cluster.log_retention_days", /CloudWatch Logs retention period/);
    });

    it("fails when the cluster section is missing", async () => {
      const { cluster: _omitted, ...input } = baseEnvironmentInput();
      await expectRejected(input, "cluster", /required/);
    });
  });

  describe("system node group", () => {
    it("fails when desired size is outside min and max", async () => {
      await expectRejected(
        { ...baseEnvironmentInput(), system_node_group: { min_size: 2, max_size: 3, desired_size: 5 } },
        "system_node_group.desired_size",
        /min_size <= desired_size <= max_size, got min_size=2, desired_size=5, max_size=3/,
      );
    });
  });

  describe("karpenter", () => {
    it("fails when there are more controller replicas than system nodes", async () => {
      await expectRejected(
        { ...baseEnvironmentInput(), karpenter: { replicas: 3 }, system_node_group: { min_size: 2, max_size: 4, desired_size: 2 } },
        "karpenter.replicas",
        /3 controller replicas need as many system nodes, but system_node_group.min_size is 2/,
      );
    });
  });

  describe("unknown keys", () => {
    it("fails when a key is misspelt, suggesting the close one", async () => {
      await expectRejected(
        withCluster({ endpont_public_access: true }),
        "cluster.endpont_public_access",
        /unknown key; did you mean "endpoint_public_access"\?/,
      );
    });

    it("fails when a key is unknown and nothing is close, listing the expected keys", async () => {
      await expectRejected({ ...baseEnvironmentInput(), zzz: 1 }, "zzz", /unknown key; expected one of region, account_id/);
    });
  });
});
