import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/main";
import { captureIo } from "./test-io";

describe("blockfleet", () => {
  it("GIVEN --help THEN it lists every command and exits 0", async () => {
    const io = captureIo();

    expect(await runCli(["--help"], io)).toBe(0);
    for (const command of ["synth", "validate", "plan-summary", "capacity offerings", "capacity status", "capacity timeline"]) {
      expect(io.out()).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it("GIVEN no arguments THEN it shows the help on stderr (a usage error) and exits 1", async () => {
    const io = captureIo();

    expect(await runCli([], io)).toBe(1);
    expect(io.err()).toContain("Usage: blockfleet <command> [options]");
    expect(io.out()).toBe("");
  });

  it("GIVEN a group word and --help THEN it shows the group's commands on stdout and exits 0", async () => {
    const io = captureIo();

    expect(await runCli(["capacity", "--help"], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: blockfleet capacity <command> \[options\]\n/);
    expect(io.err()).toBe("");
  });

  it("GIVEN a group word alone THEN it shows the group's commands on stderr and exits 1", async () => {
    const io = captureIo();

    expect(await runCli(["capacity"], io)).toBe(1);
    expect(io.out()).toBe("");
    expect(io.err()).toBe(
      [
        "Usage: blockfleet capacity <command> [options]",
        "",
        "Commands:",
        "  capacity offerings    capacity blocks for sale, ranked by price per GPU-hour",
        "  capacity status       the environment's blocks: state, time left, extensions, who uses them",
        "  capacity timeline     blocks, extensions and gaps over the coming weeks, as a drawing and a Mermaid gantt",
        "  capacity spend        what the capacity manager bought in a month, against the monthly budget",
        "",
      ].join("\n"),
    );
  });

  it("GIVEN a command and --help THEN it prints that command's help without running it", async () => {
    const io = captureIo();

    expect(await runCli(["capacity", "status", "--help"], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: blockfleet capacity status --env E/);
  });

  it("fails when the command is unknown, in one line", async () => {
    const io = captureIo();

    expect(await runCli(["deploy", "prod"], io)).toBe(1);
    expect(io.err()).toBe('blockfleet: unknown command "deploy prod"; run `blockfleet --help` for the list\n');
  });

  it("fails when an option is unknown, in one line naming the command, the closest flag and its help, without a stack trace", async () => {
    const io = captureIo();

    expect(await runCli(["plan-summary", "--allow-dangers", "plan.json"], io)).toBe(1);
    expect(io.err()).toBe("blockfleet: plan-summary: Unknown option '--allow-dangers'; did you mean --allow-danger? (see `blockfleet plan-summary --help`)\n");
    expect(io.out()).toBe("");
  });

  it.each([
    [
      ["capacity", "status", "--wdie"],
      "blockfleet: capacity status: Unknown option '--wdie'; did you mean --wide? (see `blockfleet capacity status --help`)\n",
    ],
    [
      ["capacity", "timeline", "--jsn"],
      "blockfleet: capacity timeline: Unknown option '--jsn'; did you mean --json? (see `blockfleet capacity timeline --help`)\n",
    ],
    [["validate", "--deubg"], "blockfleet: validate: Unknown option '--deubg'; did you mean --debug? (see `blockfleet validate --help`)\n"],
    [["synth", "--zzzzzz"], "blockfleet: synth: Unknown option '--zzzzzz' (see `blockfleet synth --help`)\n"],
    [
      ["capacity", "statsu", "--demo"],
      'blockfleet: unknown command "capacity statsu"; did you mean `blockfleet capacity status`? (`blockfleet --help` lists them all)\n',
    ],
    [
      ["capcity", "timeline"],
      'blockfleet: unknown command "capcity timeline"; did you mean `blockfleet capacity timeline`? (`blockfleet --help` lists them all)\n',
    ],
    [["synht"], 'blockfleet: unknown command "synht"; did you mean `blockfleet synth`? (`blockfleet --help` lists them all)\n'],
  ])("fails with a suggestion when %j is mistyped", async (argv, message) => {
    const io = captureIo();

    expect(await runCli(argv, io)).toBe(1);
    expect(io.err()).toBe(message);
  });

  it("GIVEN --version THEN it prints the package's name and version and exits 0", async () => {
    const io = captureIo();
    const manifest = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string };

    expect(await runCli(["--version"], io)).toBe(0);
    expect(io.out()).toBe(`blockfleet ${manifest.version}\n`);
  });

  it("GIVEN an unexpected error THEN it prints one line pointing to --debug, and the stack only with --debug", async () => {
    const failing = () => {
      const io = captureIo();
      let calls = 0;
      const stdout = {
        write: () => {
          calls += 1;
          throw new Error("stdout closed");
        },
      };
      return { io: { ...io, stdout }, calls: () => calls };
    };
    const quiet = failing();
    const verbose = failing();

    expect(await runCli(["validate", "--dir", "__tests__/src/cli/capacity/fixtures/environments", "staging"], quiet.io)).toBe(1);
    expect(await runCli(["validate", "--debug", "--dir", "__tests__/src/cli/capacity/fixtures/environments", "staging"], verbose.io)).toBe(1);

    expect(quiet.io.err()).toBe("blockfleet: unexpected error: stdout closed (rerun with --debug for details)\n");
    expect(verbose.io.err()).toMatch(/^blockfleet: unexpected error: stdout closed\nError: stdout closed\n\s+at /);
  });
});

describe("bin/blockfleet.cjs", () => {
  const bin = path.join(__dirname, "..", "..", "..", "bin", "blockfleet.cjs");
  const fixture = path.join(__dirname, "plan", "fixtures", "capacity-block-purchase.json");

  it("GIVEN a dangerous plan THEN the real process prints the report and exits 2", () => {
    const result = spawnSync(process.execPath, [bin, "plan-summary", fixture], { encoding: "utf8" });

    expect(result.status).toBe(2);
    expect(result.stdout).toContain("### 🛑 DANGER");
    expect(result.stderr).toBe("");
  });

  it("GIVEN a reader that closes the pipe early (| head) THEN it ends quietly with exit 0, no EPIPE trace", async () => {
    // The reader is gone before the command writes: its first write fails with EPIPE.
    const child = spawn(process.execPath, [bin, "capacity", "timeline", "--demo"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", (exitCode) => resolve(exitCode)));

    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("GIVEN --version THEN the real process prints it", () => {
    const result = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^blockfleet \d+\.\d+\.\d+\n$/);
  });

  it("GIVEN a plan on stdin and --allow-danger THEN it exits 0", () => {
    const result = spawnSync(process.execPath, [bin, "plan-summary", "-", "--allow-danger"], { encoding: "utf8", input: readFileSync(fixture) });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("## `stdin`");
  });
});
