import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { DataAwsSecurityGroup } from "@cdktf/provider-aws/lib/data-aws-security-group";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { Construct } from "constructs";
import { KARPENTER_DISCOVERY_TAG } from "../../lib/tags";

export interface ClusterLookupProps {
  /** Name of an existing EKS cluster whose network is looked up. */
  readonly clusterName: string;
}

/**
 * The existing cluster's network, found by name and tags rather than through the cluster stack's state, so a
 * platform stack plans on its own: the VPC, its private subnets (`tier = private`), and the two groups every node
 * carries — the EKS cluster security group and the node group tagged for Karpenter discovery.
 */
export class ClusterLookup extends Construct {
  readonly vpcId: string;
  readonly privateSubnetIds: string[];
  /** Security groups of the cluster's nodes: the only clients of the platform's data services. */
  readonly nodeSecurityGroupIds: string[];

  constructor(scope: Construct, id: string, props: ClusterLookupProps) {
    super(scope, id);
    const cluster = new DataAwsEksCluster(this, "cluster", { name: props.clusterName });
    const vpcConfig = cluster.vpcConfig.get(0);
    this.vpcId = vpcConfig.vpcId;
    this.privateSubnetIds = new DataAwsSubnets(this, "private-subnets", {
      filter: [{ name: "vpc-id", values: [this.vpcId] }],
      tags: { tier: "private" },
    }).ids;
    const nodeGroup = new DataAwsSecurityGroup(this, "node-security-group", {
      vpcId: this.vpcId,
      tags: { [KARPENTER_DISCOVERY_TAG]: props.clusterName },
    });
    this.nodeSecurityGroupIds = [vpcConfig.clusterSecurityGroupId, nodeGroup.id];
  }
}
