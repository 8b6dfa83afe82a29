/**
 * The capacity manager against the rest of every shipped environment, as synthesized: the node groups the cluster
 * stack creates carry the tag reconcile's scaling grant asks for, the declared-blocks parameter and the purchase
 * grant name the same reservations, and the switch between tracking mode and extension purchasing holds in IAM.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type LoadedEnvironment, loadEnvironments } from "../../src/config/load";
import { CAPACITY_BLOCK_NODE_GROUP_TAG, RESERVATION_ENVIRONMENT_TAG } from "../../src/constructs/capacity-manager";
import { RoleSimulator } from "../support/iam-simulation";
import { type Synthesized, synthesize } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

let environments: readonly LoadedEnvironment[];
let out: Synthesized;
let simulator: RoleSimulator;
beforeAll(async () => {
  environments = await loadEnvironments({ dir: "environments" });
  out = await synthesize(environments);
  simulator = new RoleSimulator(out);
});

const reconcileRole = (env: string) => simulator.role(`${env}-capacity-manager`, `blockfleet-${env}-capacity-manager-reconcile`);
const tagContext = (tags: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(tags ?? {}).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
const declaredDocument = (env: string): { blocks: Json[] } =>
  JSON.parse((out.resource(`${env}-cluster`, "aws_ssm_parameter", "declared-capacity-blocks") as Json).value);

describe("capacity manager integration in every shipped environment", () => {
  it("ships dev in tracking mode and prod (the reference setup) buying extensions", () => {
    const mode = Object.fromEntries(environments.map(({ name, config }) => [name, config.capacity_manager?.extensions_enabled]));
    expect(mode).toMatchObject({ dev: false, prod: true });
    for (const { name, config } of environments) {
      const reconcile = out.resource(`${name}-capacity-manager`, "aws_lambda_function", "reconcile") as Json;
      expect(reconcile.environment.variables.EXTENSIONS_ENABLED, name).toBe(String(config.capacity_manager?.extensions_enabled));
    }
  });

  it("tags every capacity-block node group (the node group resource itself) with its reservation, and the scaling grant matches that tag", async () => {
    for (const { name, config } of environments) {
      const groups = out.resources(`${name}-cluster`, "aws_eks_node_group") as Array<[string, Json]>;
      const blockGroups = groups.filter(([, group]) => group.capacity_type === "CAPACITY_BLOCK");
      const nodeGroupBlocks = config.capacity_blocks.filter((block) => block.consumer === "node_group");
      expect(blockGroups, name).toHaveLength(nodeGroupBlocks.length);
      expect(blockGroups.map(([, group]) => group.tags?.[CAPACITY_BLOCK_NODE_GROUP_TAG]).sort()).toEqual(
        nodeGroupBlocks.map((block) => block.reservation_id).sort(),
      );
      const arnOf = (group: Json) =>
        `arn:aws:eks:${config.region}:${config.account_id}:nodegroup/blockfleet-${name}/${group.node_group_name_prefix ?? group.node_group_name}abc/0ec8f9a2-1b3c-4d5e-8f90-123456789abc`;
      for (const [id, group] of groups) {
        const expected = group.capacity_type === "CAPACITY_BLOCK" ? "Allowed" : "ImplicitlyDenied";
        expect(await simulator.decide(reconcileRole(name), "eks:UpdateNodegroupConfig", arnOf(group), tagContext(group.tags)), `${name}/${id}`).toBe(expected);
      }
      // The group each declared block links is one of those tagged groups, tagged with that block's reservation.
      for (const declared of declaredDocument(name).blocks.filter((block) => block.nodeGroup !== undefined)) {
        const groupId = /^\$\{aws_eks_node_group\.([^.]+)\.node_group_name\}$/.exec(declared.nodeGroup.nodegroupName)?.[1];
        const group = groups.find(([candidate]) => candidate === groupId)?.[1];
        expect(group?.tags?.[CAPACITY_BLOCK_NODE_GROUP_TAG], `${name}/${declared.name}`).toBe(declared.reservationId);
      }
    }
  });

  it("lets reconcile extend exactly the reservations of the declared-blocks parameter (and this environment's tagged ones) when purchasing is on, none in tracking mode", async () => {
    for (const { name, config } of environments) {
      const declaredIds = declaredDocument(name).blocks.map((block) => block.reservationId as string);
      expect(declaredIds.sort()).toEqual(config.capacity_blocks.map((block) => block.reservation_id).sort());
      const arn = (id: string) => `arn:aws:ec2:${config.region}:${config.account_id}:capacity-reservation/${id}`;
      const expected = config.capacity_manager?.extensions_enabled ? "Allowed" : "ImplicitlyDenied";
      for (const id of declaredIds) {
        expect(await simulator.decide(reconcileRole(name), "ec2:PurchaseCapacityBlockExtension", arn(id)), `${name}/${id}`).toBe(expected);
      }
      const undeclared = arn("cr-0aaaaaaaaaaaaaaaa");
      expect(await simulator.decide(reconcileRole(name), "ec2:PurchaseCapacityBlockExtension", undeclared), `${name} undeclared`).toBe("ImplicitlyDenied");
      const own = { [`aws:ResourceTag/${RESERVATION_ENVIRONMENT_TAG}`]: name };
      expect(await simulator.decide(reconcileRole(name), "ec2:PurchaseCapacityBlockExtension", undeclared, own), `${name} tagged`).toBe(expected);
      const other = { [`aws:ResourceTag/${RESERVATION_ENVIRONMENT_TAG}`]: name === "prod" ? "dev" : "prod" };
      expect(await simulator.decide(reconcileRole(name), "ec2:PurchaseCapacityBlockExtension", undeclared, other), `${name} other env`).toBe(
        "ImplicitlyDenied",
      );
    }
  });

  it("lets reconcile read its records, its journal and the declared-blocks parameter under the tables' resource policies and the key policy", async () => {
    for (const { name } of environments) {
      const stack = `${name}-capacity-manager`;
      const role = reconcileRole(name);
      const principal = { "aws:PrincipalArn": role.arn, "aws:PrincipalIsAWSService": "false" };
      const table = simulator.arn(stack, "aws_dynamodb_table", "records");
      const journal = simulator.arn(stack, "aws_dynamodb_table", "journal");
      const tablePolicy = simulator.resourcePolicy(stack, "aws_dynamodb_resource_policy", "records_");
      const journalPolicy = simulator.resourcePolicy(stack, "aws_dynamodb_resource_policy", "journal_");
      for (const action of ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem"]) {
        expect(await simulator.decide(role, action, table, principal, tablePolicy), `${name} records ${action}`).toBe("Allowed");
      }
      for (const action of ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"]) {
        expect(await simulator.decide(role, action, journal, principal, journalPolicy), `${name} journal ${action}`).toBe("Allowed");
      }
      const key = simulator.arn(stack, "aws_kms_key", "manager_key");
      const keyPolicy = simulator.resourcePolicy(stack, "aws_kms_key", "manager_key");
      const viaDynamo = { ...principal, "kms:ViaService": `dynamodb.${simulator.region(stack)}.amazonaws.com` };
      for (const action of ["kms:Decrypt", "kms:GenerateDataKey"]) {
        expect(await simulator.decide(role, action, key, viaDynamo, keyPolicy), `${name} ${action}`).toBe("Allowed");
      }
      // The parameter is a String (no KMS key to be granted), named as reconcile's grant names it.
      const parameter = out.resource(`${name}-cluster`, "aws_ssm_parameter", "declared-capacity-blocks") as Json;
      expect(parameter.type).toBe("String");
      expect(parameter.key_id).toBeUndefined();
      const parameterArn = `arn:aws:ssm:${simulator.region(stack)}:${simulator.account(stack)}:parameter${parameter.name}`;
      expect(await simulator.decide(role, "ssm:GetParameter", parameterArn), `${name} parameter`).toBe("Allowed");
    }
  });
});
