import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { check, DEFAULT_WAIVERS_FILE, outputIsStale, parseArguments } from "../../../src/policy/cli";
import type { JsonObject } from "../../../src/policy/model";
import { patch, secureStacks, TODAY } from "./fixtures";

const root = mkdtempSync(join(tmpdir(), "blockfleet-check-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const noWaivers = join(root, "no-waivers.json");

/** Writes stacks the way cdktf does: <dir>/stacks/<name>/cdk.tf.json. */
function writeOutput(name: string, stacks: Record<string, JsonObject>): string {
  const dir = join(root, name);
  for (const [stack, json] of Object.entries(stacks)) {
    mkdirSync(join(dir, "stacks", stack), { recursive: true });
    writeFileSync(join(dir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
  }
  return dir;
}

const secureDir = writeOutput("secure", secureStacks());
const brokenDir = (() => {
  const stacks = secureStacks();
  patch(stacks["test-cluster"]!, "resource.aws_eks_cluster.main", { enabled_cluster_log_types: ["api"] });
  return writeOutput("broken", stacks);
})();

describe("npm run check", () => {
  it("exits 0 and says so when every stack passes", async () => {
    const { exitCode, output } = await check({ dir: secureDir, waiversFile: noWaivers, synthesizeWhenStale: false }, TODAY);
    expect(exitCode).toBe(0);
    expect(output).toBe("policy gate passed: 2 stack(s), 0 waived finding(s)");
  });

  it("exits 1 with a table of rule, Checkov id, resource, message and fix for each finding", async () => {
    const { exitCode, output } = await check({ dir: brokenDir, waiversFile: noWaivers, synthesizeWhenStale: false }, TODAY);
    expect(exitCode).toBe(1);
    const lines = output.split("\n");
    expect(lines[0]).toBe("Findings (1):");
    expect(lines[1]).toMatch(/^RULE\s+CHECKOV\s+RESOURCE\s+MESSAGE$/);
    expect(lines[2]).toMatch(
      /^BF-EKS-001\s+CKV_AWS_37\s+test-cluster\/aws_eks_cluster\.main\s+control-plane log types not enabled: audit, authenticator, controllerManager, scheduler$/,
    );
    expect(lines[3]).toMatch(/^\s+fix: set enabled_cluster_log_types = \["api","audit","authenticator","controllerManager","scheduler"\]$/);
    expect(lines.at(-1)).toBe("policy gate FAILED: 1 finding(s) in 2 stack(s), 0 waived");
  });

  it("exits 2 when the folder given does not exist or holds no stacks", async () => {
    const missing = join(root, "missing");
    expect(await check({ dir: missing, waiversFile: noWaivers, synthesizeWhenStale: false }, TODAY)).toEqual({
      exitCode: 2,
      output: `${missing} does not exist`,
    });
    const empty = join(root, "empty");
    mkdirSync(empty);
    expect(await check({ dir: empty, waiversFile: noWaivers, synthesizeWhenStale: false }, TODAY)).toEqual({
      exitCode: 2,
      output: `no cdk.tf.json under ${empty}`,
    });
  });

  it("checks the given folder as it is, even when it is older than the sources", async () => {
    // GIVEN the default mode's staleness test would call the broken output stale
    const sources = join(root, "sources-newer");
    mkdirSync(sources, { recursive: true });
    writeFileSync(join(sources, "main.ts"), "changed after the synth");
    // WHEN a folder is given explicitly  THEN it is checked without synthesizing (exit 1 from its own findings)
    const { exitCode, output } = await check({ dir: brokenDir, waiversFile: noWaivers, synthesizeWhenStale: false }, TODAY, [sources]);
    expect(exitCode).toBe(1);
    expect(output.split("\n")[0]).toBe("Findings (1):");
  });

  describe("staleness of the default output", () => {
    const synthesizedAt = new Date("2026-11-22T10:00:00Z");
    /** An output folder whose manifest was written at synthesizedAt, and a sources folder with one file at `changedAt`. */
    function layout(name: string, changedAt: Date | undefined): { outdir: string; sources: string } {
      const outdir = join(root, name, "cdktf.out");
      const sources = join(root, name, "src", "nested");
      mkdirSync(sources, { recursive: true });
      if (changedAt) {
        writeFileSync(join(sources, "stack.ts"), "export {};");
        utimesSync(join(sources, "stack.ts"), changedAt, changedAt);
      }
      mkdirSync(outdir, { recursive: true });
      writeFileSync(join(outdir, "manifest.json"), "{}");
      utimesSync(join(outdir, "manifest.json"), synthesizedAt, synthesizedAt);
      return { outdir, sources: join(root, name, "src") };
    }

    it("is stale when the output was never synthesized", () => {
      expect(outputIsStale(join(root, "never-synthesized"), [])).toBe(true);
    });

    it("is fresh when every source is older than the last synthesis", () => {
      const { outdir, sources } = layout("fresh", new Date("2026-11-22T09:00:00Z"));
      expect(outputIsStale(outdir, [sources, join(root, "fresh", "absent")])).toBe(false);
    });

    it("is stale when a source, however deep, changed after the last synthesis", () => {
      const { outdir, sources } = layout("stale", new Date("2026-11-22T11:00:00Z"));
      expect(outputIsStale(outdir, [sources])).toBe(true);
    });

    it("is stale when an input file given by itself (the lock file) changed after the last synthesis", () => {
      const { outdir, sources } = layout("stale-lock", new Date("2026-11-22T09:00:00Z"));
      const lockFile = join(root, "stale-lock", "package-lock.json");
      writeFileSync(lockFile, "{}");
      utimesSync(lockFile, new Date("2026-11-22T11:00:00Z"), new Date("2026-11-22T11:00:00Z"));
      expect(outputIsStale(outdir, [sources])).toBe(false);
      expect(outputIsStale(outdir, [sources, lockFile])).toBe(true);
    });
  });

  it("parses the folder and the waiver file, defaulting to cdktf.out (synthesized when missing or stale) and the repo's waivers", () => {
    expect(parseArguments([])).toEqual({ dir: resolve("cdktf.out"), waiversFile: DEFAULT_WAIVERS_FILE, synthesizeWhenStale: true });
    expect(parseArguments(["out", "--waivers", "w.json"])).toEqual({ dir: resolve("out"), waiversFile: resolve("w.json"), synthesizeWhenStale: false });
    expect(DEFAULT_WAIVERS_FILE).toBe(resolve(__dirname, "../../../policy-waivers.json"));
  });

  it("fails on unknown options, a second folder or a missing waiver file argument", () => {
    expect(() => parseArguments(["--fast"])).toThrow("unknown option --fast; usage: npm run check -- [dir] [--waivers file]");
    expect(() => parseArguments(["a", "b"])).toThrow("only one folder can be checked, got ");
    expect(() => parseArguments(["--waivers"])).toThrow("--waivers needs a file");
  });

  it("runs as a command with the documented exit codes", async () => {
    const run = async (...args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)("node", ["scripts/run.cjs", "src/policy/main.ts", ...args], { cwd: resolve(__dirname, "../../..") });
        return { code: 0, text: stdout };
      } catch (error) {
        const failed = error as { code: number; stderr: string };
        return { code: failed.code, text: failed.stderr };
      }
    };
    /** The default mode's synthesis, loaded the way `npm run check` loads it (the scripts/run.cjs bundle), into a scratch folder. */
    const synthesizeFirst = async () => {
      const outdir = join(root, "synthesized", "cdktf.out");
      const script = `const cli = require(require("./scripts/run.cjs").bundle("src/policy/cli.ts"));
        cli.check({ dir: ${JSON.stringify(outdir)}, waiversFile: cli.DEFAULT_WAIVERS_FILE, synthesizeWhenStale: true }, new Date())
        .then((result) => process.stdout.write(result.output.split("\\n")[0]), (error) => { process.stderr.write(error.message); process.exitCode = 2; });`;
      const { stdout } = await promisify(execFile)("node", ["-e", script], { cwd: resolve(__dirname, "../../..") });
      return stdout;
    };
    const [passed, failed, broken, synthesized] = await Promise.all([
      run(secureDir, "--waivers", noWaivers),
      run(brokenDir, "--waivers", noWaivers),
      run(secureDir, "--waivers", writeBadWaivers()),
      synthesizeFirst(),
    ]);
    expect(synthesized).toBe(`synthesized every environment into ${join(root, "synthesized", "cdktf.out")} first (it was missing or older than the sources)`);
    expect(passed).toEqual({ code: 0, text: "policy gate passed: 2 stack(s), 0 waived finding(s)\n" });
    expect(failed.code).toBe(1);
    expect(failed.text).toContain("BF-EKS-001");
    expect(broken.code).toBe(2);
    expect(broken.text).toMatch(/^policy gate error: .*invalid waiver file/);
  }, 30_000);
});

function writeBadWaivers(): string {
  const file = join(root, "bad-waivers.json");
  writeFileSync(file, JSON.stringify({ waivers: [{ rule: "nope" }] }));
  return file;
}
