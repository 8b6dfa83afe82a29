import { type JsonObject, type JsonValue, type TerraformBlock, nestedBlocks, stringList } from "../model";
import type { Workspace } from "../workspace";
import { type Rule, asNumber, findingsFor, hasValue, isTrue, resourceRule } from "./rule";

const ADMIN_PORTS: ReadonlyArray<{ port: number; service: string }> = [
  { port: 22, service: "SSH" },
  { port: 3389, service: "RDP" },
];
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/** One security-group rule, whichever resource declares it. */
interface SecurityGroupRule {
  readonly address: string;
  readonly label: string;
  readonly direction: "ingress" | "egress";
  readonly cidrs: readonly string[];
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  readonly protocol: string;
  readonly description: JsonValue | undefined;
}

function securityGroupRules(workspace: Workspace): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = [];
  const fromBlock = (address: string, label: string, direction: "ingress" | "egress", config: JsonObject, cidrs: string[]): SecurityGroupRule => ({
    address,
    label,
    direction,
    cidrs,
    fromPort: asNumber(config["from_port"]),
    toPort: asNumber(config["to_port"]),
    protocol: String(config["protocol"] ?? config["ip_protocol"] ?? "tcp"),
    description: config["description"],
  });
  for (const group of workspace.resources("aws_security_group")) {
    for (const direction of ["ingress", "egress"] as const) {
      nestedBlocks(group.config[direction]).forEach((rule, index) => {
        const cidrs = [...stringList(rule["cidr_blocks"]), ...stringList(rule["ipv6_cidr_blocks"])];
        rules.push(fromBlock(group.address, `${direction}[${index}]`, direction, rule, cidrs));
      });
    }
  }
  for (const rule of workspace.resources("aws_security_group_rule")) {
    const direction = rule.config["type"] === "egress" ? "egress" : "ingress";
    const cidrs = [...stringList(rule.config["cidr_blocks"]), ...stringList(rule.config["ipv6_cidr_blocks"])];
    rules.push(fromBlock(rule.address, direction, direction, rule.config, cidrs));
  }
  for (const [type, direction] of [
    ["aws_vpc_security_group_ingress_rule", "ingress"],
    ["aws_vpc_security_group_egress_rule", "egress"],
  ] as const) {
    for (const rule of workspace.resources(type)) {
      const cidrs = [...stringList(rule.config["cidr_ipv4"]), ...stringList(rule.config["cidr_ipv6"])];
      rules.push(fromBlock(rule.address, direction, direction, rule.config, cidrs));
    }
  }
  return rules;
}

function coversPort(rule: SecurityGroupRule, port: number): boolean {
  if (rule.protocol === "-1" || rule.protocol === "all") return true;
  if (rule.fromPort === undefined || rule.toPort === undefined) return false;
  return rule.fromPort <= port && port <= rule.toPort;
}

/** Subnets whose route table sends 0.0.0.0/0 to an internet gateway. */
function publicSubnets(workspace: Workspace): Set<string> {
  const routesToInternet = (table: TerraformBlock): boolean => {
    const isIgw = (route: JsonObject): boolean =>
      workspace.target(table.stack, route["gateway_id"] ?? null)?.block.type === "aws_internet_gateway";
    const inline = nestedBlocks(table.config["route"]).some((route) => route["cidr_block"] === "0.0.0.0/0" && isIgw(route));
    const separate = workspace
      .resources("aws_route")
      .some((route) => workspace.refersTo(route, route.config["route_table_id"], table) && route.config["destination_cidr_block"] === "0.0.0.0/0" && isIgw(route.config));
    return inline || separate;
  };
  const publicTables = workspace.resources("aws_route_table").filter(routesToInternet);
  const subnets = new Set<string>();
  for (const association of workspace.resources("aws_route_table_association")) {
    if (!publicTables.some((table) => workspace.refersTo(association, association.config["route_table_id"], table))) continue;
    const subnet = workspace.target(association.stack, association.config["subnet_id"] ?? null);
    if (subnet) subnets.add(subnet.block.address);
  }
  return subnets;
}

export const networkRules: readonly Rule[] = [
  resourceRule({
    id: "BF-NET-001",
    checkovId: "CKV2_AWS_11",
    title: "Flow logs on every VPC",
    fix: "add an aws_flow_log for the VPC (traffic_type ALL) to CloudWatch Logs or S3",
    types: ["aws_vpc"],
    test: (vpc, { workspace }) =>
      workspace.resources("aws_flow_log").some((log) => workspace.refersTo(log, log.config["vpc_id"], vpc)) ? undefined : "VPC has no flow log",
  }),
  resourceRule({
    id: "BF-NET-002",
    checkovId: "CKV2_AWS_12",
    title: "Default security group has no rules",
    fix: "manage the VPC's aws_default_security_group with no ingress and no egress blocks",
    types: ["aws_vpc"],
    test: (vpc, { workspace }) => {
      const defaults = workspace.resources("aws_default_security_group").filter((group) => workspace.refersTo(group, group.config["vpc_id"], vpc));
      if (defaults.length === 0) return "the VPC's default security group is not managed, so it keeps AWS's allow rules";
      return defaults
        .filter((group) => nestedBlocks(group.config["ingress"]).length > 0 || nestedBlocks(group.config["egress"]).length > 0)
        .map((group) => `${group.address} still has ingress or egress rules`);
    },
  }),
  resourceRule({
    id: "BF-NET-003",
    checkovId: "CKV_AWS_130",
    title: "Only public subnets map public IPs on launch",
    fix: "set map_public_ip_on_launch = false, or route the subnet to an internet gateway if it is meant to be public",
    types: ["aws_subnet"],
    test: (subnet, { workspace }) =>
      isTrue(subnet.config["map_public_ip_on_launch"]) && !publicSubnets(workspace).has(subnet.address)
        ? "subnet maps public IPs on launch but has no route to an internet gateway (not a public subnet)"
        : undefined,
  }),
  {
    id: "BF-NET-004",
    checkovId: "CKV_AWS_24, CKV_AWS_25",
    title: "No ingress from 0.0.0.0/0 to admin ports",
    fix: "restrict the source to known CIDRs or security groups, or use SSM Session Manager instead of SSH/RDP",
    check: ({ workspace }) =>
      securityGroupRules(workspace)
        .filter((rule) => rule.direction === "ingress" && rule.cidrs.some((cidr) => OPEN_CIDRS.has(cidr)))
        .flatMap((rule) =>
          findingsFor(
            "BF-NET-004",
            rule.address,
            ADMIN_PORTS.filter(({ port }) => coversPort(rule, port)).map(({ port, service }) => `${rule.label} opens ${service} (port ${port}) to the internet`),
          ),
        ),
  },
  {
    id: "BF-NET-005",
    checkovId: "CKV_AWS_23",
    title: "Every security group rule has a description",
    fix: "add a description saying why the rule exists",
    check: ({ workspace }) =>
      securityGroupRules(workspace)
        .filter((rule) => !hasValue(rule.description))
        .map((rule) => ({ ruleId: "BF-NET-005", address: rule.address, message: `${rule.label} rule has no description` })),
  },
];
