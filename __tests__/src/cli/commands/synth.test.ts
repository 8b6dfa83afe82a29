import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../src/cli/main";
import { loadEnvironments } from "../../../../src/config/load";
import { type CapturedIo, captureIo } from "../test-io";

const fixtures = path.join(__dirname, "..", "capacity", "fixtures", "environments");
const repository = path.join(__dirname, "..", "..", "..", "..");

describe("blockfleet synth", () => {
  let out: string;
  let io: CapturedIo;
  let code: number;

  beforeAll(async () => {
    out = path.join(mkdtempSync(path.join(tmpdir(), "blockfleet-synth-")), "cdktf.out");
    io = captureIo({ cwd: repository });
    code = await runCli(["synth", "dev", "--out", out], io);
  });

  it("GIVEN the shipped dev environment THEN it writes each stack and prints one line per stack with its resource count", () => {
    const lines = io.out().trimEnd().split("\n");

    expect(code).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/^dev-cluster\s+\d+ resources$/));
    for (const line of lines) {
      const [stack, count] = line.split(/\s+/);
      const json = JSON.parse(readFileSync(path.join(out, "stacks", stack!, "cdk.tf.json"), "utf8")) as { resource?: Record<string, object> };
      const resources = Object.values(json.resource ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
      expect(resources).toBe(Number(count));
    }
  });

  it("GIVEN no terminal THEN no progress is written, only configuration warnings", () => {
    // dev declares a block, so it runs the capacity manager, which warns that nobody subscribes to its alarm topic.
    const lines = io
      .err()
      .split("\n")
      .filter((line) => line !== "");
    expect(lines.filter((line) => !line.startsWith("WARNING dev: "))).toEqual([]);
  });

  it("GIVEN the synthesized output THEN stacks lists every stack after its dependencies, bootstrap first", async () => {
    const listing = captureIo({ cwd: repository });

    expect(await runCli(["stacks", "dev", "--out", out], listing)).toBe(0);
    const names = listing.out().trimEnd().split("\n");
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8")) as { stacks: Record<string, { dependencies: string[] }> };

    expect(names[0]).toBe("dev-bootstrap");
    expect([...names].sort()).toEqual(Object.keys(manifest.stacks).sort());
    names.forEach((name, index) => {
      for (const dependency of manifest.stacks[name]!.dependencies) expect(names.indexOf(dependency)).toBeLessThan(index);
    });
  });

  it("GIVEN --remote-state-only --json THEN the local-state bootstrap stack is left out and each stack shows its S3 region and environment", async () => {
    const listing = captureIo({ cwd: repository });

    await runCli(["stacks", "dev", "--out", out, "--remote-state-only", "--json"], listing);
    const rows = JSON.parse(listing.out()) as { name: string; backend: string; region: string; environment: string }[];

    // The environment comes from the synthesized provider tags, which is what keeps `dev` from matching `dev-eu-*`.
    expect(rows.map((row) => row.environment)).toEqual(rows.map(() => "dev"));

    expect(rows.map((row) => row.name)).not.toContain("dev-bootstrap");
    expect(rows.length).toBeGreaterThan(0);
    const [dev] = await loadEnvironments({ dir: path.join(repository, "environments"), names: ["dev"] });
    expect(rows.every((row) => row.backend === "s3" && row.region === dev?.config.region)).toBe(true);
  });

  it("fails when an environment file is invalid, listing the problem and writing nothing", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "blockfleet-synth-")), "cdktf.out");
    const failing = captureIo({ cwd: path.dirname(fixtures) });

    const exit = await runCli(["synth", "broken", "--dir", "environments", "--out", target], failing);

    expect(exit).toBe(1);
    expect(failing.err()).toBe(
      [
        "blockfleet: 1 problem in environment configuration:",
        '  environments/broken.tfvars: capacity_blocks[0].reservation_id: expected a capacity reservation id: "cr-" followed by 17 hex digits (got "cr-123")',
        "Nothing was written.",
        "",
      ].join("\n"),
    );
    expect(existsSync(target)).toBe(false);
  });
});

describe("blockfleet synth --json", () => {
  it("GIVEN --json THEN it prints each stack's name, environment, resource count and file, and the warnings", async () => {
    const target = path.join(mkdtempSync(path.join(tmpdir(), "blockfleet-synth-json-")), "cdktf.out");
    const io = captureIo({ cwd: repository });

    const code = await runCli(["synth", "dev", "--out", target, "--json"], io);
    const json = JSON.parse(io.out()) as { stacks: { name: string; environment: string; resource_count: number; file: string }[]; warnings: string[] };

    expect(code).toBe(0);
    expect(json.stacks.length).toBeGreaterThan(1);
    for (const stack of json.stacks) {
      expect(stack).toMatchObject({ environment: "dev", resource_count: expect.any(Number) });
      expect(existsSync(path.resolve(repository, stack.file))).toBe(true);
    }
    expect(Array.isArray(json.warnings)).toBe(true);
  });
});

describe("blockfleet validate", () => {
  it("GIVEN valid environments THEN it prints one line each and exits 0", async () => {
    const io = captureIo({ cwd: path.dirname(fixtures) });

    const code = await runCli(["validate", "staging", "--dir", "environments"], io);

    expect(code).toBe(0);
    expect(io.out()).toBe("✓ environments/staging.tfvars: us-east-1, 2 AZs, 3 capacity blocks\n");
  });

  it("GIVEN --json THEN it prints { valid, environments, issues } for scripts", async () => {
    const io = captureIo({ cwd: path.dirname(fixtures) });

    const code = await runCli(["validate", "staging", "--dir", "environments", "--json"], io);

    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toEqual({
      valid: true,
      environments: [
        { name: "staging", file: "environments/staging.tfvars", region: "us-east-1", availability_zones: ["us-east-1a", "us-east-1b"], capacity_blocks: 3 },
      ],
      issues: [],
    });
  });

  it("fails when a file is invalid with --json, listing each issue as JSON on stdout with exit 1", async () => {
    const io = captureIo({ cwd: path.dirname(fixtures) });

    const code = await runCli(["validate", "--dir", "environments", "--json"], io);

    expect(code).toBe(1);
    expect(JSON.parse(io.out())).toMatchObject({
      valid: false,
      issues: [
        {
          file: "environments/broken.tfvars",
          path: "capacity_blocks[0].reservation_id",
          message: expect.stringContaining("expected a capacity reservation id"),
        },
      ],
    });
    expect(io.err()).toBe("");
  });

  it("fails when a file is invalid, with the same message as synth", async () => {
    const io = captureIo({ cwd: path.dirname(fixtures) });

    const code = await runCli(["validate", "--dir", "environments"], io);

    expect(code).toBe(1);
    expect(io.err()).toContain("environments/broken.tfvars: capacity_blocks[0].reservation_id: expected a capacity reservation id");
    expect(io.out()).toBe("");
  });

  it("fails when the folder does not exist", async () => {
    const io = captureIo({ cwd: tmpdir() });

    expect(await runCli(["validate"], io)).toBe(1);
    expect(io.err()).toBe("blockfleet: no environments folder at environments (run from the project root or pass --dir)\n");
  });
});
