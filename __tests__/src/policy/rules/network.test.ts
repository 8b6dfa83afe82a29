import { networkRules } from "../../../../src/policy/rules/network";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const vpc = "test-cluster/aws_vpc.main";
const sg = "test-cluster/aws_security_group.nodes";

describeRuleCases("network rules", networkRules, [
  { rule: "BF-NET-001", when: "the VPC has a flow log", change: () => {}, expected: [] },
  {
    rule: "BF-NET-001",
    when: "the flow log is gone",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_flow_log", null),
    expected: [`${vpc}: VPC has no flow log`],
  },
  { rule: "BF-NET-002", when: "the default security group is emptied", change: () => {}, expected: [] },
  {
    rule: "BF-NET-002",
    when: "the default security group is not managed",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_default_security_group", null),
    expected: [`${vpc}: the VPC's default security group is not managed, so it keeps AWS's allow rules`],
  },
  {
    rule: "BF-NET-002",
    when: "the default security group keeps a rule",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_default_security_group.default", { ingress: [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }] }),
    expected: [`${vpc}: test-cluster/aws_default_security_group.default still has ingress or egress rules`],
  },
  { rule: "BF-NET-003", when: "only the internet-routed subnet maps public IPs", change: () => {}, expected: [] },
  {
    rule: "BF-NET-003",
    when: "a private subnet maps public IPs",
    change: (s) => patch(s["test-cluster"]!, "resource.aws_subnet.private_a", { map_public_ip_on_launch: true }),
    expected: ["test-cluster/aws_subnet.private_a: subnet maps public IPs on launch but has no route to an internet gateway (not a public subnet)"],
  },
  {
    rule: "BF-NET-004",
    when: "HTTPS is open to the internet",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_security_group_rule.https", {
        type: "ingress",
        security_group_id: "${aws_security_group.nodes.id}",
        from_port: 443,
        to_port: 443,
        protocol: "tcp",
        cidr_blocks: ["0.0.0.0/0"],
        description: "public HTTPS",
      }),
    expected: [],
  },
  {
    rule: "BF-NET-004",
    when: "SSH and RDP are open to the internet in each rule style",
    change: (s) => {
      const stack = s["test-cluster"]!;
      patch(stack, "resource.aws_security_group.nodes", {
        ingress: [{ from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], description: "ssh" }],
      });
      patch(stack, "resource.aws_security_group_rule.rdp", {
        type: "ingress",
        security_group_id: "x",
        from_port: 3389,
        to_port: 3389,
        protocol: "tcp",
        ipv6_cidr_blocks: ["::/0"],
        description: "rdp",
      });
      patch(stack, "resource.aws_vpc_security_group_ingress_rule.all", {
        security_group_id: "x",
        ip_protocol: "-1",
        cidr_ipv4: "0.0.0.0/0",
        description: "everything",
      });
    },
    expected: [
      `${sg}: ingress[0] opens SSH (port 22) to the internet`,
      "test-cluster/aws_security_group_rule.rdp: ingress opens RDP (port 3389) to the internet",
      "test-cluster/aws_vpc_security_group_ingress_rule.all: ingress opens SSH (port 22) to the internet",
      "test-cluster/aws_vpc_security_group_ingress_rule.all: ingress opens RDP (port 3389) to the internet",
    ],
  },
  { rule: "BF-NET-005", when: "every rule says why it exists", change: () => {}, expected: [] },
  {
    rule: "BF-NET-005",
    when: "rules lack descriptions",
    change: (s) => {
      patch(s["test-cluster"]!, "resource.aws_security_group.nodes", { egress: [{ from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["0.0.0.0/0"] }] });
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.efa", { description: "" });
    },
    expected: [`${sg}: egress[0] rule has no description`, "test-cluster/aws_vpc_security_group_ingress_rule.efa: ingress rule has no description"],
  },
  {
    rule: "BF-NET-004",
    when: "SSH is open to one public office range",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.office", {
        security_group_id: "${aws_security_group.nodes.id}",
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
        cidr_ipv4: "203.0.113.0/24",
        description: "office",
      }),
    expected: [],
  },
  {
    rule: "BF-NET-004",
    when: "SSH is open to the internet by split ranges in two rules of one group",
    change: (s) => {
      const rule = (cidr: string) => ({
        security_group_id: "${aws_security_group.nodes.id}",
        ip_protocol: "tcp",
        from_port: 22,
        to_port: 22,
        cidr_ipv4: cidr,
        description: "half",
      });
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.low", rule("0.0.0.0/1"));
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.high", rule("128.0.0.0/1"));
    },
    expected: [
      "test-cluster/aws_vpc_security_group_ingress_rule.low: ingress opens SSH (port 22) to the internet (0.0.0.0/1)",
      "test-cluster/aws_vpc_security_group_ingress_rule.high: ingress opens SSH (port 22) to the internet (128.0.0.0/1)",
    ],
  },
  {
    rule: "BF-NET-006",
    when: "a group's rules each open less than a /8 but together cover more",
    change: (s) => {
      const rule = (cidr: string) => ({
        security_group_id: "${aws_security_group.nodes.id}",
        ip_protocol: "tcp",
        from_port: 9000,
        to_port: 9000,
        cidr_ipv4: cidr,
        description: "slice",
      });
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.a", rule("11.0.0.0/9"));
      patch(s["test-cluster"]!, "resource.aws_vpc_security_group_ingress_rule.b", rule("11.128.0.0/9"));
    },
    expected: [
      "test-cluster/aws_vpc_security_group_ingress_rule.a: ingress opens port 9000 to the internet (11.0.0.0/9, internet-wide with the group's other rules)",
      "test-cluster/aws_vpc_security_group_ingress_rule.b: ingress opens port 9000 to the internet (11.128.0.0/9, internet-wide with the group's other rules)",
    ],
  },
  { rule: "BF-NET-006", when: "only egress reaches the internet and ingress comes from the VPC", change: () => {}, expected: [] },
  {
    rule: "BF-NET-006",
    when: "a port is open to one public partner range",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_security_group_rule.partner", {
        type: "ingress",
        security_group_id: "${aws_security_group.nodes.id}",
        from_port: 8443,
        to_port: 8443,
        protocol: "tcp",
        cidr_blocks: ["198.51.100.0/24"],
        description: "partner",
      }),
    expected: [],
  },
  {
    rule: "BF-NET-006",
    when: "HTTPS, every port or IPv6 split ranges are open to the internet (8000::/1 holds no global unicast address, so only ::/1 counts)",
    change: (s) => {
      const stack = s["test-cluster"]!;
      patch(stack, "resource.aws_security_group_rule.https", {
        type: "ingress",
        security_group_id: "${aws_security_group.nodes.id}",
        from_port: 443,
        to_port: 443,
        protocol: "tcp",
        cidr_blocks: ["0.0.0.0/0"],
        description: "public HTTPS",
      });
      patch(stack, "resource.aws_security_group.nodes", {
        ingress: [{ from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["0.0.0.0/2", "64.0.0.0/2"], description: "half the internet" }],
      });
      const v6 = (cidr: string) => ({
        security_group_id: "sg-0123456789abcdef0",
        ip_protocol: "tcp",
        from_port: 8080,
        to_port: 8081,
        cidr_ipv6: cidr,
        description: "v6",
      });
      patch(stack, "resource.aws_vpc_security_group_ingress_rule.v6_low", v6("::/1"));
      patch(stack, "resource.aws_vpc_security_group_ingress_rule.v6_high", v6("8000::/1"));
    },
    expected: [
      `${sg}: ingress[0] opens every port to the internet (0.0.0.0/2, 64.0.0.0/2)`,
      "test-cluster/aws_security_group_rule.https: ingress opens port 443 to the internet",
      "test-cluster/aws_vpc_security_group_ingress_rule.v6_low: ingress opens ports 8080-8081 to the internet (::/1)",
    ],
  },
  {
    rule: "BF-NET-007",
    when: "PostgreSQL is open to a subnet of the VPC",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_security_group_rule.db", {
        type: "ingress",
        security_group_id: "${aws_security_group.nodes.id}",
        from_port: 5432,
        to_port: 5432,
        protocol: "tcp",
        cidr_blocks: ["10.0.16.0/20"],
        description: "db",
      }),
    expected: [],
  },
  {
    rule: "BF-NET-007",
    when: "PostgreSQL is open to a public range and every port to a peered network",
    change: (s) => {
      patch(s["test-cluster"]!, "resource.aws_security_group_rule.db", {
        type: "ingress",
        security_group_id: "${aws_security_group.nodes.id}",
        from_port: 5432,
        to_port: 5432,
        protocol: "tcp",
        cidr_blocks: ["10.0.16.0/20", "203.0.113.0/24"],
        description: "db",
      });
      patch(s["test-cluster"]!, "resource.aws_security_group.nodes", {
        ingress: [{ from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["172.16.0.0/12"], description: "peered VPC" }],
      });
    },
    expected: [
      `${sg}: ingress[0] opens SQL Server (port 1433), Oracle (port 1521), NFS (port 2049), etcd (port 2379), MySQL (port 3306), PostgreSQL (port 5432), Redshift (port 5439), CouchDB (port 5984), Redis (port 6379), InfluxDB (port 8086), Cassandra (port 9042), Kafka (port 9092), Elasticsearch/OpenSearch (port 9200), Elasticsearch/OpenSearch transport (port 9300), Memcached (port 11211), MongoDB (port 27017) to 172.16.0.0/12, beyond the VPC (10.0.0.0/16)`,
      "test-cluster/aws_security_group_rule.db: ingress opens PostgreSQL (port 5432) to 203.0.113.0/24, beyond the VPC (10.0.0.0/16)",
    ],
  },
]);
