import { capacityBlockRules } from "../../../../src/policy/rules/capacity-blocks";
import { patch } from "../fixtures";
import { describeRuleCases } from "../rule-cases";

const GROUP = "resource.aws_eks_node_group.gpu";
const TEMPLATE = "resource.aws_launch_template.gpu";
const ng = "test-cluster/aws_eks_node_group.gpu";
const lt = "test-cluster/aws_launch_template.gpu";

describeRuleCases("capacity block rules", capacityBlockRules, [
  { rule: "BF-CB-001", when: "the launch template buys into the block", change: () => {}, expected: [] },
  {
    rule: "BF-CB-001",
    when: "a non-capacity-block group has no launch template",
    change: (s) => patch(s["test-cluster"]!, GROUP, { capacity_type: "ON_DEMAND", launch_template: undefined }),
    expected: [],
  },
  {
    rule: "BF-CB-001",
    when: "the group has no launch template",
    change: (s) => patch(s["test-cluster"]!, GROUP, { launch_template: undefined }),
    expected: [`${ng}: CAPACITY_BLOCK node group has no launch template`],
  },
  {
    rule: "BF-CB-001",
    when: "the launch template has no capacity-block market type",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { instance_market_options: undefined }),
    expected: [`${ng}: launch template ${lt} has market_type "unset", expected "capacity-block"`],
  },
  {
    rule: "BF-CB-001",
    when: "the launch template is not in the output",
    change: (s) => patch(s["test-cluster"]!, GROUP, { launch_template: { id: "lt-0123456789abcdef0", version: "1" } }),
    expected: [`${ng}: the node group's launch template is not in the synthesized output`],
  },
  { rule: "BF-CB-002", when: "the template targets the reservation", change: () => {}, expected: [] },
  {
    rule: "BF-CB-002",
    when: "the template has no reservation target",
    change: (s) => patch(s["test-cluster"]!, TEMPLATE, { capacity_reservation_specification: { capacity_reservation_preference: "open" } }),
    expected: [`${ng}: launch template ${lt} has no capacity_reservation_target`],
  },
  {
    rule: "BF-CB-003",
    when: "the instance type comes from the template alone",
    change: (s) => {
      patch(s["test-cluster"]!, GROUP, { instance_types: undefined });
      patch(s["test-cluster"]!, TEMPLATE, { instance_type: "p5.48xlarge" });
    },
    expected: [],
  },
  {
    rule: "BF-CB-003",
    when: "two instance types are listed",
    change: (s) => patch(s["test-cluster"]!, GROUP, { instance_types: ["p5.48xlarge", "p5e.48xlarge"] }),
    expected: [`${ng}: expected exactly one instance type, got ["p5.48xlarge","p5e.48xlarge"]`],
  },
  { rule: "BF-CB-004", when: "the subnets share one zone", change: () => {}, expected: [] },
  {
    rule: "BF-CB-004",
    when: "the subnets span two zones",
    change: (s) => patch(s["test-cluster"]!, GROUP, { subnet_ids: ["${aws_subnet.private_a.id}", "${aws_subnet.private_b.id}"] }),
    expected: [`${ng}: subnets span 2 availability zones (us-east-1a, us-east-1b), a capacity block lives in one`],
  },
  {
    rule: "BF-CB-004",
    when: "a subnet cannot be traced to its zone",
    change: (s) => patch(s["test-cluster"]!, GROUP, { subnet_ids: ["subnet-0123456789abcdef0"] }),
    expected: [`${ng}: cannot tell the availability zone of subnets subnet-0123456789abcdef0`],
  },
  {
    rule: "BF-CB-005",
    when: "the whole scaling config is ignored",
    change: (s) => patch(s["test-cluster"]!, GROUP, { lifecycle: { ignore_changes: ["scaling_config"] } }),
    expected: [],
  },
  {
    rule: "BF-CB-005",
    when: "the desired size is managed by Terraform",
    change: (s) => patch(s["test-cluster"]!, GROUP, { lifecycle: { create_before_destroy: true } }),
    expected: [`${ng}: scaling_config desired_size is not in lifecycle.ignore_changes, so every apply would resize the group`],
  },
  { rule: "BF-CB-006", when: "nothing is purchased", change: () => {}, expected: [] },
  {
    rule: "BF-CB-006",
    when: "the output purchases a capacity block",
    change: (s) =>
      patch(s["test-cluster"]!, "resource.aws_ec2_capacity_block_reservation.p5", {
        capacity_block_offering_id: "cbr-0123456789abcdef0",
        instance_platform: "Linux/UNIX",
      }),
    expected: [
      'test-cluster/aws_ec2_capacity_block_reservation.p5: applying this purchases capacity block offering "cbr-0123456789abcdef0", which cannot be cancelled or refunded',
    ],
  },
]);
