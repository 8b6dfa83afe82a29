import { GetParameterCommand, ParameterNotFound, SSMClient, ThrottlingException } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { DeclaredBlocksInvalidError, SsmDeclaredBlocks } from "../../../../lambdas/capacity-manager/adapters/ssm-declared-blocks";

const NAME = "/blockfleet/prod/capacity-manager/declared-blocks";
const ssm = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
const ssmMock = mockClient(ssm);
afterEach(() => ssmMock.reset());

const BLOCK = {
  name: "p5-training",
  reservationId: "cr-0123456789abcdef0",
  instanceType: "p5.48xlarge",
  availabilityZone: "us-east-1a",
  instanceCount: 4,
  nodeGroup: { clusterName: "blockfleet-prod", nodegroupName: "p5-training-20261119100000000000000001", desiredSize: 4 },
  policy: { extendBeforeHours: 24, extendByHours: 24, requireApproval: true },
};
const answer = (value: unknown) =>
  ssmMock.on(GetParameterCommand, { Name: NAME }).resolves({ Parameter: { Name: NAME, Value: typeof value === "string" ? value : JSON.stringify(value) } });

describe("SsmDeclaredBlocks", () => {
  const source = new SsmDeclaredBlocks(ssm, NAME);

  it("GIVEN the document Terraform wrote THEN it reads the declared blocks", async () => {
    answer({ version: 1, blocks: [BLOCK] });
    expect(await source.read()).toEqual([BLOCK]);
  });

  it("GIVEN no parameter (not deployed yet) THEN nothing is known: undefined, not an empty set", async () => {
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
    expect(await source.read()).toBeUndefined();
  });

  it("GIVEN SSM throttles THEN the error reaches the reconciler (which changes nothing on doubt)", async () => {
    ssmMock.on(GetParameterCommand).rejects(new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: {} }));
    await expect(source.read()).rejects.toThrow("Rate exceeded");
  });

  it("fails when the value is not JSON", async () => {
    answer("{not json");
    await expect(source.read()).rejects.toThrow(DeclaredBlocksInvalidError);
  });

  it("fails when the document has another version", async () => {
    answer({ version: 2, blocks: [] });
    await expect(source.read()).rejects.toThrow(/version: /);
  });

  it("fails when a block's policy breaks the API's rules (lead under 13 h)", async () => {
    answer({ version: 1, blocks: [{ ...BLOCK, policy: { ...BLOCK.policy, extendBeforeHours: 12 } }] });
    await expect(source.read()).rejects.toThrow(/blocks\.0\.policy\.extendBeforeHours/);
  });
});
