/**
 * Every shipped environment, synthesized: each capacity block has exactly one consumer, node groups start at the
 * block's size, and the capacity manager (on wherever blocks are declared) gets every block through the declared
 * parameter with its node group linked.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type LoadedEnvironment, loadEnvironments } from "../../src/config/load";
import { CAPACITY_CONSUMER_TAG, KARPENTER_CONSUMER_TAG_VALUE } from "../../src/lib/tags";
import { type Synthesized, synthesize } from "../support/synth";

// biome-ignore lint/suspicious/noExplicitAny: synthesized JSON walked by key in assertions; the assertions check the values
type Json = Record<string, any>;

let environments: readonly LoadedEnvironment[];
let out: Synthesized;
beforeAll(async () => {
  environments = await loadEnvironments({ dir: "environments" });
  out = await synthesize(environments);
});

const nodeGroupIdOf = (env: string, block: string): string | undefined =>
  out.resources(`${env}-cluster`, "aws_eks_node_group").find(([id]) => id.startsWith(`capacity-block-${block}_`))?.[0];

describe("capacity block consumers in every shipped environment", () => {
  it("ships environments with capacity blocks (so the assertions below assert something)", () => {
    expect(environments.map((env) => env.name)).toEqual(expect.arrayContaining(["dev", "prod"]));
    expect(environments.every((env) => env.config.capacity_blocks.length > 0)).toBe(true);
  });

  it("creates each node-group block's group at desired size = instance count (min 0, max the count), desired size ignored afterwards", () => {
    for (const { name, config } of environments) {
      for (const block of config.capacity_blocks.filter((candidate) => candidate.consumer === "node_group")) {
        const group = out.resource(`${name}-cluster`, "aws_eks_node_group", `capacity-block-${block.name}_`) as Json;
        expect(group.scaling_config, `${name}/${block.name}`).toEqual({
          min_size: 0,
          desired_size: block.desired_size ?? block.instance_count,
          max_size: block.instance_count,
        });
        expect(group.lifecycle.ignore_changes).toEqual(["scaling_config[0].desired_size"]);
      }
      for (const block of config.capacity_blocks.filter((candidate) => candidate.consumer === "karpenter")) {
        expect(nodeGroupIdOf(name, block.name), `${name}/${block.name}`).toBeUndefined();
      }
    }
  });

  it("lets no Karpenter selector term select a node-group block: ids are Karpenter blocks only, every tag term needs the Karpenter consumer tag", () => {
    for (const { name, config } of environments) {
      if (!config.karpenter.enabled) continue;
      const nodeClasses = out
        .resources(`${name}-karpenter-pools`, "kubernetes_manifest")
        .map(([, resource]) => (resource as Json).manifest)
        .filter((m: Json) => m.kind === "EC2NodeClass");
      const terms: Json[] = nodeClasses.flatMap((m: Json) => m.spec.capacityReservationSelectorTerms ?? []);
      const nodeGroupIds = new Set(config.capacity_blocks.filter((block) => block.consumer === "node_group").map((block) => block.reservation_id));
      for (const term of terms) {
        if (term.id !== undefined) expect(nodeGroupIds.has(term.id), `${name}: ${term.id}`).toBe(false);
        if (term.tags !== undefined) expect(term.tags[CAPACITY_CONSUMER_TAG]).toBe(KARPENTER_CONSUMER_TAG_VALUE);
      }
    }
  });

  it("runs the capacity manager wherever blocks are declared, and hands it every block with its node group and policy", () => {
    for (const { name, config } of environments) {
      const reconcile = out.resource(`${name}-capacity-manager`, "aws_lambda_function", "reconcile") as Json;
      const parameterName = `/blockfleet/${name}/capacity-manager/declared-blocks`;
      expect(reconcile.environment.variables.DECLARED_BLOCKS_PARAMETER).toBe(parameterName);
      const parameter = out.resource(`${name}-cluster`, "aws_ssm_parameter", "declared-capacity-blocks") as Json;
      expect(parameter.name).toBe(parameterName);
      const document = JSON.parse(parameter.value);
      expect(document.blocks.map((block: Json) => block.reservationId)).toEqual(config.capacity_blocks.map((block) => block.reservation_id));
      for (const block of config.capacity_blocks) {
        const declared = document.blocks.find((candidate: Json) => candidate.name === block.name);
        expect(declared.policy).toEqual({
          extendBeforeHours: block.extend.before_hours,
          extendByHours: block.extend.by_hours,
          requireApproval: block.extend.require_approval,
          ...(block.extend.max_upfront_fee_usd !== undefined ? { maxUpfrontFeeUsd: block.extend.max_upfront_fee_usd } : {}),
        });
        const groupId = nodeGroupIdOf(name, block.name);
        expect(declared.nodeGroup).toEqual(
          groupId
            ? {
                clusterName: `blockfleet-${name}`,
                nodegroupName: `\${aws_eks_node_group.${groupId}.node_group_name}`,
                desiredSize: block.desired_size ?? block.instance_count,
              }
            : undefined,
        );
      }
    }
  });
});
