import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MAX_FILE_BYTES, MAX_NESTING_DEPTH, parseHclIsolated, SyntaxProblem } from "../../../src/config/guarded-parse";
import { ConfigError, formatConfigIssues, loadEnvironments, parseEnvironment } from "../../../src/config/load";

const run = promisify(execFile);

const VALID = `
region             = "eu-west-1"
account_id         = "111122223333"
vpc_cidr           = "10.1.0.0/16"
availability_zones = ["eu-west-1a", "eu-west-1b"]
cluster = { version = "1.35" }
`;

/** 3,000 levels of `{a = …}`: about 15 KB, the file that wedged the parser. */
const DEEP_HCL = `tags = ${"{a = ".repeat(3000)}1${"}".repeat(3000)}\n`;
/** 5,000 levels of arrays as tfvars JSON, the file that overflowed the stack with no file name. */
const DEEP_JSON = `{"tags": ${"[".repeat(5000)}${"]".repeat(5000)}}`;

function environmentsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "blockfleet-robust-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("loading files that would break a parser", () => {
  it("fails when an HCL file is nested deeper than the limit, naming the file, line and column", async () => {
    // GIVEN a 15 KB HCL file nested 3,000 deep  WHEN parsed  THEN refused before the parser runs, located
    const result = await parseEnvironment("environments/deep.tfvars", DEEP_HCL);
    expect(result.ok).toBe(false);
    const issue = !result.ok ? result.issues[0]! : undefined;
    expect(issue).toMatchObject({
      file: "environments/deep.tfvars",
      path: "",
      line: 1,
      message: `cannot be parsed: nested more than ${MAX_NESTING_DEPTH} levels deep; environment files are limited to ${MAX_NESTING_DEPTH}`,
    });
    expect(formatConfigIssues(!result.ok ? result.issues : [])).toContain(`environments/deep.tfvars:1:${issue!.column}: cannot be parsed: nested more than`);
  });

  it("fails when a JSON file is nested deeper than the limit, naming the file", async () => {
    const result = await parseEnvironment("environments/deep.tfvars.json", DEEP_JSON);
    expect(!result.ok && result.issues).toEqual([
      expect.objectContaining({
        file: "environments/deep.tfvars.json",
        line: 1,
        message: expect.stringMatching(/^cannot be parsed: nested more than 32 levels deep/),
      }),
    ]);
  });

  it("does not count brackets inside strings and comments", async () => {
    // GIVEN deep-looking brackets only in a string value and comments  WHEN parsed  THEN the schema sees the file
    const text = `${VALID}# ${"{".repeat(100)}\n/* ${"[".repeat(100)} */\ntags = { note = "${"(".repeat(100)}" }\n`;
    const result = await parseEnvironment("environments/fine.tfvars", text);
    if (!result.ok) throw new Error(formatConfigIssues(result.issues));
    expect(result.environment.config.tags.note).toBe("(".repeat(100));
  });

  it("fails when a file is larger than the limit, before reading it", async () => {
    const dir = environmentsDir({ "big.tfvars": `${VALID}${"# padding\n".repeat(MAX_FILE_BYTES / 10 + 1)}` });
    const error = await loadEnvironments({ dir }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      new RegExp(`big\\.tfvars: cannot be parsed: file is \\d+ bytes; environment files are limited to ${MAX_FILE_BYTES} bytes`),
    );
  });

  it("keeps parsing the other files after the parser fails on one", async () => {
    // GIVEN the parser fed a file the shape check would refuse (it overflows the Go bridge's stack)
    const failure = await parseHclIsolated("deep.tfvars", `tags = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`).catch((caught: unknown) => caught);
    // THEN that parse fails as a syntax problem, and the next file still parses
    expect(failure).toBeInstanceOf(SyntaxProblem);
    expect(await parseHclIsolated("next.tfvars", 'region = "eu-west-1"\n')).toEqual({ region: "eu-west-1" });
  });

  it("reports the deep files together with the problems of the other files, all at once", async () => {
    const dir = environmentsDir({ "a.tfvars": DEEP_HCL, "b.tfvars.json": DEEP_JSON, "c.tfvars": VALID.replace('"1.35"', '"0.1"') });
    const error = (await loadEnvironments({ dir }).catch((caught: unknown) => caught)) as ConfigError;
    expect(error.issues.map((issue) => `${issue.file.split("/").pop()}:${issue.path}`)).toEqual(["a.tfvars:", "b.tfvars.json:", "c.tfvars:cluster.version"]);
  });
});

describe("HCL syntax errors that point at the line", () => {
  it("fails with the first diagnostic only, as file:line:col, without the parser's absolute paths", async () => {
    // GIVEN a file with several syntax errors, loaded by absolute path
    const dir = environmentsDir({ "dev.tfvars": 'region = "eu-west-1"\nazs = [\n  "a" "b"\n  "c" "d"\n  "e" "f"\n}\n' });
    const error = (await loadEnvironments({ dir }).catch((caught: unknown) => caught)) as ConfigError;
    // THEN one issue, at line 3 column 7, with one sentence
    expect(error.issues).toEqual([
      expect.objectContaining({
        line: 3,
        column: 7,
        message: "cannot be parsed: Missing item separator: Expected a comma to mark the beginning of the next item.",
      }),
    ]);
    expect(error.message.split("\n")[1]).toBe(
      `  ${join(dir, "dev.tfvars")}:3:7: cannot be parsed: Missing item separator: Expected a comma to mark the beginning of the next item.`,
    );
    expect(error.message).not.toContain("parse config");
  });

  it("fails with the line and column of an unterminated string", async () => {
    const result = await parseEnvironment("environments/dev.tfvars", 'region = "eu-west-1"\nvpc_cidr = "10.0.0.0/16\n');
    expect(!result.ok && result.issues).toEqual([
      expect.objectContaining({
        line: 2,
        column: 24,
        message: expect.stringMatching(/^cannot be parsed: Invalid multi-line string: Quoted strings may not be split/),
      }),
    ]);
  });

  it("names the other line of a redefined attribute by number, not by path", async () => {
    const result = await parseEnvironment("/somewhere/else/environments/dev.tfvars", 'region = "eu-west-1"\nregion = "eu-west-2"\n');
    const message = !result.ok ? result.issues[0]!.message : "";
    expect(message).toBe('cannot be parsed: Attribute redefined: The argument "region" was already set at line 1,1-7. Each argument may be set only once.');
  });
});

describe("Terraform expressions in environment values", () => {
  it("fails when a string value holds ${, naming the key", async () => {
    const result = await parseEnvironment("environments/dev.tfvars", `${VALID}tags = { team = "\${file("/etc/passwd")}" }\n`);
    expect(!result.ok && result.issues).toEqual([
      expect.objectContaining({
        path: "tags.team",
        message: '"${" starts a Terraform template expression, which Terraform would evaluate; environment files take literal values only',
      }),
    ]);
  });

  it("fails when a string value holds %{, naming the key", async () => {
    const result = await parseEnvironment("environments/dev.tfvars", `${VALID}tags = { team = "%{ if true }x%{ endif }" }\n`);
    expect(!result.ok && result.issues.map((issue) => [issue.path, issue.message.slice(0, 4)])).toEqual([["tags.team", '"%{"']]);
  });

  it("fails when a map key holds ${, naming the key", async () => {
    const result = await parseEnvironment(
      "environments/dev.tfvars.json",
      JSON.stringify({
        region: "eu-west-1",
        account_id: "111122223333",
        vpc_cidr: "10.1.0.0/16",
        availability_zones: ["eu-west-1a", "eu-west-1b"],
        cluster: { version: "1.35" },
        tags: { "${aws_iam_role.x.arn}": "y" },
      }),
    );
    expect(!result.ok && result.issues[0]).toMatchObject({
      path: 'tags["${aws_iam_role.x.arn}"]',
      message: expect.stringMatching(/^"\$\{" in a key starts a Terraform template expression/),
    });
  });

  it("fails when a value is an HCL reference, which reaches the parser's output as ${…}", async () => {
    const result = await parseEnvironment("environments/dev.tfvars", VALID.replace('"eu-west-1"', "var.region"));
    // THEN region is blamed once, for the expression (not again for not looking like a region)
    expect(!result.ok && result.issues.filter((issue) => issue.path === "region")).toEqual([
      expect.objectContaining({ received: '"${var.region}"', message: expect.stringMatching(/^"\$\{" starts a Terraform template expression/) }),
    ]);
  });
});

describe("synthesis from the command line with a file that would break the parser", () => {
  it("exits non-zero naming the file and writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "blockfleet-deep-synth-"));
    mkdirSync(join(dir, "environments"));
    writeFileSync(join(dir, "environments", "dev.tfvars"), DEEP_HCL);
    const failure = await run(process.execPath, ["--require", "tsx/cjs", join(process.cwd(), "src", "main.ts")], {
      cwd: dir,
      env: { ...process.env, NODE_PATH: join(process.cwd(), "node_modules") },
    }).catch((caught: { code: number; stderr: string }) => caught);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/environments\/dev\.tfvars:1:\d+: cannot be parsed: nested more than 32 levels deep/);
    expect((failure as { stderr: string }).stderr).not.toMatch(/goroutine|runtime\./);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

describe("the blockfleet command with files that would break the parser", () => {
  it("fails validate and synth with exit 1, file:line:col relative to where it ran, and writes nothing", async () => {
    const { runCli } = await import("../../../src/cli/main");
    const { captureIo } = await import("../cli/test-io");
    // GIVEN a deep file and a file with a syntax error
    const dir = mkdtempSync(join(tmpdir(), "blockfleet-cli-robust-"));
    mkdirSync(join(dir, "environments"));
    writeFileSync(join(dir, "environments", "deep.tfvars"), DEEP_HCL);
    writeFileSync(join(dir, "environments", "dev.tfvars"), 'region = "us-east-1"\nzones = [\n  "a" "b"\n]\n');
    for (const command of [["validate"], ["synth", "--out", "out"]]) {
      const io = captureIo({ cwd: dir });
      // WHEN run from the folder above environments/
      const code = await runCli(command, io);
      // THEN exit 1 with one located line per file, and no output folder
      expect(code, command.join(" ")).toBe(1);
      expect(io.err()).toContain("  environments/deep.tfvars:1:168: cannot be parsed: nested more than 32 levels deep");
      expect(io.err()).toContain(
        "  environments/dev.tfvars:3:7: cannot be parsed: Missing item separator: Expected a comma to mark the beginning of the next item.",
      );
      expect(io.err()).not.toContain(dir);
    }
    expect(existsSync(join(dir, "out"))).toBe(false);
  });
});
