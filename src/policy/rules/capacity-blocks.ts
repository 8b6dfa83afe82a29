import { firstBlock, isJsonObject, type JsonObject, stringList, type TerraformBlock } from "../model";
import type { Workspace } from "../workspace";
import { type BlockProblems, findingsFor, hasValue, type Rule, type RuleContext } from "./rule";

/** Ways to tell Terraform to leave the desired size alone once the group exists. */
const DESIRED_SIZE_IGNORES = new Set(["scaling_config[0].desired_size", "scaling_config.0.desired_size", "scaling_config", "all"]);

function capacityBlockGroups(context: RuleContext): TerraformBlock[] {
  return context.workspace.resources("aws_eks_node_group").filter((group) => group.config["capacity_type"] === "CAPACITY_BLOCK");
}

/** The launch template a node group uses, found through its `launch_template.id`/`name` reference. */
export function launchTemplateOf(workspace: Workspace, group: TerraformBlock): TerraformBlock | undefined {
  const spec = firstBlock(group.config["launch_template"]);
  if (!spec) return undefined;
  for (const key of ["id", "name"]) {
    const target = workspace.target(group.stack, spec[key]);
    if (target?.block.type === "aws_launch_template") return target.block;
  }
  const name = spec["name"];
  return typeof name === "string" ? workspace.resources("aws_launch_template").find((template) => template.config["name"] === name) : undefined;
}

/** A rule over every CAPACITY_BLOCK node group and its launch template (undefined when missing). */
function capacityBlockRule(spec: {
  id: string;
  title: string;
  fix: string;
  test: (group: TerraformBlock, template: TerraformBlock | undefined, context: RuleContext) => BlockProblems;
}): Rule {
  return {
    id: spec.id,
    checkovId: "",
    title: spec.title,
    fix: spec.fix,
    check: (context) =>
      capacityBlockGroups(context).flatMap((group) =>
        findingsFor(spec.id, group.address, spec.test(group, launchTemplateOf(context.workspace, group), context)),
      ),
  };
}

function subnetZones(workspace: Workspace, group: TerraformBlock): { zones: Set<string>; unknown: string[] } {
  const zones = new Set<string>();
  const unknown: string[] = [];
  const subnetIds = group.config["subnet_ids"];
  const entries = Array.isArray(subnetIds) ? subnetIds : [subnetIds];
  for (const entry of entries) {
    const target = workspace.target(group.stack, entry ?? null);
    const zone = target?.block.type === "aws_subnet" ? (target.block.config["availability_zone"] ?? target.block.config["availability_zone_id"]) : undefined;
    if (typeof zone === "string" && !zone.includes("${")) zones.add(zone);
    else unknown.push(String(entry));
  }
  return { zones, unknown };
}

function reservationTarget(template: TerraformBlock): JsonObject | undefined {
  const specification = firstBlock(template.config["capacity_reservation_specification"]);
  return firstBlock(specification?.["capacity_reservation_target"]);
}

export const capacityBlockRules: readonly Rule[] = [
  capacityBlockRule({
    id: "BF-CB-001",
    title: "Capacity-block node groups launch with market type capacity-block",
    fix: 'give the node group a launch template with instance_market_options { market_type = "capacity-block" }',
    test: (group, template) => {
      if (!firstBlock(group.config["launch_template"])) return "CAPACITY_BLOCK node group has no launch template";
      if (!template) return "the node group's launch template is not in the synthesized output";
      const market = firstBlock(template.config["instance_market_options"])?.["market_type"];
      return market === "capacity-block"
        ? undefined
        : `launch template ${template.address} has market_type ${JSON.stringify(market ?? "unset")}, expected "capacity-block"`;
    },
  }),
  capacityBlockRule({
    id: "BF-CB-002",
    title: "Capacity-block launch templates target the reservation",
    fix: "set capacity_reservation_specification.capacity_reservation_target.capacity_reservation_id to the block's cr- id",
    test: (_group, template) => {
      if (!template) return undefined; // BF-CB-001 reports the missing template.
      const targetSpec = reservationTarget(template);
      return hasValue(targetSpec?.["capacity_reservation_id"]) || hasValue(targetSpec?.["capacity_reservation_resource_group_arn"])
        ? undefined
        : `launch template ${template.address} has no capacity_reservation_target`;
    },
  }),
  capacityBlockRule({
    id: "BF-CB-003",
    title: "Capacity-block node groups use exactly one instance type",
    fix: "set exactly one instance type: the one the capacity block was bought for",
    test: (group, template) => {
      const types = new Set(stringList(group.config["instance_types"]));
      const fromTemplate = template?.config["instance_type"];
      if (typeof fromTemplate === "string") types.add(fromTemplate);
      return types.size === 1 ? undefined : `expected exactly one instance type, got ${JSON.stringify([...types])}`;
    },
  }),
  capacityBlockRule({
    id: "BF-CB-004",
    title: "Capacity-block node groups use subnets of one availability zone",
    fix: "pass only the subnets in the capacity block's availability zone",
    test: (group, _template, context) => {
      const { zones, unknown } = subnetZones(context.workspace, group);
      if (unknown.length > 0) return `cannot tell the availability zone of subnets ${unknown.join(", ")}`;
      return zones.size === 1 ? undefined : `subnets span ${zones.size} availability zones (${[...zones].sort().join(", ")}), a capacity block lives in one`;
    },
  }),
  capacityBlockRule({
    id: "BF-CB-005",
    title: "Capacity-block node groups leave the desired size to the scheduler",
    fix: 'add lifecycle { ignore_changes = ["scaling_config[0].desired_size"] }',
    test: (group) => {
      const lifecycle = group.config["lifecycle"];
      const ignored = isJsonObject(lifecycle) ? stringList(lifecycle["ignore_changes"]) : [];
      return ignored.some((entry) => DESIRED_SIZE_IGNORES.has(entry))
        ? undefined
        : "scaling_config desired_size is not in lifecycle.ignore_changes, so every apply would resize the group";
    },
  }),
  {
    id: "BF-CB-006",
    checkovId: "",
    title: "Capacity-block purchases need an explicit waiver",
    fix: "buy blocks through the capacity manager's approval flow, or waive this finding with the approval reference",
    check: (context) =>
      context.workspace.resources("aws_ec2_capacity_block_reservation").map((purchase) => ({
        ruleId: "BF-CB-006",
        address: purchase.address,
        message: `applying this purchases capacity block offering ${JSON.stringify(purchase.config["capacity_block_offering_id"] ?? "?")}, which cannot be cancelled or refunded`,
      })),
  },
];
