import { TerraformStack, Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { CapacityBlockNodeGroup, type CapacityBlockNodeGroupProps } from "../../../src/constructs/capacity-block-node-group";
import { EksCluster } from "../../../src/constructs/eks-cluster";
import { EncryptionKey } from "../../../src/constructs/kms-key";
import { Network } from "../../../src/constructs/network";
import { NodeLaunchTemplate } from "../../../src/constructs/node-launch-template";
import { PrivateBucket } from "../../../src/constructs/private-bucket";
import { SystemNodeGroup } from "../../../src/constructs/system-node-group";

const aws = { accountId: "111122223333", callerArn: "arn:aws:iam::111122223333:user/ci", partition: "aws", region: "us-east-1" };

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

function blockProps(overrides: Partial<CapacityBlockNodeGroupProps> = {}): CapacityBlockNodeGroupProps {
  return {
    clusterName: "c",
    blockName: "p5-block-a",
    reservationId: "cr-0123456789abcdef0",
    instanceType: "p5.48xlarge",
    instanceCount: 2,
    subnet: { id: "subnet-1", availabilityZone: "us-east-1a" },
    amiType: "AL2023_x86_64_NVIDIA",
    nodeRoleArn: "arn:aws:iam::111122223333:role/node",
    vpcId: "vpc-1",
    securityGroupIds: ["sg-1"],
    dependsOn: [],
    ...overrides,
  };
}

describe("construct validation", () => {
  it("accepts a well-formed capacity block node group", () => {
    expect(() => new CapacityBlockNodeGroup(stack(), "block", blockProps())).not.toThrow();
  });

  it("launches a capacity block node group into the one subnet it is given, and takes neither a list of types, a bare subnet id nor an AMI type EKS doesn't publish", () => {
    // GIVEN the private subnet of the block's zone as one value  WHEN synthesized  THEN the node group's only subnet is its id
    const scope = stack();
    new CapacityBlockNodeGroup(scope, "block", blockProps({ subnet: { id: "subnet-in-1a", availabilityZone: "us-east-1a" } }));
    const groups = Object.values(
      (JSON.parse(Testing.synth(scope)) as { resource: { aws_eks_node_group: Record<string, { subnet_ids: string[]; ami_type: string }> } }).resource
        .aws_eks_node_group,
    );
    expect(groups.map((group) => [group.subnet_ids, group.ami_type])).toEqual([[["subnet-in-1a"], "AL2023_x86_64_NVIDIA"]]);
    // The props' types rule out what the construct used to check at runtime (tsc fails if any of these is accepted).
    // @ts-expect-error one instance type, not a list that must hold exactly one
    blockProps({ instanceType: ["p5.48xlarge", "p5e.48xlarge"] });
    // @ts-expect-error a subnet value carries its zone: a bare id (or ids from several zones) can't be passed
    blockProps({ subnet: "subnet-1" });
    // @ts-expect-error only GPU AMI types EKS publishes
    blockProps({ amiType: "AL2_x86_64_GPU" });
  });

  it("fails when a capacity block node group's instance type is not sold as a capacity block", () => {
    expect(() => new CapacityBlockNodeGroup(stack(), "block", blockProps({ instanceType: "g6.xlarge" }))).toThrow(
      'instance type "g6.xlarge" is not sold as a capacity block',
    );
  });

  it("fails when a capacity block node group asks for EFA on a type whose EFA layout isn't supported", () => {
    expect(
      () => new CapacityBlockNodeGroup(stack(), "block", blockProps({ instanceType: "p6e-gb200.36xlarge", amiType: "AL2023_ARM_64_NVIDIA", efa: true })),
    ).toThrow('capacity block node group "p5-block-a": efa is not supported for "p6e-gb200.36xlarge": UltraServer capacity blocks need alternating');
  });

  it("fails when a capacity block node group's instance count is not positive", () => {
    expect(() => new CapacityBlockNodeGroup(stack(), "block", blockProps({ instanceCount: 0 }))).toThrow("instanceCount must be a whole number >= 1, got 0");
  });

  it("fails when a capacity block node group's desired size is above its instance count", () => {
    expect(() => new CapacityBlockNodeGroup(stack(), "block", blockProps({ instanceCount: 2, desiredSize: 3 }))).toThrow(
      "desiredSize must be a whole number from 0 to instanceCount (2), got 3",
    );
  });

  it("fails when a launch template asks for a negative number of EFA interfaces", () => {
    expect(
      () => new NodeLaunchTemplate(stack(), "lt", { namePrefix: "x", securityGroupIds: [], volumeSizeGib: 50, resourceTags: {}, efaInterfaces: -1 }),
    ).toThrow('launch template "x": efaInterfaces must be a whole number >= 0, got -1');
  });

  it("fails when an EKS cluster has a public endpoint without allowed CIDRs", () => {
    const props = {
      clusterName: "c",
      kubernetesVersion: "1.34",
      vpcId: "vpc",
      controlPlaneSubnetIds: ["b"],
      aws,
      logsKmsKeyArn: "k",
      endpointPublicAccess: true,
    };
    expect(() => new EksCluster(stack(), "eks", props)).toThrow(
      'eks cluster "c": publicAccessCidrs must list the allowed networks when endpointPublicAccess is true, got []',
    );
  });

  it("fails when the system node group's desired size is outside min and max", () => {
    const props = {
      clusterName: "c",
      nodeRoleArn: "r",
      subnetIds: ["s"],
      securityGroupIds: ["g"],
      instanceTypes: ["m7i.large"],
      minSize: 3,
      maxSize: 4,
      desiredSize: 2,
      dependsOn: [],
    };
    expect(() => new SystemNodeGroup(stack(), "system", props)).toThrow("system node group: sizes must satisfy minSize <= desiredSize <= maxSize, got 3/2/4");
  });

  it("fails when a launch template targets a capacity block and a placement group at once", () => {
    const props = {
      namePrefix: "c-p5",
      securityGroupIds: ["sg-1"],
      volumeSizeGib: 500,
      resourceTags: {},
      capacityBlockReservationId: "cr-0123456789abcdef0",
      placementGroupName: "pg-1",
    };
    expect(() => new NodeLaunchTemplate(stack(), "template", props)).toThrow(
      'launch template "c-p5": placementGroupName must be unset with a capacity block reservation, got "pg-1" with "cr-0123456789abcdef0"',
    );
  });

  it("fails when a KMS key's deletion window is outside 7-30 days", () => {
    expect(() => new EncryptionKey(stack(), "key", { aliasName: "a", description: "d", aws, deletionWindowInDays: 3 })).toThrow(
      'kms key "a": deletionWindowInDays must be 7-30, got 3',
    );
  });

  it("fails when a KMS key restricted to its users names none", () => {
    expect(() => new EncryptionKey(stack(), "key", { aliasName: "a", description: "d", aws, restrictUseTo: { principalArns: [] } })).toThrow(
      'kms key "a": restrictUseTo.principalArns must name at least one principal, got []',
    );
  });

  it("fails when a KMS key would deny its use through a service to everyone", () => {
    const key = new EncryptionKey(stack(), "key", { aliasName: "a", description: "d", aws });
    expect(() => key.denyUseThroughServiceExcept("Only", "dynamodb.us-east-1.amazonaws.com", [])).toThrow(
      'kms key: denyUseThroughServiceExcept("Only") needs at least one principal, got []',
    );
  });

  it("fails when a private bucket keeps noncurrent versions for less than a day", () => {
    expect(() => new PrivateBucket(stack(), "bucket", { bucketName: "b", noncurrentVersionExpirationDays: 0 })).toThrow(
      'bucket "b": noncurrentVersionExpirationDays must be a whole number >= 1, got 0',
    );
  });

  it("fails when asked for a private subnet in an AZ the network does not span", () => {
    const network = new Network(stack(), "network", {
      namePrefix: "n",
      vpcCidr: "10.0.0.0/16",
      availabilityZones: ["us-east-1a", "us-east-1b"],
      region: "us-east-1",
      clusterName: "c",
      logsKmsKeyArn: "k",
      aws,
    });
    expect(network.privateSubnetIn("us-east-1b")).toEqual({ id: network.zones[1]!.privateSubnetId, availabilityZone: "us-east-1b" });
    expect(() => network.privateSubnetIn("us-east-1c")).toThrow('network: no subnets in availability zone "us-east-1c"; zones are us-east-1a, us-east-1b');
  });
});
