/**
 * Test support: synthesize environments in-process and query the Terraform JSON. Every synth-based test goes
 * through here so stacks are built exactly as `npm run synth` builds them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadedEnvironment, parseEnvironment } from "../../src/config/load";
import { type EnvironmentConfig, environmentSchema } from "../../src/config/schema";
import { synthesizeLoaded } from "../../src/synth";

export type TerraformJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown }>;
  provider?: Record<string, Array<Record<string, unknown>>>;
  terraform?: Record<string, unknown>;
  [key: string]: unknown;
};

/** Synthesized stacks of one or more environments, keyed by stack name. */
export class Synthesized {
  constructor(readonly stacks: Readonly<Record<string, TerraformJson>>) {}

  stack(name: string): TerraformJson {
    const stack = this.stacks[name];
    if (!stack) throw new Error(`no stack "${name}"; synthesized: ${Object.keys(this.stacks).join(", ")}`);
    return stack;
  }

  /** All resources of a type in a stack, as [logicalId, body] pairs. */
  resources(stackName: string, type: string): Array<[string, Record<string, unknown>]> {
    return Object.entries(this.stack(stackName).resource?.[type] ?? {});
  }

  /** The single resource of a type whose logical id contains `idPart`; throws when there are none or several. */
  resource(stackName: string, type: string, idPart = ""): Record<string, unknown> {
    const matches = this.resources(stackName, type).filter(([id]) => id.includes(idPart));
    if (matches.length !== 1) {
      throw new Error(`expected one ${type} matching "${idPart}" in ${stackName}, found ${matches.map(([id]) => id).join(", ") || "none"}`);
    }
    return matches[0]![1];
  }

  dataSources(stackName: string, type: string): Array<[string, Record<string, unknown>]> {
    return Object.entries(this.stack(stackName).data?.[type] ?? {});
  }
}

/** Synthesizes already-validated environments into a temporary folder and reads every stack back. */
export async function synthesize(environments: readonly LoadedEnvironment[]): Promise<Synthesized> {
  const outdir = mkdtempSync(join(tmpdir(), "blockfleet-test-"));
  try {
    const result = await synthesizeLoaded(environments, join(outdir, "cdktf.out"));
    const stacks = Object.fromEntries(result.stacks.map((stack) => [stack.name, JSON.parse(readFileSync(stack.file, "utf8")) as TerraformJson]));
    return new Synthesized(stacks);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A small valid environment; tests override what they are about. */
export function baseEnvironmentInput(): Record<string, unknown> {
  return {
    region: "us-east-1",
    // Names the state bucket (blockfleet-tfstate-<env>-<account>-<region>); required unless state_bucket is set.
    account_id: "123456789012",
    vpc_cidr: "10.0.0.0/16",
    availability_zones: ["us-east-1a", "us-east-1b"],
    cluster: { version: "1.34" },
    capacity_blocks: [
      {
        name: "p5-a",
        reservation_id: "cr-0123456789abcdef0",
        instance_type: "p5.48xlarge",
        instance_count: 2,
        availability_zone: "us-east-1a",
      },
    ],
  };
}

/** Validates raw input (as an environment file would hold it) and wraps it as a loaded environment. */
export function environmentFrom(name: string, input: Record<string, unknown>): LoadedEnvironment {
  const config: EnvironmentConfig = environmentSchema.parse(input);
  return { name, file: `environments/${name}.tfvars.json`, config };
}

/** Parses an environment file's text exactly as the loader does and returns its issues (empty when valid). */
export async function issuesOf(input: Record<string, unknown>): Promise<Array<{ path: string; message: string }>> {
  const result = await parseEnvironment("environments/test.tfvars.json", JSON.stringify(input));
  return result.ok ? [] : result.issues.map(({ path, message }) => ({ path, message }));
}

/** Shorthand: synthesize one environment built from the base input with overrides. */
export async function synthesizeWith(overrides: Record<string, unknown>, name = "test"): Promise<Synthesized> {
  return synthesize([environmentFrom(name, { ...baseEnvironmentInput(), ...overrides })]);
}
