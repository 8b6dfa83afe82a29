import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { addressAt, movedFrom } from "../../../lib/moves";
import { checkedName } from "../../../lib/naming";

export interface ClientSecurityGroupProps {
  /** Physical name of the security group. */
  readonly name: string;
  /** What the group guards, for its description. */
  readonly service: string;
  /** VPC the group is created in. */
  readonly vpcId: string;
  /** The one TCP port clients may reach. */
  readonly port: number;
  /** The only groups admitted, by purpose (e.g. `{ cluster, node }`); one rule each, keyed by the purpose. */
  readonly clientSecurityGroups: Readonly<Record<string, string>>;
}

/** A security group for a managed data service: one TCP port, open only to the listed client groups, no egress. */
export class ClientSecurityGroup extends Construct {
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: ClientSecurityGroupProps) {
    super(scope, id);
    const clients = Object.entries(props.clientSecurityGroups);
    if (clients.length === 0) {
      throw new Error(`security group "${props.name}": clientSecurityGroups must name who may connect, got {}`);
    }
    const group = new SecurityGroup(this, "group", {
      name: checkedName("aws_security_group.name", props.name),
      description: `${props.service}: port ${props.port} from the cluster's nodes only`,
      vpcId: props.vpcId,
      tags: { Name: props.name },
    });
    clients.forEach(([purpose, clientGroupId], index) => {
      const rule = new VpcSecurityGroupIngressRule(this, `client-${purpose}`, {
        securityGroupId: group.id,
        referencedSecurityGroupId: clientGroupId,
        ipProtocol: "tcp",
        fromPort: props.port,
        toPort: props.port,
        description: `${props.service} from cluster nodes`,
      });
      // Up to 0.1 the rules were keyed by position, in the same order.
      movedFrom(rule, addressAt(rule.terraformResourceType, this, `client-${index}`));
    });
    this.securityGroupId = group.id;
  }
}
