import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { checkedName } from "../../lib/naming";

export interface ClientSecurityGroupProps {
  /** Physical name of the security group. */
  readonly name: string;
  /** What the group guards, for its description. */
  readonly service: string;
  /** VPC the group is created in. */
  readonly vpcId: string;
  /** The one TCP port clients may reach. */
  readonly port: number;
  /** The only groups admitted; every rule names one of them. */
  readonly clientSecurityGroupIds: readonly string[];
}

/** A security group for a managed data service: one TCP port, open only to the listed client groups, no egress. */
export class ClientSecurityGroup extends Construct {
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: ClientSecurityGroupProps) {
    super(scope, id);
    if (props.clientSecurityGroupIds.length === 0) {
      throw new Error(`security group "${props.name}": clientSecurityGroupIds must name who may connect, got []`);
    }
    const group = new SecurityGroup(this, "group", {
      name: checkedName("aws_security_group.name", props.name),
      description: `${props.service}: port ${props.port} from the cluster's nodes only`,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    props.clientSecurityGroupIds.forEach((clientGroupId, index) => {
      new VpcSecurityGroupIngressRule(this, `client-${index}`, {
        securityGroupId: group.id,
        referencedSecurityGroupId: clientGroupId,
        ipProtocol: "tcp",
        fromPort: props.port,
        toPort: props.port,
        description: `${props.service} from cluster nodes`,
      });
    });
    this.securityGroupId = group.id;
  }
}
