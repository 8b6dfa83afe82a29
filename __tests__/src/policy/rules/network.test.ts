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
    change: (s) => patch(s["test-cluster"]!, "resource.aws_default_security_group.default", { ingress: [{ protocol: "-1", self: true, from_port: 0, to_port: 0 }] }),
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
      patch(s["test-cluster"]!, "resource.aws_security_group_rule.https", { type: "ingress", security_group_id: "${aws_security_group.nodes.id}", from_port: 443, to_port: 443, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], description: "public HTTPS" }),
    expected: [],
  },
  {
    rule: "BF-NET-004",
    when: "SSH and RDP are open to the internet in each rule style",
    change: (s) => {
      const stack = s["test-cluster"]!;
      patch(stack, "resource.aws_security_group.nodes", { ingress: [{ from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"], description: "ssh" }] });
      patch(stack, "resource.aws_security_group_rule.rdp", { type: "ingress", security_group_id: "x", from_port: 3389, to_port: 3389, protocol: "tcp", ipv6_cidr_blocks: ["::/0"], description: "rdp" });
      patch(stack, "resource.aws_vpc_security_group_ingress_rule.all", { security_group_id: "x", ip_protocol: "-1", cidr_ipv4: "0.0.0.0/0", description: "everything" });
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
]);
