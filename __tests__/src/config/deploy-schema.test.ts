/** Schema rules a first deploy depends on: a state bucket name of the environment's own, who reaches the API server. */
import { describe, expect, it } from "vitest";
import { parseEnvironment } from "../../../src/config/load";
import { environmentSchema } from "../../../src/config/schema";
import { expectRejected, withCluster } from "../../support/config-input";
import { baseEnvironmentInput, issuesOf } from "../../support/synth";

describe("state bucket", () => {
  it("fails when the file has neither account_id nor state_bucket, saying what to add", async () => {
    // GIVEN a file without an account id  THEN the error names account_id and both ways out
    const { account_id: _omitted, ...input } = baseEnvironmentInput();
    await expectRejected(
      input,
      "account_id",
      /required to give the state bucket a globally unique name .*add account_id = "<12-digit AWS account id>", or .*state_bucket = /,
    );
  });

  it("accepts a file that names its bucket instead", async () => {
    const { account_id: _omitted, ...input } = baseEnvironmentInput();
    expect(await issuesOf({ ...input, state_bucket: "acme-terraform-state" })).toEqual([]);
  });
});

describe("cluster.grant_deployer_admin", () => {
  it("is off unless the file turns it on", () => {
    expect(environmentSchema.parse(baseEnvironmentInput()).cluster.grant_deployer_admin).toBe(false);
    expect(environmentSchema.parse(withCluster({ grant_deployer_admin: true })).cluster.grant_deployer_admin).toBe(true);
  });
});

describe("cluster.api_access", () => {
  it("admits no one by default", () => {
    expect(environmentSchema.parse(baseEnvironmentInput()).cluster.api_access).toEqual({ security_group_ids: [], cidrs: [] });
  });

  it("fails when a security group id is not sg- followed by 8 or 17 hex digits", async () => {
    await expectRejected(
      withCluster({ api_access: { security_group_ids: ["sg-12"] } }),
      "cluster.api_access.security_group_ids[0]",
      /expected a security group id/,
    );
  });

  it("fails when a CIDR is not an IPv4 network", async () => {
    await expectRejected(withCluster({ api_access: { cidrs: ["10.0.0.1/16"] } }), "cluster.api_access.cidrs[0]", /expected an IPv4 network in CIDR notation/);
  });

  it("fails when it holds an unknown key", async () => {
    const issues = await issuesOf(withCluster({ api_access: { security_groups: ["sg-0123456789abcdef0"] } }));
    expect(issues.map((issue) => issue.path)).toEqual(["cluster.api_access.security_groups"]);
  });
});

describe("derived state bucket name", () => {
  it("fails when environment, account and region make it longer than S3's 63 characters, naming the longest environment name", async () => {
    // GIVEN a 16-character environment name in a region with a long name
    const input = {
      ...baseEnvironmentInput(),
      region: "eu-northwestern-1",
      availability_zones: ["eu-northwestern-1a", "eu-northwestern-1b"],
      capacity_blocks: [],
    };
    const result = await parseEnvironment("environments/abcdefghijklmnop.tfvars.json", JSON.stringify(input));
    // THEN the file is refused before anything is written, the message naming the bucket and what fits
    expect(!result.ok && result.issues.map((issue) => issue.message)).toEqual([
      expect.stringMatching(
        /aws_s3_bucket\.bucket "blockfleet-tfstate-abcdefghijklmnop-123456789012-eu-northwestern-1" 66 characters.*63.*longest environment name is 13 characters/,
      ),
    ]);
  });

  it("fits with the longest environment name in every region name of today's length", async () => {
    const input = { ...baseEnvironmentInput(), region: "ap-southeast-3", availability_zones: ["ap-southeast-3a", "ap-southeast-3b"], capacity_blocks: [] };
    const result = await parseEnvironment("environments/abcdefghijklmnop.tfvars.json", JSON.stringify(input));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
