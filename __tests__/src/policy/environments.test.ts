/**
 * The gate over real synthesized output: every shipped environment passes with the repository's waivers, and any
 * valid environment file does too — a valid config never yields an insecure output.
 */
import { join, resolve } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEnvironments } from "../../../src/config/load";
import { DEFAULT_WAIVERS_FILE } from "../../../src/policy/cli";
import { type GateResult, runGate } from "../../../src/policy/engine";
import { stackFromJson } from "../../../src/policy/load";
import type { JsonObject } from "../../../src/policy/model";
import { loadWaivers } from "../../../src/policy/waivers";
import { validEnvironmentWithServicesInput } from "../../support/arbitraries";
import { type Synthesized, environmentFrom, synthesize } from "../../support/synth";

const REPO = resolve(__dirname, "../../..");
const FC_RUNS = Number(process.env["FC_RUNS"] ?? 20);
const waivers = loadWaivers(DEFAULT_WAIVERS_FILE);

function gate(synthesized: Synthesized, today: Date): Promise<GateResult> {
  const stacks = Object.entries(synthesized.stacks).map(([name, json]) => stackFromJson(json as JsonObject, name));
  return runGate({ stacks, waivers, today });
}

const describeFailures = (result: GateResult): string[] => result.failures.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`);

describe("policy gate on the shipped environments", () => {
  let synthesized: Synthesized;
  let result: GateResult;
  beforeAll(async () => {
    synthesized = await synthesize(await loadEnvironments({ dir: join(REPO, "environments") }));
    // CI runs on the real date, so an expired waiver fails the build.
    result = await gate(synthesized, new Date());
  });

  it("passes every rule for every environment file", () => {
    expect(describeFailures(result)).toEqual([]);
    expect(Object.keys(synthesized.stacks)).toEqual(expect.arrayContaining(["dev-cluster", "prod-cluster", "dev-bootstrap", "prod-bootstrap"]));
  });

  it("uses every checked-in waiver, and only for findings that are there by design", () => {
    expect(result.unusedWaivers).toEqual([]);
    expect([...new Set(result.findings.filter((finding) => finding.waivedBy).map((finding) => finding.ruleId))]).toEqual(["BF-IAM-006"]);
  });
});

describe("policy gate on generated environments", () => {
  it(`passes for any valid environment file (${FC_RUNS} runs; more with FC_RUNS)`, async () => {
    await fc.assert(
      fc.asyncProperty(validEnvironmentWithServicesInput, async (input) => {
        // GIVEN a generated valid environment WHEN it is synthesized in-process and gated
        const result = await gate(await synthesize([environmentFrom("gen", input)]), new Date("2026-11-22T12:00:00Z"));
        // THEN nothing fails
        expect(describeFailures(result)).toEqual([]);
      }),
      { numRuns: FC_RUNS },
    );
  }, 120_000);
});
