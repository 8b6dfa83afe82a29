import { DataAwsEksCluster } from "@cdktf/provider-aws/lib/data-aws-eks-cluster";
import { DataAwsSecurityGroup } from "@cdktf/provider-aws/lib/data-aws-security-group";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { Construct } from "constructs";
import { KARPENTER_DISCOVERY_TAG } from "../../../lib/tags";

export interface ClusterLookupProps {
  /** Name of an existing EKS cluster whose network is looked up. */
  readonly clusterName: string;
}

/** The security groups every node of the cluster carries, by purpose. */
export interface NodeSecurityGroups {
  /** The security group EKS creates for control plane ↔ node traffic. */
  readonly cluster: string;
  /** blockfleet's node group, tagged for Karpenter discovery. */
  readonly node: string;
}

/**
 * The existing cluster's network, found by name and tags rather than through the cluster stack's state, so a
 * platform stack plans on its own: the VPC, its private subnets (`tier = private`), and the two groups every node
 * carries. Each lookup is declared only when a caller reads it: a data source nothing uses can still fail a plan
 * (`aws_security_group` refuses zero or several matches).
 */
export class ClusterLookup extends Construct {
  readonly vpcId: string;
  private readonly clusterSecurityGroupId: string;
  private readonly clusterName: string;
  private subnets?: string[];
  private groups?: NodeSecurityGroups;

  constructor(scope: Construct, id: string, props: ClusterLookupProps) {
    super(scope, id);
    const cluster = new DataAwsEksCluster(this, "cluster", { name: props.clusterName });
    const vpcConfig = cluster.vpcConfig.get(0);
    this.vpcId = vpcConfig.vpcId;
    this.clusterSecurityGroupId = vpcConfig.clusterSecurityGroupId;
    this.clusterName = props.clusterName;
  }

  /** The cluster's private subnets (looked up on first use). */
  get privateSubnetIds(): string[] {
    this.subnets ??= new DataAwsSubnets(this, "private-subnets", {
      filter: [{ name: "vpc-id", values: [this.vpcId] }],
      tags: { tier: "private" },
    }).ids;
    return this.subnets;
  }

  /** Security groups of the cluster's nodes, the only clients of the platform's data services (looked up on first use). */
  get nodeSecurityGroups(): NodeSecurityGroups {
    this.groups ??= {
      cluster: this.clusterSecurityGroupId,
      node: new DataAwsSecurityGroup(this, "node-security-group", { vpcId: this.vpcId, tags: { [KARPENTER_DISCOVERY_TAG]: this.clusterName } }).id,
    };
    return this.groups;
  }
}
