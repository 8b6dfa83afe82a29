import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { Construct } from "constructs";
import type { AwsContext } from "../../lib/aws-context";
import { planSubnets } from "../../lib/cidr";
import { serviceAssumeRolePolicy } from "../../lib/iam";
import { checkedName } from "../../lib/naming";
import { KARPENTER_DISCOVERY_TAG } from "../../lib/tags";

export interface NetworkProps {
  /** Prefix for Name tags, e.g. the cluster name. */
  readonly namePrefix: string;
  /** VPC CIDR, a /16 or larger: the subnet plan is carved from it. */
  readonly vpcCidr: string;
  /** AZs to lay subnets out in (2–8). */
  readonly availabilityZones: readonly string[];
  /** Region of the VPC: S3 endpoint service name and flow-log source ARN. */
  readonly region: string;
  /** Cluster the subnets serve: tagged for Karpenter discovery and load balancer placement. */
  readonly clusterName: string;
  /**
   * One NAT gateway for all AZs (cheaper) instead of one per AZ (survives an AZ outage).
   * @default true
   */
  readonly singleNatGateway?: boolean;
  /** KMS key ARN for the flow log group. */
  readonly logsKmsKeyArn: string;
  /** Account and partition the flow-log role's trust is scoped to (confused-deputy protection). */
  readonly aws: AwsContext;
  /**
   * Flow log retention.
   * @default 90
   */
  readonly flowLogRetentionDays?: number;
}

/** One subnet and the availability zone it lies in: what a construct bound to one zone (a capacity block) takes. */
export interface ZonalSubnet {
  /** The subnet's id. */
  readonly id: string;
  /** The availability zone the subnet lies in (a zone name such as `us-east-1a`). */
  readonly availabilityZone: string;
}

/** Subnet ids of one availability zone, so a capacity block can be placed in its own AZ only. */
export interface ZoneSubnets {
  readonly availabilityZone: string;
  readonly privateSubnetId: string;
  readonly publicSubnetId: string;
  readonly intraSubnetId: string;
}

/**
 * A VPC laid out for EKS: per AZ a private subnet for nodes, a public one for load balancers and NAT, and an intra
 * one (no internet route) for the control plane's network interfaces.
 */
export class Network extends Construct {
  readonly vpcId: string;
  /** The subnets of each AZ, in the order of `availabilityZones`. */
  readonly zones: readonly ZoneSubnets[];
  /** Private subnets (nodes), one per AZ, in zone order. */
  readonly privateSubnetIds: string[];
  /** Intra subnets (control plane network interfaces, no internet route), one per AZ, in zone order. */
  readonly intraSubnetIds: string[];
  /** Public subnets (load balancers, NAT), one per AZ, in zone order. */
  readonly publicSubnetIds: string[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const singleNatGateway = props.singleNatGateway ?? true;
    const flowLogRetentionDays = props.flowLogRetentionDays ?? 90;
    const plan = planSubnets(props.vpcCidr, props.availabilityZones);
    const name = (suffix: string) => ({ Name: `${props.namePrefix}-${suffix}` });

    const vpc = new Vpc(this, "vpc", {
      cidrBlock: props.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: name("vpc"),
    });
    // Adopting the default security group with no rules closes it: nothing can use it by accident.
    new DefaultSecurityGroup(this, "default-security-group", { vpcId: vpc.id, tags: name("default-closed") });

    const internetGateway = new InternetGateway(this, "internet-gateway", { vpcId: vpc.id, tags: name("igw") });
    const publicRoutes = new RouteTable(this, "public-routes", { vpcId: vpc.id, tags: name("public") });
    new Route(this, "public-default-route", { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id });
    const intraRoutes = new RouteTable(this, "intra-routes", { vpcId: vpc.id, tags: name("intra") });

    const clusterTag = `kubernetes.io/cluster/${props.clusterName}`;
    const zoneResources = plan.map((zone) => {
      const zoneScope = new Construct(this, zone.availabilityZone);
      const publicSubnet = new Subnet(zoneScope, "public", {
        vpcId: vpc.id,
        availabilityZone: zone.availabilityZone,
        cidrBlock: zone.publicCidr,
        // Public subnets hold load balancers and NAT gateways only; instances never get public addresses.
        mapPublicIpOnLaunch: false,
        tags: { ...name(`public-${zone.availabilityZone}`), "kubernetes.io/role/elb": "1", [clusterTag]: "shared", tier: "public" },
      });
      const privateSubnet = new Subnet(zoneScope, "private", {
        vpcId: vpc.id,
        availabilityZone: zone.availabilityZone,
        cidrBlock: zone.privateCidr,
        mapPublicIpOnLaunch: false,
        tags: {
          ...name(`private-${zone.availabilityZone}`),
          "kubernetes.io/role/internal-elb": "1",
          [clusterTag]: "shared",
          [KARPENTER_DISCOVERY_TAG]: props.clusterName,
          tier: "private",
        },
      });
      const intraSubnet = new Subnet(zoneScope, "intra", {
        vpcId: vpc.id,
        availabilityZone: zone.availabilityZone,
        cidrBlock: zone.intraCidr,
        mapPublicIpOnLaunch: false,
        tags: { ...name(`intra-${zone.availabilityZone}`), tier: "intra" },
      });
      new RouteTableAssociation(zoneScope, "public-routes", { subnetId: publicSubnet.id, routeTableId: publicRoutes.id });
      new RouteTableAssociation(zoneScope, "intra-routes", { subnetId: intraSubnet.id, routeTableId: intraRoutes.id });
      return { zone, zoneScope, publicSubnet, privateSubnet, intraSubnet };
    });

    const natGateways = zoneResources.slice(0, singleNatGateway ? 1 : zoneResources.length).map(({ zone, zoneScope, publicSubnet }) => {
      const address = new Eip(zoneScope, "nat-address", { domain: "vpc", tags: name(`nat-${zone.availabilityZone}`) });
      return new NatGateway(zoneScope, "nat-gateway", {
        allocationId: address.allocationId,
        subnetId: publicSubnet.id,
        tags: name(`nat-${zone.availabilityZone}`),
        dependsOn: [internetGateway],
      });
    });

    const privateRouteTableIds = zoneResources.map(({ zone, zoneScope, privateSubnet }, index) => {
      const routes = new RouteTable(zoneScope, "private-routes", { vpcId: vpc.id, tags: name(`private-${zone.availabilityZone}`) });
      const natGateway = natGateways[singleNatGateway ? 0 : index]!;
      new Route(zoneScope, "private-default-route", { routeTableId: routes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: natGateway.id });
      new RouteTableAssociation(zoneScope, "private-routes-association", { subnetId: privateSubnet.id, routeTableId: routes.id });
      return routes.id;
    });

    // Image pulls and model downloads from S3 stay off the NAT gateways (cost) and off the internet.
    new VpcEndpoint(this, "s3-endpoint", {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...privateRouteTableIds, intraRoutes.id],
      tags: name("s3"),
    });

    const flowLogGroup = new CloudwatchLogGroup(this, "flow-log-group", {
      name: checkedName("aws_cloudwatch_log_group.name", `/aws/vpc/${props.namePrefix}/flow-logs`),
      retentionInDays: flowLogRetentionDays,
      kmsKeyId: props.logsKmsKeyArn,
      // An audit trail: a destroy or rename leaves the group (and what it holds) in place.
      skipDestroy: true,
    });
    const flowLogRole = new IamRole(this, "flow-log-role", {
      name: checkedName("aws_iam_role.name", `${props.namePrefix}-vpc-flow-logs`),
      // Only flow logs of this account may assume the role, so another account can't make the service write here.
      assumeRolePolicy: serviceAssumeRolePolicy("vpc-flow-logs.amazonaws.com", ["sts:AssumeRole"], {
        StringEquals: { "aws:SourceAccount": props.aws.accountId },
        ArnLike: { "aws:SourceArn": `arn:${props.aws.partition}:ec2:${props.region}:${props.aws.accountId}:vpc-flow-log/*` },
      }),
    });
    new IamRolePolicy(this, "flow-log-role-policy", {
      role: flowLogRole.id,
      name: "write-flow-logs",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: `${flowLogGroup.arn}:*`,
          },
        ],
      }),
    });
    new FlowLog(this, "flow-log", {
      vpcId: vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
    });

    this.vpcId = vpc.id;
    this.zones = zoneResources.map(({ zone, publicSubnet, privateSubnet, intraSubnet }) => ({
      availabilityZone: zone.availabilityZone,
      privateSubnetId: privateSubnet.id,
      publicSubnetId: publicSubnet.id,
      intraSubnetId: intraSubnet.id,
    }));
    this.privateSubnetIds = this.zones.map((zone) => zone.privateSubnetId);
    this.publicSubnetIds = this.zones.map((zone) => zone.publicSubnetId);
    this.intraSubnetIds = this.zones.map((zone) => zone.intraSubnetId);
  }

  /** The private subnet of one AZ, with its zone; throws naming the AZ when the network has none there. */
  privateSubnetIn(availabilityZone: string): ZonalSubnet {
    const zone = this.zones.find((candidate) => candidate.availabilityZone === availabilityZone);
    if (!zone) {
      throw new Error(`network: no subnets in availability zone "${availabilityZone}"; zones are ${this.zones.map((z) => z.availabilityZone).join(", ")}`);
    }
    return { id: zone.privateSubnetId, availabilityZone: zone.availabilityZone };
  }
}
