/**
 * The `npm run check` command: argument parsing and the run itself, apart from process handling so tests can
 * call it. Exit codes: 0 passed, 1 unwaived findings, 2 the gate could not run (bad arguments, files, synthesis).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadSibling } from "../cli/lazy";
import { runGate } from "./engine";
import { findStackFiles, loadStackFile } from "./load";
import { formatReport } from "./report";
import { loadWaivers } from "./waivers";

const REPO_ROOT = resolve(__dirname, "..", "..");
export const DEFAULT_OUTPUT_DIR = "cdktf.out";
export const DEFAULT_WAIVERS_FILE = join(REPO_ROOT, "policy-waivers.json");
/** What the synthesized output is made from: a file here newer than the output means the output is stale. */
export const SYNTHESIS_INPUTS = ["environments", "src", "stacks", "lambdas"].map((folder) => join(REPO_ROOT, folder));

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
 * True when `outdir` has no cdktf manifest (never synthesized) or a file under `inputs` changed after the last
 * synthesis wrote it.
 */
export function outputIsStale(outdir: string, inputs: readonly string[]): boolean {
  const manifest = join(outdir, "manifest.json");
  if (!existsSync(manifest)) return true;
  const synthesizedAt = statSync(manifest).mtimeMs;
  const changedSince = (folder: string): boolean =>
    readdirSync(folder, { withFileTypes: true }).some((entry) => {
      const path = join(folder, entry.name);
      return entry.isDirectory() ? changedSince(path) : statSync(path).mtimeMs > synthesizedAt;
    });
  return inputs.some((folder) => existsSync(folder) && changedSince(folder));
}

export async function check(args: CheckArguments, today: Date, inputs: readonly string[] = SYNTHESIS_INPUTS): Promise<{ exitCode: number; output: string }> {
  const notes: string[] = [];
  if (args.synthesizeWhenStale && outputIsStale(args.dir, inputs)) {
    // Loaded only when needed: synthesis pulls in the stacks and the AWS provider bindings. Not a bare import():
    // under `npm run check` (tsx, CommonJS) Node's ESM loader can't resolve the extensionless .ts path.
    const { synthesizeEnvironments } = await loadSibling<typeof import("../synth")>("../synth");
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
