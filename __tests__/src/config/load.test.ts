import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, formatConfigIssues, loadEnvironments, parseEnvironment } from "../../../src/config/load";

const VALID_TFVARS = `
region             = "eu-west-1"
account_id         = "111122223333"
vpc_cidr           = "10.1.0.0/16"
availability_zones = ["eu-west-1a", "eu-west-1b"]
cluster = { version = "1.35" }
capacity_blocks = [{
  name = "blk", reservation_id = "cr-00000000000000000", instance_type = "p4d.24xlarge",
  instance_count = 1, availability_zone = "eu-west-1b"
}]
`;

function environmentsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "blockfleet-envs-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("loading environment files", () => {
  it("parses tfvars HCL and applies schema defaults", async () => {
    // GIVEN a tfvars file  WHEN parsed  THEN values and defaults come through typed
    const result = await parseEnvironment("environments/staging.tfvars", VALID_TFVARS);
    if (!result.ok) throw new Error(formatConfigIssues(result.issues));
    expect(result.environment.name).toBe("staging");
    expect(result.environment.config.capacity_blocks[0]).toMatchObject({ ami_type: "AL2023_x86_64_NVIDIA", efa: false, root_volume_gib: 500 });
    expect(result.environment.config.single_nat_gateway).toBe(true);
    expect(result.environment.config.cluster.endpoint_public_access).toBe(false);
  });

  it("parses tfvars JSON the same way", async () => {
    const result = await parseEnvironment(
      "environments/x.tfvars.json",
      JSON.stringify({
        region: "eu-west-1",
        account_id: "111122223333",
        vpc_cidr: "10.1.0.0/16",
        availability_zones: ["eu-west-1a", "eu-west-1b"],
        cluster: { version: "1.35" },
      }),
    );
    expect(result.ok && result.environment.config.capacity_blocks).toEqual([]);
  });

  it("fails when the file is not valid HCL, naming the file", async () => {
    const result = await parseEnvironment("environments/broken.tfvars", 'region = "us-east-1\n');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]).toMatchObject({ file: "environments/broken.tfvars", path: "", message: expect.stringMatching(/^cannot be parsed/) });
  });

  it("fails when the file name is not <env>.tfvars", async () => {
    const result = await parseEnvironment("environments/Prod_1.tfvars", VALID_TFVARS);
    expect(!result.ok && result.issues[0]!.message).toMatch(/named <env>.tfvars/);
  });

  it("reports every issue of every file at once, with file, path and the value given", async () => {
    // GIVEN two broken files  WHEN loading all  THEN one ConfigError lists the issues of both
    const dir = environmentsDir({
      "a.tfvars": VALID_TFVARS.replace('"cr-00000000000000000"', '"cr-1"').replace('"1.35"', '"1.20"'),
      "b.tfvars": VALID_TFVARS.replace('"10.1.0.0/16"', '"10.1.0.0/24"'),
    });
    const error = await loadEnvironments({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((issue) => `${issue.file.split("/").pop()}:${issue.path}`)).toEqual([
      "a.tfvars:cluster.version",
      "a.tfvars:capacity_blocks[0].reservation_id",
      "b.tfvars:vpc_cidr",
    ]);
    expect((error as ConfigError).message).toContain(
      `capacity_blocks[0].reservation_id: expected a capacity reservation id: "cr-" followed by 17 hex digits (got "cr-1")`,
    );
    expect((error as ConfigError).message).toMatch(/^3 problems in environment configuration/);
  });

  it("fails when a requested environment has no file, listing the available ones", async () => {
    const dir = environmentsDir({ "dev.tfvars": VALID_TFVARS });
    await expect(loadEnvironments({ dir, names: ["qa"] })).rejects.toThrow(/qa.tfvars: no such environment; available: dev/);
  });

  it("loads every shipped environment file", async () => {
    const environments = await loadEnvironments({ dir: "environments" });
    expect(environments.map((env) => env.name)).toEqual(expect.arrayContaining(["dev", "prod"]));
    const shipped = environments.map((env) => readFileSync(env.file, "utf8"));
    expect(shipped.every((text) => text.length > 0)).toBe(true);
  });
});
