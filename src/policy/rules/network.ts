import { coversInternet, isWithin, publicAddresses } from "../addresses";
import { type JsonObject, type JsonValue, nestedBlocks, stringList, type TerraformBlock } from "../model";
import type { Workspace } from "../workspace";
import { asNumber, hasValue, isTrue, type Rule, resourceRule } from "./rule";

const ADMIN_PORTS: ReadonlyArray<{ port: number; service: string }> = [
  { port: 22, service: "SSH" },
  { port: 3389, service: "RDP" },
];
const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/**
 * Ports of data stores that belong inside the VPC (IANA registry / each product's default port). A source outside
 * the VPC's CIDRs reaching one of them is a finding even when it is not the whole internet.
 */
export const DATA_PORTS: ReadonlyArray<{ port: number; service: string }> = [
  { port: 1433, service: "SQL Server" },
  { port: 1521, service: "Oracle" },
  { port: 2049, service: "NFS" },
  { port: 2379, service: "etcd" },
  { port: 3306, service: "MySQL" },
  { port: 5432, service: "PostgreSQL" },
  { port: 5439, service: "Redshift" },
  { port: 5984, service: "CouchDB" },
  { port: 6379, service: "Redis" },
  { port: 8086, service: "InfluxDB" },
  { port: 9042, service: "Cassandra" },
  { port: 9092, service: "Kafka" },
  { port: 9200, service: "Elasticsearch/OpenSearch" },
  { port: 9300, service: "Elasticsearch/OpenSearch transport" },
  { port: 11211, service: "Memcached" },
  { port: 27017, service: "MongoDB" },
];

/** Where a VPC's own addresses are unknown (the group's VPC comes from a data source), only private space is "inside". */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"];

/** One security-group rule, whichever resource declares it. */
interface SecurityGroupRule {
  readonly address: string;
  /** The security group the rule belongs to: its address, or the raw reference when it is not in the output. */
  readonly group: string;
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
  const groupOf = (block: TerraformBlock): string => {
    const target = workspace.target(block.stack, block.config["security_group_id"] ?? null);
    return target?.block.address ?? `${block.stack}:${String(block.config["security_group_id"] ?? block.address)}`;
  };
  const fromBlock = (
    address: string,
    group: string,
    label: string,
    direction: "ingress" | "egress",
    config: JsonObject,
    cidrs: string[],
  ): SecurityGroupRule => ({
    address,
    group,
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
        rules.push(fromBlock(group.address, group.address, `${direction}[${index}]`, direction, rule, cidrs));
      });
    }
  }
  for (const rule of workspace.resources("aws_security_group_rule")) {
    const direction = rule.config["type"] === "egress" ? "egress" : "ingress";
    const cidrs = [...stringList(rule.config["cidr_blocks"]), ...stringList(rule.config["ipv6_cidr_blocks"])];
    rules.push(fromBlock(rule.address, groupOf(rule), direction, direction, rule.config, cidrs));
  }
  for (const [type, direction] of [
    ["aws_vpc_security_group_ingress_rule", "ingress"],
    ["aws_vpc_security_group_egress_rule", "egress"],
  ] as const) {
    for (const rule of workspace.resources(type)) {
      const cidrs = [...stringList(rule.config["cidr_ipv4"]), ...stringList(rule.config["cidr_ipv6"])];
      rules.push(fromBlock(rule.address, groupOf(rule), direction, direction, rule.config, cidrs));
    }
  }
  return rules;
}

function portRange(rule: SecurityGroupRule): [number, number] {
  if (rule.protocol === "-1" || rule.protocol === "all") return [0, 65535];
  return [rule.fromPort ?? 0, rule.toPort ?? 65535];
}

function portText(rule: SecurityGroupRule): string {
  const [from, to] = portRange(rule);
  if (from <= 0 && to >= 65535) return "every port";
  return from === to ? `port ${from}` : `ports ${from}-${to}`;
}

/**
 * Ingress rules open to the internet: those whose group's ingress sources, for ports overlapping the rule's, cover
 * the internet together (0.0.0.0/0, or 0.0.0.0/1 + 128.0.0.0/1 in two rules) and that contribute public addresses.
 */
function internetIngress(workspace: Workspace, matches: (rule: SecurityGroupRule) => boolean = () => true): SecurityGroupRule[] {
  const ingress = securityGroupRules(workspace).filter((rule) => rule.direction === "ingress");
  return ingress.filter((rule) => {
    if (!matches(rule)) return false;
    const own = publicAddresses(rule.cidrs);
    if (own.ipv4 === 0n && own.ipv6 === 0n) return false;
    const [from, to] = portRange(rule);
    const together = ingress
      .filter((other) => other.group === rule.group && matches(other))
      .filter((other) => {
        const [otherFrom, otherTo] = portRange(other);
        return otherFrom <= to && from <= otherTo;
      })
      .flatMap((other) => other.cidrs);
    return coversInternet(together);
  });
}

/** The CIDRs of the VPC a security group lives in; private address space when the VPC is not in the output. */
function vpcCidrsOf(workspace: Workspace, rule: SecurityGroupRule): string[] {
  const group = workspace.resources("aws_security_group").find((candidate) => candidate.address === rule.group);
  const vpc = group ? workspace.target(group.stack, group.config["vpc_id"] ?? null)?.block : undefined;
  if (vpc?.type !== "aws_vpc") return PRIVATE_RANGES;
  const literal = (value: JsonValue | undefined): string[] => (typeof value === "string" && !value.includes("${") ? [value] : []);
  const cidrs = [
    ...literal(vpc.config["cidr_block"]),
    ...literal(vpc.config["ipv6_cidr_block"]),
    ...workspace
      .resources("aws_vpc_ipv4_cidr_block_association")
      .filter((association) => workspace.refersTo(association, association.config["vpc_id"], vpc))
      .flatMap((association) => literal(association.config["cidr_block"])),
  ];
  return cidrs.length > 0 ? cidrs : PRIVATE_RANGES;
}

/** Names the sources when they are not the plain 0.0.0.0/0 or ::/0 (split ranges, or a range the group's other rules complete). */
function splitNote(rule: SecurityGroupRule): string {
  if (rule.cidrs.some((cidr) => OPEN_CIDRS.has(cidr))) return "";
  return coversInternet(rule.cidrs) ? ` (${rule.cidrs.join(", ")})` : ` (${rule.cidrs.join(", ")}, internet-wide with the group's other rules)`;
}

function coversPort(rule: SecurityGroupRule, port: number): boolean {
  if (rule.protocol === "-1" || rule.protocol === "all") return true;
  if (rule.fromPort === undefined || rule.toPort === undefined) return false;
  return rule.fromPort <= port && port <= rule.toPort;
}

/** Subnets whose route table sends 0.0.0.0/0 to an internet gateway. */
function publicSubnets(workspace: Workspace): Set<string> {
  const routesToInternet = (table: TerraformBlock): boolean => {
    const isIgw = (route: JsonObject): boolean => workspace.target(table.stack, route["gateway_id"] ?? null)?.block.type === "aws_internet_gateway";
    const inline = nestedBlocks(table.config["route"]).some((route) => route["cidr_block"] === "0.0.0.0/0" && isIgw(route));
    const separate = workspace
      .resources("aws_route")
      .some(
        (route) =>
          workspace.refersTo(route, route.config["route_table_id"], table) && route.config["destination_cidr_block"] === "0.0.0.0/0" && isIgw(route.config),
      );
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
    check: ({ workspace }) => {
      const key = (rule: SecurityGroupRule): string => `${rule.address} ${rule.label}`;
      const open = ADMIN_PORTS.map((admin) => ({ ...admin, rules: new Set(internetIngress(workspace, (rule) => coversPort(rule, admin.port)).map(key)) }));
      return securityGroupRules(workspace).flatMap((rule) =>
        open
          .filter(({ rules }) => rules.has(key(rule)))
          .map(({ port, service }) => ({
            ruleId: "BF-NET-004",
            address: rule.address,
            message: `${rule.label} opens ${service} (port ${port}) to the internet${splitNote(rule)}`,
          })),
      );
    },
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
  {
    id: "BF-NET-006",
    checkovId: "CKV_AWS_277, CKV_AWS_260",
    title: "No security group ingress from the internet",
    fix: "allow known CIDRs or security groups; public endpoints belong behind a load balancer whose security group the AWS Load Balancer Controller manages (or waive the finding with the reason)",
    check: ({ workspace }) =>
      internetIngress(workspace).map((rule) => ({
        ruleId: "BF-NET-006",
        address: rule.address,
        message: `${rule.label} opens ${portText(rule)} to the internet${splitNote(rule)}`,
      })),
  },
  {
    id: "BF-NET-007",
    checkovId: "",
    title: "Data ports open only inside the VPC",
    fix: "allow the data store's port from the clients' security groups (or the VPC's CIDRs) only",
    check: ({ workspace }) =>
      securityGroupRules(workspace)
        .filter((rule) => rule.direction === "ingress" && rule.cidrs.length > 0)
        .flatMap((rule) => {
          const vpc = vpcCidrsOf(workspace, rule);
          const outside = rule.cidrs.filter((cidr) => !isWithin(cidr, vpc));
          if (outside.length === 0) return [];
          const ports = DATA_PORTS.filter(({ port }) => coversPort(rule, port)).map(({ port, service }) => `${service} (port ${port})`);
          if (ports.length === 0) return [];
          return [
            {
              ruleId: "BF-NET-007",
              address: rule.address,
              message: `${rule.label} opens ${ports.join(", ")} to ${outside.join(", ")}, beyond the VPC (${vpc.join(", ")})`,
            },
          ];
        }),
  },
];
