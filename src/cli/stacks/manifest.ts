import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { CliError } from "../errors";

/** A synthesized stack as CI needs it: where to run terraform, what it waits for, where its state lives. */
export interface StackInfo {
  readonly name: string;
  readonly directory: string;
  readonly dependencies: readonly string[];
  /** `s3` or `local` (the bootstrap stack, whose state stays with whoever created the state bucket). */
  readonly backend: string;
  readonly region?: string;
  /**
   * The environment the stack belongs to, from the `environment` tag every blockfleet stack sets in its AWS
   * provider's default tags. Absent for stacks without it; those are matched by name.
   */
  readonly environment?: string;
}

const manifestSchema = z.looseObject({
  stacks: z.record(z.string(), z.looseObject({ dependencies: z.array(z.string()).default([]), workingDirectory: z.string() })),
});

const stackJsonSchema = z.looseObject({
  terraform: z.looseObject({ backend: z.record(z.string(), z.looseObject({ region: z.string().optional() })).optional() }).optional(),
  provider: z
    .looseObject({
      aws: z.array(z.looseObject({ default_tags: z.array(z.looseObject({ tags: z.record(z.string(), z.string()).optional() })).optional() })).optional(),
    })
    .optional(),
});

/** Reads cdktf's manifest.json and each stack's backend from the output folder of a synth. */
export function readStacks(outdir: string): StackInfo[] {
  const manifest = manifestSchema.safeParse(readJson(path.join(outdir, "manifest.json"), `${outdir} has no manifest.json; run \`blockfleet synth\` first`));
  if (!manifest.success) throw new CliError(`${path.join(outdir, "manifest.json")} is not a cdktf manifest`);
  return Object.entries(manifest.data.stacks).map(([name, entry]) => {
    const directory = path.join(outdir, entry.workingDirectory);
    const stack = stackJsonSchema.safeParse(readJson(path.join(directory, "cdk.tf.json"), `stack ${name} has no cdk.tf.json in ${directory}`));
    const [backend, settings] = Object.entries((stack.success ? stack.data.terraform?.backend : undefined) ?? { local: {} })[0] ?? ["local", {}];
    const environment = stack.success ? stack.data.provider?.aws?.[0]?.default_tags?.[0]?.tags?.environment : undefined;
    return {
      name,
      directory,
      dependencies: entry.dependencies,
      backend,
      ...(settings.region ? { region: settings.region } : {}),
      ...(environment ? { environment } : {}),
    };
  });
}

function readJson(file: string, missing: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new CliError(missing);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * Stacks in an order where each comes after the stacks it depends on (dependencies outside the selection are taken
 * as already deployed); ties keep alphabetical order so the sequence is stable. A cycle is an error naming it.
 */
export function dependencyOrder(stacks: readonly StackInfo[]): StackInfo[] {
  const selected = new Map(stacks.map((stack) => [stack.name, stack]));
  const ordered: StackInfo[] = [];
  const placed = new Set<string>();
  const pending = [...stacks].sort((left, right) => left.name.localeCompare(right.name));
  while (pending.length > 0) {
    const index = pending.findIndex((stack) => stack.dependencies.every((dependency) => placed.has(dependency) || !selected.has(dependency)));
    if (index === -1) throw new CliError(`stack dependencies form a cycle among ${pending.map((stack) => stack.name).join(", ")}`);
    const [next] = pending.splice(index, 1);
    ordered.push(next!);
    placed.add(next!.name);
  }
  return ordered;
}

/**
 * The stacks of the named environments, or all of them when none is named. A stack belongs to the environment its
 * tag names; the `<env>-` name prefix alone would hand `dev-eu-cluster` to `dev` too (environment names may hold
 * dashes), and CI would then plan and apply it with dev's credentials.
 */
export function stacksOf(stacks: readonly StackInfo[], environments: readonly string[]): StackInfo[] {
  if (environments.length === 0) return [...stacks];
  const belongs = (stack: StackInfo, environment: string) =>
    stack.environment !== undefined ? stack.environment === environment : stack.name.startsWith(`${environment}-`);
  const unknown = environments.filter((environment) => !stacks.some((stack) => belongs(stack, environment)));
  if (unknown.length > 0) throw new CliError(`no synthesized stacks for ${unknown.join(", ")}; run \`blockfleet synth ${unknown.join(" ")}\` first`);
  return stacks.filter((stack) => environments.some((environment) => belongs(stack, environment)));
}
