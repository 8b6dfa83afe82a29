import { TerraformStack, Testing } from "cdktf";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTROL_PLANE_LOG_TYPES, EksCluster, MANAGED_ADDONS, NODE_MANAGED_POLICIES } from "../../src/constructs/eks-cluster";
import { awsContext } from "../../src/lib/aws-context";
import { baseEnvironmentInput, type Synthesized, synthesizeWith } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

const STACK = "test-cluster";
const BLOCK_A = {
  name: "p5-a",
  reservation_id: "cr-0123456789abcdef0",
  instance_type: "p5.48xlarge",
  instance_count: 2,
  availability_zone: "us-east-1a",
  efa: true,
};
const BLOCK_B = {
  name: "p5e-b",
  reservation_id: "cr-0fedcba9876543210",
  instance_type: "p5e.48xlarge",
  instance_count: 3,
  availability_zone: "us-east-1b",
  ami_type: "BOTTLEROCKET_x86_64_NVIDIA",
  labels: { team: "research" },
  taints: [{ key: "team", value: "research", effect: "NO_SCHEDULE" }],
};

describe("cluster stack", () => {
  let out: Synthesized;
  const nodeGroupFor = (blockName: string): Json => out.resource(STACK, "aws_eks_node_group", `capacity-block-${blockName}_`);
  const launchTemplateFor = (blockName: string): Json => out.resource(STACK, "aws_launch_template", `capacity-block-${blockName}_`);

  beforeAll(async () => {
    // GIVEN an environment with two capacity blocks in two AZs, one with EFA, and a restricted public endpoint
    out = await synthesizeWith({
      account_id: "111122223333",
      tags: { team: "ml" },
      single_nat_gateway: false,
      availability_zones: ["us-east-1a", "us-east-1b", "us-east-1c"],
      cluster: {
        version: "1.34",
        endpoint_public_access: true,
        public_access_cidrs: ["198.51.100.0/24"],
        admin_principal_arns: ["arn:aws:iam::111122223333:role/admin"],
        log_retention_days: 30,
      },
      capacity_blocks: [BLOCK_A, BLOCK_B],
    });
  });

  describe("state and provider", () => {
    it("keeps state in the environment's S3 bucket, encrypted by the bucket's state key, with S3-native locking", () => {
      // encrypt = true without kms_key_id would have Terraform request SSE-S3 and bypass the state key.
      expect(out.stack(STACK).terraform!.backend).toEqual({
        s3: {
          bucket: "blockfleet-tfstate-test-111122223333-us-east-1",
          key: "test/test-cluster.tfstate",
          region: "us-east-1",
          encrypt: false,
          use_lockfile: true,
        },
      });
    });

    it("guards the account and tags everything through default tags", () => {
      expect(out.stack(STACK).provider!.aws![0]).toEqual({
        region: "us-east-1",
        allowed_account_ids: ["111122223333"],
        default_tags: [{ tags: { team: "ml", environment: "test", "managed-by": "blockfleet" } }],
      });
    });

    it('tags every resource of a production environment production = "true", which the policy gate reads', async () => {
      // GIVEN an environment file with production = true WHEN synthesized THEN the provider's default tags say so
      const production = await synthesizeWith({ production: true });
      expect(production.stack(STACK).provider!.aws![0]!.default_tags).toEqual([
        { tags: { environment: "test", "managed-by": "blockfleet", production: "true" } },
      ]);
    });
  });

  describe("network", () => {
    it("creates public, private and intra subnets per AZ from the deterministic plan", () => {
      const subnets = out.resources(STACK, "aws_subnet").map(([, subnet]) => [subnet.availability_zone, (subnet.tags as Json).tier, subnet.cidr_block]);
      expect(subnets).toEqual(
        expect.arrayContaining([
          ["us-east-1a", "private", "10.0.0.0/20"],
          ["us-east-1b", "private", "10.0.16.0/20"],
          ["us-east-1c", "private", "10.0.32.0/20"],
          ["us-east-1a", "public", "10.0.128.0/24"],
          ["us-east-1c", "public", "10.0.130.0/24"],
          ["us-east-1a", "intra", "10.0.136.0/24"],
        ]),
      );
      expect(subnets).toHaveLength(9);
    });

    it("tags private subnets for Karpenter discovery and internal load balancers, public ones for internet-facing", () => {
      for (const [, subnet] of out.resources(STACK, "aws_subnet")) {
        const tags = subnet.tags as Json;
        expect(subnet.map_public_ip_on_launch).toBe(false);
        if (tags.tier === "private") expect(tags).toMatchObject({ "karpenter.sh/discovery": "blockfleet-test", "kubernetes.io/role/internal-elb": "1" });
        if (tags.tier === "public") expect(tags).toMatchObject({ "kubernetes.io/role/elb": "1" });
        if (tags.tier !== "private") expect(tags["karpenter.sh/discovery"]).toBeUndefined();
      }
    });

    it("creates one NAT gateway per AZ when single_nat_gateway is false", () => {
      expect(out.resources(STACK, "aws_nat_gateway")).toHaveLength(3);
      const natRoutes = out.resources(STACK, "aws_route").filter(([, route]) => route.nat_gateway_id);
      expect(new Set(natRoutes.map(([, route]) => route.nat_gateway_id)).size).toBe(3);
    });

    it("closes the default security group and logs all VPC traffic to an encrypted, retained log group", () => {
      const defaultGroup = out.resource(STACK, "aws_default_security_group");
      expect(defaultGroup.ingress).toBeUndefined();
      expect(defaultGroup.egress).toBeUndefined();
      expect(out.resource(STACK, "aws_flow_log")).toMatchObject({ traffic_type: "ALL", log_destination_type: "cloud-watch-logs" });
      expect(out.resource(STACK, "aws_cloudwatch_log_group", "flow-log")).toMatchObject({
        retention_in_days: 30,
        kms_key_id: expect.stringContaining("aws_kms_key."),
      });
    });

    it("keeps the audit log groups (flow logs, control plane) when the stack is destroyed or renamed", () => {
      expect(out.resource(STACK, "aws_cloudwatch_log_group", "flow-log").skip_destroy).toBe(true);
      expect(out.resource(STACK, "aws_cloudwatch_log_group", "control-plane").skip_destroy).toBe(true);
    });

    it("lets only this account's flow logs assume the flow-log role", () => {
      const trust = JSON.parse(out.resource(STACK, "aws_iam_role", "flow-log-role").assume_role_policy as string);
      expect(trust.Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "vpc-flow-logs.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": "${data.aws_caller_identity.caller-identity.account_id}" },
            ArnLike: {
              "aws:SourceArn":
                "arn:${data.aws_partition.partition.partition}:ec2:us-east-1:${data.aws_caller_identity.caller-identity.account_id}:vpc-flow-log/*",
            },
          },
        },
      ]);
    });

    it("lets CloudWatch Logs use the logs key only for this account's log groups, by encryption context", () => {
      const policy = JSON.parse(out.resource(STACK, "aws_kms_key", "logs-key").policy as string);
      const logsStatement = policy.Statement.find((statement: Json) => statement.Sid === "CloudWatchLogsEncrypt");
      expect(logsStatement).toMatchObject({
        Principal: { Service: ["logs.us-east-1.amazonaws.com"] },
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn":
              "arn:${data.aws_partition.partition.partition}:logs:us-east-1:${data.aws_caller_identity.caller-identity.account_id}:log-group:*",
          },
        },
      });
      // Logs calls KMS without aws:SourceAccount, so a SourceAccount condition would deny it.
      expect(JSON.stringify(policy)).not.toContain("aws:SourceAccount");
    });

    it("routes S3 through a gateway endpoint from private and intra subnets", () => {
      const endpoint = out.resource(STACK, "aws_vpc_endpoint");
      expect(endpoint).toMatchObject({ service_name: "com.amazonaws.us-east-1.s3", vpc_endpoint_type: "Gateway" });
      expect(endpoint.route_table_ids).toHaveLength(4);
    });
  });

  describe("EKS", () => {
    let cluster: Json;
    beforeAll(() => {
      cluster = out.resource(STACK, "aws_eks_cluster");
    });

    it("encrypts secrets with a rotating KMS key", () => {
      expect(cluster.encryption_config).toEqual({
        provider: { key_arn: expect.stringMatching(/^\$\{aws_kms_key\.eks_secrets-key_\w+\.arn\}$/) },
        resources: ["secrets"],
      });
      for (const [, key] of out.resources(STACK, "aws_kms_key")) expect(key).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    });

    it("lets the cluster role use the secrets key, before the cluster is created", () => {
      const [address, rolePolicy] = out.resources(STACK, "aws_iam_role_policy").find(([id]) => id.includes("cluster-role-secrets-key"))!;
      expect(rolePolicy.role).toMatch(/^\$\{aws_iam_role\.eks_cluster-role_\w+\.id\}$/);
      expect(JSON.parse(rolePolicy.policy as string).Statement).toEqual([
        { Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: cluster.encryption_config.provider.key_arn },
      ]);
      expect(cluster.depends_on).toContain(`aws_iam_role_policy.${address}`);
    });

    it("ships every control-plane log type to a retained log group created before the cluster", () => {
      expect(cluster.enabled_cluster_log_types).toEqual([...CONTROL_PLANE_LOG_TYPES]);
      expect(out.resource(STACK, "aws_cloudwatch_log_group", "control-plane")).toMatchObject({
        name: "/aws/eks/blockfleet-test/cluster",
        retention_in_days: 30,
      });
      expect(cluster.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_cloudwatch_log_group\.eks_control-plane-logs/)]));
    });

    it("authenticates with access entries only and gives admins cluster-admin", () => {
      expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
      const principals = out.resources(STACK, "aws_eks_access_entry").map(([, entry]) => entry.principal_arn);
      // The deployer gets no entry of its own unless the file asks (grant_deployer_admin).
      expect(principals).toEqual(["arn:aws:iam::111122223333:role/admin"]);
      expect(out.dataSources(STACK, "aws_iam_session_context")).toEqual([]);
      for (const [, association] of out.resources(STACK, "aws_eks_access_policy_association")) {
        expect(association).toMatchObject({
          policy_arn: "arn:${data.aws_partition.partition.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          access_scope: { type: "cluster" },
        });
      }
    });

    it("keeps the private endpoint and restricts the public one to the given CIDRs", () => {
      expect(cluster.vpc_config).toMatchObject({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["198.51.100.0/24"] });
      expect(cluster.vpc_config.subnet_ids).toHaveLength(3);
      expect(cluster.vpc_config.subnet_ids.every((id: string) => id.includes("_intra_"))).toBe(true);
    });

    it("installs the managed add-ons, CoreDNS after the system nodes", () => {
      const addons = out.resources(STACK, "aws_eks_addon").map(([, addon]) => addon);
      expect(addons.map((addon) => addon.addon_name).sort()).toEqual([...MANAGED_ADDONS].sort());
      const coredns = addons.find((addon) => addon.addon_name === "coredns")!;
      expect(coredns.depends_on).toEqual([expect.stringMatching(/^aws_eks_node_group\.system-nodes/)]);
    });

    it("gives nodes a role with the AWS managed policies they need, and no SSM access unless the file asks", () => {
      const attachments = out.resources(STACK, "aws_iam_role_policy_attachment").map(([, attachment]) => String(attachment.policy_arn));
      for (const policy of NODE_MANAGED_POLICIES) expect(attachments).toContain(`arn:\${data.aws_partition.partition.partition}:iam::aws:policy/${policy}`);
      expect(attachments.filter((arn) => arn.endsWith("/AmazonSSMManagedInstanceCore"))).toEqual([]);
    });

    it("GIVEN cluster.ssm_access = true THEN the system and Karpenter node roles can be reached through SSM", async () => {
      const ssm = await synthesizeWith({ cluster: { version: "1.34", ssm_access: true } }, "ssm");
      for (const stack of ["ssm-cluster", "ssm-karpenter"]) {
        const attachments = ssm.resources(stack, "aws_iam_role_policy_attachment").map(([, attachment]) => String(attachment.policy_arn));
        expect(
          attachments.filter((arn) => arn.endsWith("/AmazonSSMManagedInstanceCore")),
          stack,
        ).toHaveLength(1);
      }
    });

    it("tags the node security group for Karpenter discovery and describes every rule", () => {
      expect(out.resource(STACK, "aws_security_group", "node-security-group").tags).toMatchObject({ "karpenter.sh/discovery": "blockfleet-test" });
      const rules = [...out.resources(STACK, "aws_vpc_security_group_ingress_rule"), ...out.resources(STACK, "aws_vpc_security_group_egress_rule")];
      for (const [, rule] of rules) expect(String(rule.description).length).toBeGreaterThan(10);
    });
  });

  describe("system node group", () => {
    it("runs on-demand with the system label and the configured sizes", () => {
      const group = out.resource(STACK, "aws_eks_node_group", "system-nodes");
      expect(group).toMatchObject({
        capacity_type: "ON_DEMAND",
        labels: { "blockfleet.io/node-role": "system" },
        scaling_config: { min_size: 2, max_size: 4, desired_size: 2 },
      });
    });
  });

  describe("capacity block node groups", () => {
    it("creates one node group per capacity block", () => {
      expect(out.resources(STACK, "aws_eks_node_group")).toHaveLength(3);
    });

    it("launches into the reservation with the capacity-block market type and the single instance type", () => {
      for (const block of [BLOCK_A, BLOCK_B]) {
        expect(launchTemplateFor(block.name)).toMatchObject({
          instance_type: block.instance_type,
          instance_market_options: { market_type: "capacity-block" },
          capacity_reservation_specification: { capacity_reservation_target: { capacity_reservation_id: block.reservation_id } },
        });
        expect(nodeGroupFor(block.name).instance_types).toBeUndefined();
      }
    });

    it("requires IMDSv2 with hop limit 1 and encrypts a gp3 volume on the AMI's data device", () => {
      for (const [name, device] of [
        ["p5-a", "/dev/xvda"],
        ["p5e-b", "/dev/xvdb"],
      ] as const) {
        const template = launchTemplateFor(name);
        expect(template.metadata_options).toMatchObject({ http_tokens: "required", http_put_response_hop_limit: 1 });
        expect(template.block_device_mappings).toEqual([
          { device_name: device, ebs: expect.objectContaining({ encrypted: "true", volume_type: "gp3", volume_size: 500 }) },
        ]);
      }
    });

    // EKS user guide, "Create a managed node group with Capacity Blocks for ML" (awsdocs/amazon-eks-user-guide,
    // latest/ug/ml/capacity-blocks-mng.adoc @ 0a7189e931ca51de88c9f104637bb84fcfab2353): a non-zero desiredSize at
    // creation is kept by the Auto Scaling group, whose launches fail until the reservation is active and then fill
    // it; EKS scales the group to 0 forty minutes before the end, so Terraform ignores the desired size afterwards.
    it("uses CAPACITY_BLOCK capacity, the GPU AMI, and is created at the block's instance count so it fills when the block turns active", () => {
      const group = nodeGroupFor("p5e-b");
      expect(group).toMatchObject({
        capacity_type: "CAPACITY_BLOCK",
        ami_type: "BOTTLEROCKET_x86_64_NVIDIA",
        scaling_config: { min_size: 0, desired_size: 3, max_size: 3 },
        update_config: { max_unavailable: 1 },
        lifecycle: { create_before_destroy: true, ignore_changes: ["scaling_config[0].desired_size"] },
      });
      expect(group.tags).toMatchObject({ "k8s.io/cluster-autoscaler/enabled": "false" });
    });

    it("places each block's nodes in its own AZ's private subnet only", () => {
      expect(nodeGroupFor("p5-a").subnet_ids).toEqual([expect.stringMatching(/network_us-east-1a_private_/)]);
      expect(nodeGroupFor("p5e-b").subnet_ids).toEqual([expect.stringMatching(/network_us-east-1b_private_/)]);
    });

    it("taints for the GPU, labels with the reservation, and keeps user labels and taints", () => {
      const group = nodeGroupFor("p5e-b");
      expect(group.taint).toEqual([
        { key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" },
        { key: "team", value: "research", effect: "NO_SCHEDULE" },
      ]);
      expect(group.labels).toEqual({
        team: "research",
        "blockfleet.io/capacity-block": "p5e-b",
        "blockfleet.io/capacity-reservation-id": "cr-0fedcba9876543210",
      });
    });

    it("depends on the node role's policy attachments so a destroy never strands nodes", () => {
      const dependsOn = nodeGroupFor("p5-a").depends_on as string[];
      expect(dependsOn.filter((address) => address.startsWith("aws_iam_role_policy_attachment.eks_node-role"))).toHaveLength(NODE_MANAGED_POLICIES.length);
    });

    it("gives an EFA block one EFA interface per network card and a self-referencing rule, but no placement group", () => {
      const template = launchTemplateFor("p5-a");
      const interfaces = template.network_interfaces as Json[];
      expect(interfaces).toHaveLength(32);
      expect(interfaces[0]).toMatchObject({ device_index: 0, network_card_index: 0, interface_type: "efa" });
      // EC2's multi-card guidance: an EFA-only interface takes device index 0 of its own card.
      expect(
        interfaces.slice(1).every((nic, index) => nic.device_index === 0 && nic.network_card_index === index + 1 && nic.interface_type === "efa-only"),
      ).toBe(true);
      expect(interfaces.every((nic) => nic.subnet_id === undefined)).toBe(true);
      expect(template.vpc_security_group_ids).toBeUndefined();
      // A capacity block is already co-located; a placement group on the reservation can strand part of it.
      expect(template.placement).toBeUndefined();
      expect(out.resources(STACK, "aws_placement_group")).toEqual([]);
      const efaGroup = out.resource(STACK, "aws_security_group", "efa");
      const efaIngress = out.resource(STACK, "aws_vpc_security_group_ingress_rule", "efa-ingress-self");
      expect(efaIngress).toMatchObject({ ip_protocol: "-1", referenced_security_group_id: efaIngress.security_group_id });
      expect(efaIngress.security_group_id).toContain("capacity-block-p5-a_efa-security-group");
      expect(efaGroup.description).toContain("p5-a");
    });

    it("gives a block without EFA plain security groups and no placement group", () => {
      const template = launchTemplateFor("p5e-b");
      expect(template.network_interfaces).toBeUndefined();
      expect(template.vpc_security_group_ids).toHaveLength(2);
      expect(template.placement).toBeUndefined();
    });
  });

  describe("declared capacity blocks for the capacity manager", () => {
    const parameter = () => out.resource(STACK, "aws_ssm_parameter", "declared-capacity-blocks");

    it("writes every block with its policy and its node group, named by reference so a replaced group is followed", () => {
      expect(parameter()).toMatchObject({ name: "/blockfleet/test/capacity-manager/declared-blocks", type: "String", tier: "Standard" });
      const document = JSON.parse(parameter().value as string);
      const [groupA] = out.resources(STACK, "aws_eks_node_group").find(([id]) => id.startsWith("capacity-block-p5-a_"))!;
      expect(document).toEqual({
        version: 1,
        blocks: [
          {
            name: "p5-a",
            reservationId: BLOCK_A.reservation_id,
            instanceType: "p5.48xlarge",
            availabilityZone: "us-east-1a",
            instanceCount: 2,
            policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
            nodeGroup: { clusterName: "blockfleet-test", nodegroupName: `\${aws_eks_node_group.${groupA}.node_group_name}`, desiredSize: 2 },
          },
          expect.objectContaining({ name: "p5e-b", nodeGroup: expect.objectContaining({ desiredSize: 3 }) }),
        ],
      });
    });
  });

  it("outputs what operators and later stacks need", () => {
    const outputs = out.stack(STACK).output!;
    expect(Object.keys(outputs).sort()).toEqual(
      expect.arrayContaining(["cluster_endpoint", "cluster_name", "configure_kubectl", "node_role_arn", "private_subnet_ids", "region"]),
    );
    expect(outputs.configure_kubectl!.value).toBe("aws eks update-kubeconfig --region us-east-1 --name blockfleet-test");
  });
});

describe("cluster access entries", () => {
  const ADMIN_A = "arn:aws:iam::111122223333:role/admin-a";
  const ADMIN_B = "arn:aws:iam::111122223333:role/admin-b";
  const entries = (out: Synthesized) => out.resources(STACK, "aws_eks_access_entry");
  const entryIdOf = (out: Synthesized, principal: string) => entries(out).find(([, entry]) => entry["principal_arn"] === principal)?.[0];

  it("keys each admin's entry by its ARN, so removing one admin leaves the others' addresses alone", async () => {
    // GIVEN two admins  WHEN the first is removed from the list
    const both = await synthesizeWith({ cluster: { version: "1.34", admin_principal_arns: [ADMIN_A, ADMIN_B] } });
    const onlyB = await synthesizeWith({ cluster: { version: "1.34", admin_principal_arns: [ADMIN_B] } });
    // THEN B keeps its address, and its association keeps its own
    expect(entryIdOf(onlyB, ADMIN_B)).toBe(entryIdOf(both, ADMIN_B));
    expect(entries(onlyB)).toHaveLength(1);
    const associations = (out: Synthesized) =>
      out
        .resources(STACK, "aws_eks_access_policy_association")
        .map(([id]) => id)
        .sort();
    expect(associations(both)).toEqual(expect.arrayContaining(associations(onlyB)));
  });

  it("creates one entry for an ARN given twice (a second entry for one principal is a 409)", () => {
    // GIVEN the construct on its own (the schema refuses duplicates in a file; the construct holds regardless)
    const stack = new TerraformStack(Testing.app(), "dedup");
    new EksCluster(stack, "eks", {
      clusterName: "blockfleet-dedup",
      kubernetesVersion: "1.34",
      vpcId: "vpc-1",
      controlPlaneSubnetIds: ["subnet-a", "subnet-b"],
      aws: awsContext(stack, "us-east-1"),
      logsKmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k",
      adminPrincipalArns: [ADMIN_A, ADMIN_A],
    });
    const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, Json>> };
    expect(Object.values(json.resource["aws_eks_access_entry"]!).map((entry) => entry["principal_arn"])).toEqual([ADMIN_A]);
    expect(Object.keys(json.resource["aws_eks_access_policy_association"]!)).toHaveLength(1);
  });

  it("grants the deployer an entry only when asked, and skips it at plan time when the deployer is also a listed admin", async () => {
    // GIVEN grant_deployer_admin and one listed admin
    const out = await synthesizeWith({ cluster: { version: "1.34", admin_principal_arns: [ADMIN_A], grant_deployer_admin: true } });
    // THEN the deployer's entry and association are counted out when its role is one of the listed admins
    const [, deployer] = entries(out).find(([id]) => id.includes("deployer"))!;
    expect(deployer["principal_arn"]).toMatch(/^\$\{data\.aws_iam_session_context\.eks_deployer-role_\w+\.issuer_arn\}$/);
    expect(deployer["count"]).toBe(
      `\${contains(["${ADMIN_A}"], data.aws_iam_session_context.${out.dataSources(STACK, "aws_iam_session_context")[0]![0]}.issuer_arn) ? 0 : 1}`,
    );
    const association = out.resource(STACK, "aws_eks_access_policy_association", "deployer");
    expect(association["count"]).toBe(deployer["count"]);
  });

  it("moves entries from the list positions earlier versions keyed them by", async () => {
    // GIVEN the addresses 0.1 gave [admin-a, admin-b, deployer]
    const out = await synthesizeWith({ cluster: { version: "1.34", admin_principal_arns: [ADMIN_A, ADMIN_B], grant_deployer_admin: true } });
    const moved = (out.stack(STACK)["moved"] as Array<{ from: string; to: string }>).filter(({ from }) => from.startsWith("aws_eks_access_entry."));
    // THEN each moves to its ARN-keyed address, the deployer's to instance 0 of its counted entry
    expect(moved).toEqual([
      { from: "aws_eks_access_entry.eks_admin-0_access-entry_F46141A8", to: `aws_eks_access_entry.${entryIdOf(out, ADMIN_A)}` },
      { from: "aws_eks_access_entry.eks_admin-1_access-entry_04799577", to: `aws_eks_access_entry.${entryIdOf(out, ADMIN_B)}` },
      {
        from: expect.stringMatching(/^aws_eks_access_entry\.eks_admin-2_access-entry_[0-9A-F]{8}$/),
        to: expect.stringMatching(/^aws_eks_access_entry\.eks_deployer_access-entry_\w+\[0\]$/),
      },
    ]);
  });

  it("admits the listed security groups and CIDRs to the API server on 443, one rule each", async () => {
    // GIVEN a CI runner's security group and a VPN range
    const out = await synthesizeWith({ cluster: { version: "1.34", api_access: { security_group_ids: ["sg-0123456789abcdef0"], cidrs: ["10.99.0.0/16"] } } });
    const rules = out.resources(STACK, "aws_vpc_security_group_ingress_rule").filter(([id]) => id.includes("api-access"));
    // THEN both reach the cluster security group (the private endpoint's interfaces carry it) on TCP 443 only
    const clusterGroup = `\${aws_eks_cluster.${out.resources(STACK, "aws_eks_cluster")[0]![0]}.vpc_config[0].cluster_security_group_id}`;
    expect(rules.map(([, { "//": _metadata, ...rule }]) => rule).sort((a, b) => String(a["description"]).localeCompare(String(b["description"])))).toEqual([
      {
        security_group_id: clusterGroup,
        cidr_ipv4: "10.99.0.0/16",
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        description: "Kubernetes API from 10.99.0.0/16",
      },
      {
        security_group_id: clusterGroup,
        referenced_security_group_id: "sg-0123456789abcdef0",
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        description: "Kubernetes API from sg-0123456789abcdef0",
      },
    ]);
    // Keyed by the group id and the CIDR, so removing one leaves the other's address alone.
    expect(rules.map(([id]) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual(["eks_api-access-109900--16", "eks_api-access-sg-0123456789abcdef0"]);
  });

  it("admits no one else by default", async () => {
    const out = await synthesizeWith({});
    expect(out.resources(STACK, "aws_vpc_security_group_ingress_rule").filter(([id]) => id.includes("api-access"))).toEqual([]);
  });
});

describe("cluster stack without capacity blocks", () => {
  it("synthesizes no capacity-block node group and a single NAT gateway by default", async () => {
    const out = await synthesizeWith({ capacity_blocks: [] });
    expect(out.resources(STACK, "aws_eks_node_group").map(([id]) => id)).toEqual([expect.stringMatching(/^system-nodes/)]);
    expect(out.resources(STACK, "aws_nat_gateway")).toHaveLength(1);
    expect(out.resources(STACK, "aws_launch_template").some(([, template]) => template.instance_market_options)).toBe(false);
    expect(baseEnvironmentInput().capacity_blocks).toHaveLength(1);
  });
});

describe("cluster stack with a Karpenter block", () => {
  it("creates no node group for it, yet declares it (without a node group) to the capacity manager", async () => {
    const out = await synthesizeWith({
      capacity_blocks: [
        { ...BLOCK_B, availability_zone: "us-east-1a", labels: {}, taints: [], consumer: "karpenter", extend: { by_hours: 48, max_upfront_fee_usd: 2500 } },
      ],
    });
    expect(out.resources(STACK, "aws_eks_node_group").map(([id]) => id)).toEqual([expect.stringMatching(/^system-nodes/)]);
    const document = JSON.parse(out.resource(STACK, "aws_ssm_parameter", "declared-capacity-blocks").value as string);
    expect(document.blocks).toEqual([
      {
        name: "p5e-b",
        reservationId: BLOCK_B.reservation_id,
        instanceType: "p5e.48xlarge",
        availabilityZone: "us-east-1a",
        instanceCount: 3,
        policy: { extendBeforeHours: 24, extendByHours: 48, requireApproval: true, maxUpfrontFeeUsd: 2500 },
      },
    ]);
  });

  it("parks a node group with desired_size = 0: created at 0 and declared at 0, so the manager holds it there", async () => {
    const out = await synthesizeWith({ capacity_blocks: [{ ...BLOCK_A, desired_size: 0 }] });
    expect((out.resource(STACK, "aws_eks_node_group", "capacity-block-p5-a_") as Json).scaling_config).toEqual({ min_size: 0, desired_size: 0, max_size: 2 });
    const document = JSON.parse(out.resource(STACK, "aws_ssm_parameter", "declared-capacity-blocks").value as string);
    expect(document.blocks[0].nodeGroup.desiredSize).toBe(0);
  });

  it("writes no declared-blocks parameter when the capacity manager is off", async () => {
    const out = await synthesizeWith({ capacity_manager: { enabled: false } });
    expect(out.resources(STACK, "aws_ssm_parameter")).toEqual([]);
    expect(Object.keys(out.stacks)).not.toContain("test-capacity-manager");
  });
});
