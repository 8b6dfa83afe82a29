/**
 * The `npm run check` command: argument parsing and the run itself, apart from process handling so tests can
 * call it. Exit codes: 0 passed, 1 unwaived findings, 2 the gate could not run (bad arguments, files, synthesis).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { projectRoot } from "../lib/paths";
import { runGate } from "./engine";
import { findStackFiles, loadStackFile } from "./load";
import { formatReport } from "./report";
import { loadWaivers } from "./waivers";

const REPO_ROOT = projectRoot();
export const DEFAULT_OUTPUT_DIR = "cdktf.out";
export const DEFAULT_WAIVERS_FILE = join(REPO_ROOT, "policy-waivers.json");
/** What the synthesized output is made from (folders and files): anything here newer than the output makes it stale. */
export const SYNTHESIS_INPUTS = ["environments", "src", "stacks", "lambdas", "package-lock.json"].map((path) => join(REPO_ROOT, path));

export interface CheckArguments {
  readonly dir: string;
  readonly waiversFile: string;
  /**
   * True when the folder was not given: it is synthesized first when missing or older than the sources, so the
   * gate never passes an output the code no longer produces.
   */
  readonly synthesizeWhenStale: boolean;
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
  return { dir: resolve(dir ?? DEFAULT_OUTPUT_DIR), waiversFile, synthesizeWhenStale: dir === undefined };
}

/**
 * True when `outdir` has no cdktf manifest (never synthesized) or an input file (or a file below an input folder)
 * changed after the last synthesis wrote it. Inputs that don't exist are ignored.
 */
export function outputIsStale(outdir: string, inputs: readonly string[]): boolean {
  const manifest = join(outdir, "manifest.json");
  if (!existsSync(manifest)) return true;
  const synthesizedAt = statSync(manifest).mtimeMs;
  const changedSince = (path: string): boolean => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return false;
    if (!stat.isDirectory()) return stat.mtimeMs > synthesizedAt;
    return readdirSync(path).some((entry) => changedSince(join(path, entry)));
  };
  return inputs.some(changedSince);
}

export async function check(args: CheckArguments, today: Date, inputs: readonly string[] = SYNTHESIS_INPUTS): Promise<{ exitCode: number; output: string }> {
  const notes: string[] = [];
  if (args.synthesizeWhenStale && outputIsStale(args.dir, inputs)) {
    // Loaded only when needed: synthesis pulls in the stacks and the AWS provider bindings.
    const { synthesizeEnvironments } = await import("../synth");
    mkdirSync(dirname(args.dir), { recursive: true });
    await synthesizeEnvironments({ environmentsDir: join(REPO_ROOT, "environments"), outdir: args.dir });
    notes.push(`synthesized every environment into ${args.dir} first (it was missing or older than the sources)`, "");
  } else if (!existsSync(args.dir)) {
    return { exitCode: 2, output: `${args.dir} does not exist` };
  }
  const files = findStackFiles(args.dir);
  if (files.length === 0) return { exitCode: 2, output: `no cdk.tf.json under ${args.dir}` };
  const result = await runGate({ stacks: files.map(loadStackFile), waivers: loadWaivers(args.waiversFile), today });
  return { exitCode: result.failures.length > 0 ? 1 : 0, output: [...notes, formatReport(result, files.length)].join("\n") };
}
