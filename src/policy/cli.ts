/**
 * The `npm run check` command: argument parsing and the run itself, apart from process handling so tests can
 * call it. Exit codes: 0 passed, 1 unwaived findings, 2 the gate could not run (bad arguments, files, synthesis).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { runGate } from "./engine";
import { findStackFiles, loadStackFile } from "./load";
import { formatReport } from "./report";
import { loadWaivers } from "./waivers";

const REPO_ROOT = resolve(__dirname, "..", "..");
export const DEFAULT_OUTPUT_DIR = "cdktf.out";
export const DEFAULT_WAIVERS_FILE = join(REPO_ROOT, "policy-waivers.json");

export interface CheckArguments {
  readonly dir: string;
  readonly waiversFile: string;
  /** True when the folder was not given, so a missing one is synthesized first. */
  readonly synthesizeIfMissing: boolean;
}

export function parseArguments(argv: readonly string[]): CheckArguments {
  let dir: string | undefined;
  let waiversFile = DEFAULT_WAIVERS_FILE;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index]!;
    if (argument === "--waivers") {
      const value = argv[index + 1];
      if (value === undefined) throw new Error("--waivers needs a file");
      waiversFile = resolve(value);
      index += 1;
    } else if (argument.startsWith("-")) {
      throw new Error(`unknown option ${argument}; usage: npm run check -- [dir] [--waivers file]`);
    } else if (dir === undefined) {
      dir = argument;
    } else {
      throw new Error(`only one folder can be checked, got ${dir} and ${argument}`);
    }
  }
  return { dir: resolve(dir ?? DEFAULT_OUTPUT_DIR), waiversFile, synthesizeIfMissing: dir === undefined };
}

export async function check(args: CheckArguments, today: Date): Promise<{ exitCode: number; output: string }> {
  if (!existsSync(args.dir)) {
    if (!args.synthesizeIfMissing) return { exitCode: 2, output: `${args.dir} does not exist` };
    // Loaded only when needed: synthesis pulls in the stacks and the AWS provider bindings.
    const { synthesizeEnvironments } = await import("../synth");
    mkdirSync(dirname(args.dir), { recursive: true });
    await synthesizeEnvironments({ environmentsDir: join(REPO_ROOT, "environments"), outdir: args.dir });
  }
  const files = findStackFiles(args.dir);
  if (files.length === 0) return { exitCode: 2, output: `no cdk.tf.json under ${args.dir}` };
  const result = await runGate({ stacks: files.map(loadStackFile), waivers: loadWaivers(args.waiversFile), today });
  return { exitCode: result.failures.length > 0 ? 1 : 0, output: formatReport(result, files.length) };
}
