/**
 * Synthesis that never leaves a half-written output: the app is synthesized into a temporary folder beside the
 * output folder and moved into place only when every stack succeeded.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { appWarnings, buildApp } from "../stacks/app";
import { type LoadedEnvironment, loadEnvironments } from "./config/load";
import { physicalNameViolations } from "./lib/naming";

export interface SynthesizeOptions {
  /** Folder holding `<env>.tfvars` files. */
  readonly environmentsDir: string;
  /** Environments to synthesize; all when empty or absent. */
  readonly names?: readonly string[];
  /** The cdktf output folder, e.g. `cdktf.out`. */
  readonly outdir: string;
}

export interface SynthesizedStack {
  readonly name: string;
  readonly environment: string;
  readonly resourceCount: number;
  /** Path of the stack's `cdk.tf.json`. */
  readonly file: string;
}

export interface SynthesisResult {
  readonly environments: readonly LoadedEnvironment[];
  readonly stacks: readonly SynthesizedStack[];
  /** Configuration choices an operator should know about (printed by main, never fatal). */
  readonly warnings: readonly string[];
}

interface Manifest {
  readonly version: string;
  readonly stacks: Record<string, unknown>;
}

/**
 * Loads, validates and synthesizes environments. Throws ConfigError (every issue at once) before anything is
 * written when a file is invalid. With a subset of environments, only those stacks are replaced in the output.
 */
export async function synthesizeEnvironments(options: SynthesizeOptions): Promise<SynthesisResult> {
  const environments = await loadEnvironments({ dir: options.environmentsDir, names: options.names });
  return synthesizeLoaded(environments, options.outdir, !options.names || options.names.length === 0);
}

export async function synthesizeLoaded(environments: readonly LoadedEnvironment[], outdir: string, replaceAll = true): Promise<SynthesisResult> {
  const target = resolve(outdir);
  const staging = join(dirname(target), `.cdktf-tmp-${process.pid}-${Date.now()}`);
  try {
    const app = buildApp(environments, { outdir: staging });
    app.synth();
    const stacks = await describeStacks(staging, environments);
    await refuseOverlongNames(staging, stacks);
    if (replaceAll || !existsSync(join(target, "manifest.json"))) {
      await replaceFolder(staging, target);
    } else {
      await mergeStacks(staging, target);
    }
    return { environments, stacks: stacks.map((stack) => ({ ...stack, file: join(target, "stacks", stack.name, "cdk.tf.json") })), warnings: appWarnings(app) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function describeStacks(folder: string, environments: readonly LoadedEnvironment[]): Promise<SynthesizedStack[]> {
  const stackNames = (await readdir(join(folder, "stacks"))).sort();
  return Promise.all(
    stackNames.map(async (name) => {
      const file = join(folder, "stacks", name, "cdk.tf.json");
      const json = JSON.parse(await readFile(file, "utf8")) as { resource?: Record<string, Record<string, unknown>> };
      const resourceCount = Object.values(json.resource ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
      // Longest match: with environments "dev" and "dev-eu", "dev-eu-cluster" belongs to "dev-eu".
      const environment = environments
        .map((env) => env.name)
        .filter((envName) => name.startsWith(`${envName}-`))
        .reduce((longest, envName) => (envName.length > longest.length ? envName : longest), "");
      return { name, environment, resourceCount, file };
    }),
  );
}

/** The last net under the naming module: a physical name over its limit fails synthesis before anything is moved into place. */
async function refuseOverlongNames(folder: string, stacks: readonly SynthesizedStack[]): Promise<void> {
  const violations = [];
  for (const stack of stacks) {
    violations.push(...physicalNameViolations(stack.name, JSON.parse(await readFile(join(folder, "stacks", stack.name, "cdk.tf.json"), "utf8"))));
  }
  if (violations.length > 0) {
    const lines = violations.map(
      (violation) => `  ${violation.stack}: ${violation.address}: ${violation.kind} "${violation.name}" is ${violation.name.length} characters, over its limit`,
    );
    throw new Error(
      `${violations.length} physical name${violations.length === 1 ? "" : "s"} longer than AWS allows (nothing was written):\n${lines.join("\n")}`,
    );
  }
}

async function replaceFolder(staging: string, target: string): Promise<void> {
  const previous = `${target}.previous-${process.pid}`;
  if (existsSync(target)) await rename(target, previous);
  try {
    await rename(staging, target);
  } catch (error) {
    if (existsSync(previous)) await rename(previous, target);
    throw error;
  }
  await rm(previous, { recursive: true, force: true });
}

/** Moves the freshly synthesized stacks into an existing output and merges their manifest entries. */
async function mergeStacks(staging: string, target: string): Promise<void> {
  const fresh = JSON.parse(await readFile(join(staging, "manifest.json"), "utf8")) as Manifest;
  const existing = JSON.parse(await readFile(join(target, "manifest.json"), "utf8")) as Manifest;
  await mkdir(join(target, "stacks"), { recursive: true });
  for (const name of Object.keys(fresh.stacks)) {
    const destination = join(target, "stacks", name);
    await rm(destination, { recursive: true, force: true });
    await rename(join(staging, "stacks", name), destination);
  }
  const manifest = { ...fresh, stacks: { ...existing.stacks, ...fresh.stacks } };
  await writeFile(join(target, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}
