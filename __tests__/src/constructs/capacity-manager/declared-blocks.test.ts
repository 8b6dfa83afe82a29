import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  type DeclaredBlockInput,
  DeclaredBlocksParameter,
  SSM_ADVANCED_VALUE_LIMIT,
  SSM_STANDARD_VALUE_LIMIT,
} from "../../../../src/constructs/capacity-manager/declared-blocks";

// SSM Parameter Store: 4,096 characters for Standard values, 8,192 for Advanced (the service's ValidationException:
// "Standard tier parameters support a maximum parameter value of 4096 characters"); the AWS provider at v6.25.0
// (internal/service/ssm/parameter.go) accepts tier Standard | Advanced | Intelligent-Tiering and checks no length.
const block = (index: number): DeclaredBlockInput => ({
  name: `block-with-a-rather-long-name-${String(index).padStart(3, "0")}`,
  reservationId: `cr-${index.toString(16).padStart(17, "0")}`,
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  instanceCount: 64,
  policy: { extendBeforeHours: 1344, extendByHours: 4368, requireApproval: true, maxUpfrontFeeUsd: 99_999_999 },
  nodeGroup: {
    clusterName: "blockfleet-an-environment-with-a-long-name",
    nodegroupName: "${aws_eks_node_group.x.node_group_name}",
    desiredSize: 64,
    nameLengthAtMost: 63,
  },
});

function synth(count: number): { tier: string; value: string } {
  const stack = Testing.synthScope((scope) => {
    new DeclaredBlocksParameter(scope, "declared", {
      parameterName: "/blockfleet/test/capacity-manager/declared-blocks",
      blocks: Array.from({ length: count }, (_, i) => block(i)),
    });
  });
  const parameters = JSON.parse(stack).resource.aws_ssm_parameter as Record<string, { tier: string; value: string }>;
  return Object.values(parameters)[0]!;
}

describe("DeclaredBlocksParameter", () => {
  it("stays in the Standard tier while the longest value fits 4 KB", () => {
    expect(synth(1).tier).toBe("Standard");
  });

  it("moves to the Advanced tier when the longest value (every node group name at its longest) passes 4 KB", () => {
    // Each block above is about 400 characters at its longest.
    const { tier, value } = synth(Math.ceil(SSM_STANDARD_VALUE_LIMIT / 400) + 1);
    expect(JSON.parse(value).blocks).toHaveLength(12);
    expect(tier).toBe("Advanced");
  });

  it("fails when even the Advanced tier cannot hold the blocks, naming the limit", () => {
    expect(() => synth(40)).toThrow(new RegExp(`beyond SSM's ${SSM_ADVANCED_VALUE_LIMIT} \\(Advanced tier\\)`));
  });
});
