/** Test support: environment-file inputs built from the base environment, and the one way schema tests assert a refusal. */
import { expect } from "vitest";
import { baseEnvironmentInput, issuesOf } from "./synth";

export type Input = Record<string, unknown>;

/** The base environment with its first capacity block changed. */
export function withBlock(overrides: Input): Input {
  const base = baseEnvironmentInput();
  const [block] = base.capacity_blocks as Input[];
  return { ...base, capacity_blocks: [{ ...block, ...overrides }] };
}

/** The base environment with these cluster settings (version kept). */
export function withCluster(overrides: Input): Input {
  return { ...baseEnvironmentInput(), cluster: { version: "1.34", ...overrides } };
}

/** Asserts the input is rejected with exactly one issue at `path` whose message matches. */
export async function expectRejected(input: Input, path: string, message: RegExp): Promise<void> {
  const issues = await issuesOf(input);
  const atPath = issues.filter((issue) => issue.path === path);
  expect(atPath, `issues were ${JSON.stringify(issues)}`).toHaveLength(1);
  expect(atPath[0]!.message).toMatch(message);
}
