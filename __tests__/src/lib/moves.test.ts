import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { describe, expect, it } from "vitest";
import { addressAt, movedFrom, movedToInstance } from "../../../src/lib/moves";

const stack = () => new TerraformStack(Testing.app(), "moves");

describe("addressAt", () => {
  it("computes the address cdktf gives a resource at that construct path", () => {
    // GIVEN a resource two levels down  THEN addressAt of its path is its synthesized address
    const scope = stack();
    const parent = new Construct(scope, "infrastructure");
    const role = new IamRole(new Construct(parent, "controller-role"), "role", { assumeRolePolicy: "{}" });
    expect(addressAt("aws_iam_role", parent, "controller-role", "role")).toBe(`aws_iam_role.${role.friendlyUniqueId}`);
  });

  it("matches what 0.1 synthesized for the Karpenter controller role (aws_iam_role.infrastructure_controller-role_4B5AC9B6)", () => {
    const scope = stack();
    expect(addressAt("aws_iam_role", new Construct(scope, "infrastructure"), "controller-role")).toBe("aws_iam_role.infrastructure_controller-role_4B5AC9B6");
  });

  it("fails when no path is given", () => {
    expect(() => addressAt("aws_iam_role", stack())).toThrow('addressAt: path must name the resource\'s construct id below "moves", got []');
  });
});

describe("moves in the synthesized JSON", () => {
  it("ship moved blocks from the previous address, to the resource or to one instance of a counted one", () => {
    const scope = stack();
    const role = new IamRole(scope, "role", { assumeRolePolicy: "{}" });
    const queue = new SqsQueue(scope, "queue", { count: 1 });
    movedFrom(role, "aws_iam_role.old_role_ABCDEF12");
    movedToInstance(queue, "aws_sqs_queue.old_queue_ABCDEF12", 0);
    const json = JSON.parse(Testing.synth(scope)) as { moved: unknown[] };
    expect(json.moved).toEqual([
      { from: "aws_iam_role.old_role_ABCDEF12", to: "aws_iam_role.role" },
      { from: "aws_sqs_queue.old_queue_ABCDEF12", to: "aws_sqs_queue.queue[0]" },
    ]);
  });

  it("fails when the previous address is of another resource type", () => {
    const scope = stack();
    const role = new IamRole(scope, "role", { assumeRolePolicy: "{}" });
    expect(() => movedFrom(role, "aws_iam_policy.old")).toThrow(
      'moved: "aws_iam_policy.old" is not of type aws_iam_role; Terraform moves state only between resources of one type',
    );
    expect(() => movedToInstance(role, "aws_iam_policy.old", 0)).toThrow('moved: "aws_iam_policy.old" is not of type aws_iam_role');
  });
});
