import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/load";
import { synthesizeEnvironments } from "../../src/synth";

const run = promisify(execFile);

function workspace(): { dir: string; environmentsDir: string; outdir: string } {
  const dir = mkdtempSync(join(tmpdir(), "blockfleet-synth-"));
  const environmentsDir = join(dir, "environments");
  cpSync("environments", environmentsDir, { recursive: true });
  return { dir, environmentsDir, outdir: join(dir, "cdktf.out") };
}

function readStacks(outdir: string): Record<string, string> {
  const stacksDir = join(outdir, "stacks");
  return Object.fromEntries(
    readdirSync(stacksDir)
      .sort()
      .map((name) => [name, readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")]),
  );
}

describe("synthesis", () => {
  it("synthesizes every shipped environment, each with a bootstrap and a cluster stack", async () => {
    // GIVEN the shipped environment files  WHEN all are synthesized  THEN each yields its stacks and resources
    const { environmentsDir, outdir } = workspace();
    const result = await synthesizeEnvironments({ environmentsDir, outdir });
    const shipped = readdirSync("environments").filter((file) => file.endsWith(".tfvars") || file.endsWith(".tfvars.json"));
    expect(result.environments).toHaveLength(shipped.length);
    for (const environment of result.environments) {
      const stacks = result.stacks.filter((stack) => stack.environment === environment.name).map((stack) => stack.name);
      expect(stacks).toEqual(expect.arrayContaining([`${environment.name}-bootstrap`, `${environment.name}-cluster`]));
    }
    expect(result.stacks.every((stack) => stack.resourceCount > 0 && existsSync(stack.file))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks).sort()).toEqual(result.stacks.map((stack) => stack.name).sort());
  });

  it("is deterministic: two runs give byte-identical JSON", async () => {
    const first = workspace();
    const second = workspace();
    await synthesizeEnvironments({ environmentsDir: first.environmentsDir, outdir: first.outdir });
    await synthesizeEnvironments({ environmentsDir: second.environmentsDir, outdir: second.outdir });
    expect(readStacks(first.outdir)).toEqual(readStacks(second.outdir));
  });

  it("replaces only the named environment's stacks and keeps the others", async () => {
    const { environmentsDir, outdir } = workspace();
    await synthesizeEnvironments({ environmentsDir, outdir });
    const before = readStacks(outdir);
    const result = await synthesizeEnvironments({ environmentsDir, outdir, names: ["dev"] });
    expect(result.stacks.every((stack) => stack.environment === "dev")).toBe(true);
    expect(readStacks(outdir)).toEqual(before);
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toEqual(expect.arrayContaining(Object.keys(before)));
  });

  it("fails when any environment is invalid, writing nothing and leaving an existing output untouched", async () => {
    // GIVEN a previous good output and one broken environment file
    const { dir, environmentsDir, outdir } = workspace();
    await synthesizeEnvironments({ environmentsDir, outdir });
    const before = readStacks(outdir);
    writeFileSync(join(environmentsDir, "broken.tfvars"), 'region = "us-east-1"\nvpc_cidr = "nope"\n');
    // WHEN synthesizing everything
    const error = await synthesizeEnvironments({ environmentsDir, outdir }).catch((caught: unknown) => caught);
    // THEN the error names the file and fields, the output is as it was, and no staging folder is left behind
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/broken\.tfvars: vpc_cidr: expected an IPv4 network/);
    expect((error as ConfigError).message).toMatch(/broken\.tfvars: cluster: required/);
    expect(readStacks(outdir)).toEqual(before);
    expect(readdirSync(dir).filter((entry) => entry.startsWith(".cdktf-tmp"))).toEqual([]);
  });

  it("exits non-zero from the command line with every problem and creates no output", async () => {
    const { dir } = workspace();
    writeFileSync(
      join(dir, "environments", "dev.tfvars"),
      'region = "us-east-1"\nvpc_cidr = "10.0.0.0/16"\navailability_zones = ["us-east-1a", "us-east-1b"]\ncluster = { version = "9.99" }\n',
    );
    const entry = join(process.cwd(), "src", "main.ts");
    const failure = await run(process.execPath, ["--require", "tsx/cjs", entry], {
      cwd: dir,
      env: { ...process.env, NODE_PATH: join(process.cwd(), "node_modules") },
    }).catch((caught: { code: number; stderr: string }) => caught);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/dev\.tfvars: cluster\.version: expected a Kubernetes version EKS supports/);
    expect((failure as { stderr: string }).stderr).toMatch(/Nothing was written/);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("synthesis of environments whose names share a prefix", () => {
  it("assigns each stack to its own environment, not to one whose name is a prefix of it", async () => {
    // GIVEN environments "dev" and "dev-eu"  WHEN both are synthesized  THEN "dev-eu-*" stacks belong to "dev-eu"
    const { environmentsDir, outdir } = workspace();
    cpSync(join(environmentsDir, "dev.tfvars"), join(environmentsDir, "dev-eu.tfvars"));
    const result = await synthesizeEnvironments({ environmentsDir, outdir, names: ["dev", "dev-eu"] });
    const owner = Object.fromEntries(result.stacks.map((stack) => [stack.name, stack.environment]));
    expect(owner["dev-eu-cluster"]).toBe("dev-eu");
    expect(owner["dev-cluster"]).toBe("dev");
  });
});
