import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../lib/paths";
import { CliError, EXIT, UnknownWordError } from "./errors";
import {
  CAPACITY_OFFERINGS_HELP,
  CAPACITY_SPEND_HELP,
  CAPACITY_STATUS_HELP,
  CAPACITY_TIMELINE_HELP,
  PLAN_SUMMARY_HELP,
  STACKS_HELP,
  SYNTH_HELP,
  VALIDATE_HELP,
} from "./help";
import type { CliIo } from "./io";

type Run = (argv: readonly string[], io: CliIo) => Promise<number>;

interface Command {
  /** Words that select it, e.g. ["capacity", "offerings"]. */
  readonly words: readonly string[];
  readonly summary: string;
  readonly help: string;
  run: Run;
}

/**
 * A command whose module is loaded only when it runs, so `blockfleet --help` or `plan-summary` don't pay a second
 * and a half for cdktf, the stacks and the AWS SDK. The import() must name its module literally: esbuild
 * (scripts/run.cjs) then bundles it as a module that runs on first import, and vitest imports it as usual.
 */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Run): Run {
  return async (argv, io) => pick(await load())(argv, io);
}

const COMMANDS: readonly Command[] = [
  {
    words: ["synth"],
    summary: "validate environments and synthesize their stacks into cdktf.out",
    help: SYNTH_HELP,
    run: lazy(
      () => import("./commands/synth"),
      (module) => module.runSynth,
    ),
  },
  {
    words: ["validate"],
    summary: "check environment files against the schema (fast, no synthesis)",
    help: VALIDATE_HELP,
    run: lazy(
      () => import("./commands/validate"),
      (module) => module.runValidate,
    ),
  },
  {
    words: ["stacks"],
    summary: "synthesized stacks in dependency order, for CI",
    help: STACKS_HELP,
    run: lazy(
      () => import("./commands/stacks"),
      (module) => module.runStacks,
    ),
  },
  {
    words: ["plan-summary"],
    summary: "Markdown review of `terraform show -json` plans with a DANGER section",
    help: PLAN_SUMMARY_HELP,
    run: lazy(
      () => import("./commands/plan-summary"),
      (module) => module.runPlanSummary,
    ),
  },
  {
    words: ["capacity", "offerings"],
    summary: "capacity blocks for sale, ranked by price per GPU-hour",
    help: CAPACITY_OFFERINGS_HELP,
    run: lazy(
      () => import("./commands/capacity-offerings"),
      (module) => module.runCapacityOfferings,
    ),
  },
  {
    words: ["capacity", "status"],
    summary: "the environment's blocks: state, time left, extensions, who uses them",
    help: CAPACITY_STATUS_HELP,
    run: lazy(
      () => import("./commands/capacity-status"),
      (module) => module.runCapacityStatus,
    ),
  },
  {
    words: ["capacity", "timeline"],
    summary: "blocks, extensions and gaps over the coming weeks, as a drawing and a Mermaid gantt",
    help: CAPACITY_TIMELINE_HELP,
    run: lazy(
      () => import("./commands/capacity-timeline"),
      (module) => module.runCapacityTimeline,
    ),
  },
  {
    words: ["capacity", "spend"],
    summary: "what the capacity manager bought in a month, against the monthly budget",
    help: CAPACITY_SPEND_HELP,
    run: lazy(
      () => import("./commands/capacity-spend"),
      (module) => module.runCapacitySpend,
    ),
  },
];

function commandList(commands: readonly Command[]): string {
  return commands.map((command) => `  ${command.words.join(" ").padEnd(22)}${command.summary}`).join("\n");
}

export const MAIN_HELP = `Usage: blockfleet <command> [options]

GPU Kubernetes on AWS around EC2 Capacity Blocks for ML.

Commands:
${commandList(COMMANDS)}

Global options:
  --help, -h            show help for blockfleet or a command
  --version             print blockfleet's version
  --debug               print stack traces with errors

Try the capacity commands without an AWS account: add --demo (or set BLOCKFLEET_DEMO=1), e.g.
  blockfleet capacity status --demo`;

/** `blockfleet 0.1.0`, from package.json. */
export function versionText(): string {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot(), "package.json"), "utf8")) as { name: string; version: string };
  return `${manifest.name} ${manifest.version}`;
}

/**
 * Runs one command line and returns the exit code. Errors come out as one line on stderr; the stack trace only
 * with --debug. Nothing here touches `process`: bin/blockfleet.cjs passes the real streams in.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const endOfOptions = argv.indexOf("--");
  const flags = endOfOptions === -1 ? argv : argv.slice(0, endOfOptions);
  const debug = flags.includes("--debug");
  const wantsHelp = flags.includes("--help") || flags.includes("-h");
  const args = argv.filter((arg, index) => (endOfOptions !== -1 && index >= endOfOptions) || !["--debug", "--help", "-h"].includes(arg));

  const command = COMMANDS.find((candidate) => candidate.words.every((word, index) => args[index] === word));
  try {
    if (!command && flags[0] === "--version") {
      io.stdout.write(`${versionText()}\n`);
      return EXIT.ok;
    }
    if (!command) {
      const group = COMMANDS.filter((candidate) => candidate.words.length > 1 && candidate.words[0] === args[0]);
      // `blockfleet` or `blockfleet capacity` alone: show what can follow. Asked for, that is output (stdout, exit 0);
      // otherwise it is a usage error, so it goes to stderr and keeps stdout clean for scripts reading it.
      if (args.length === 0 || (group.length > 0 && args.length === 1)) {
        (wantsHelp ? io.stdout : io.stderr).write(`${group.length > 0 ? groupHelp(args[0]!, group) : MAIN_HELP}\n`);
        return wantsHelp ? EXIT.ok : EXIT.failure;
      }
      if (wantsHelp) {
        io.stdout.write(`${MAIN_HELP}\n`);
        return EXIT.ok;
      }
      const typed = args.filter((arg) => !arg.startsWith("-"));
      const names = COMMANDS.map((candidate) => candidate.words.join(" "));
      throw new UnknownWordError(
        `unknown command "${typed.slice(0, 2).join(" ")}"`,
        "; run `blockfleet --help` for the list",
        [
          // `capcity status` → capacity status; `statsu` → status alone is no command, so two words go first.
          { word: typed.slice(0, 2).join(" "), candidates: names.filter((name) => name.includes(" ")) },
          { word: typed[0] ?? "", candidates: names.filter((name) => !name.includes(" ")) },
          ...(group.length > 0 ? [{ word: `${typed[0]} ${typed[1] ?? ""}`, candidates: group.map((candidate) => candidate.words.join(" ")) }] : []),
        ],
        (suggestion) => `did you mean \`blockfleet ${suggestion}\`?`,
        " (`blockfleet --help` lists them all)",
      );
    }
    if (wantsHelp) {
      io.stdout.write(`${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run(args.slice(command.words.length), io);
  } catch (error) {
    const known = error instanceof CliError;
    const message = error instanceof UnknownWordError ? await suggest(error) : error instanceof Error ? error.message : String(error);
    io.stderr.write(`blockfleet: ${known ? message : `unexpected error: ${message}${debug ? "" : " (rerun with --debug for details)"}`}\n`);
    if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return known ? error.exitCode : EXIT.failure;
  }
}

function groupHelp(word: string, commands: readonly Command[]): string {
  return `Usage: blockfleet ${word} <command> [options]\n\nCommands:\n${commandList(commands)}`;
}

/** The message of a mistyped word with the closest known one (the config schema's suggestion code, loaded only now). */
async function suggest(error: UnknownWordError): Promise<string> {
  const { closest } = await import("../config/load");
  // Candidates of the typed word's length first, so a swapped pair of letters (--wdie) finds --wide before --dir.
  const suggestion = error.attempts
    .map(({ word, candidates }) =>
      closest(
        word,
        [...candidates].sort((left, right) => Math.abs(left.length - word.length) - Math.abs(right.length - word.length)),
      ),
    )
    .find((found) => found !== undefined);
  return error.withSuggestion(suggestion);
}
