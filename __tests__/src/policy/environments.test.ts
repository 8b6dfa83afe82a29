/**
 * The gate over real synthesized output: every shipped environment passes with the repository's waivers, and any
 * valid environment file does too — a valid config never yields an insecure output.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, DEFAULT_WAIVERS_FILE } from "../../../src/policy/cli";
import { type GateResult, runGate } from "../../../src/policy/engine";
import { findStackFiles, loadStackFile, stackFromJson } from "../../../src/policy/load";
import type { JsonObject } from "../../../src/policy/model";
import { loadWaivers } from "../../../src/policy/waivers";
import { validEnvironmentWithServicesInput } from "../../support/arbitraries";
import { environmentFrom, type Synthesized, synthesize } from "../../support/synth";

const FC_RUNS = Number(process.env["FC_RUNS"] ?? 20);
const waivers = loadWaivers(DEFAULT_WAIVERS_FILE);

function gate(synthesized: Synthesized, today: Date): Promise<GateResult> {
  const stacks = Object.entries(synthesized.stacks).map(([name, json]) => stackFromJson(json as JsonObject, name));
  return runGate({ stacks, waivers, today });
}

const describeFailures = (result: GateResult): string[] => result.failures.map((finding) => `${finding.ruleId} ${finding.address}: ${finding.message}`);

describe("policy gate on the shipped environments", () => {
  const outdir = join(mkdtempSync(join(tmpdir(), "blockfleet-gate-")), "cdktf.out");
  let command: { exitCode: number; output: string };
  let result: GateResult;
  beforeAll(async () => {
    // `npm run check` without a folder: cdktf.out is missing, so it synthesizes every environment first.
    // CI runs on the real date, so an expired waiver fails the build.
    command = await check({ dir: outdir, waiversFile: DEFAULT_WAIVERS_FILE, synthesizeWhenStale: true }, new Date());
    result = await runGate({ stacks: findStackFiles(outdir).map(loadStackFile), waivers, today: new Date() });
  });
  afterAll(() => rmSync(dirname(outdir), { recursive: true, force: true }));

  it("synthesizes every environment file when the output is missing and passes every rule", () => {
    expect(describeFailures(result)).toEqual([]);
    expect(command.exitCode).toBe(0);
    expect(command.output.split("\n").at(-1)).toBe(
      `policy gate passed: ${findStackFiles(outdir).length} stack(s), ${result.findings.length} waived finding(s)`,
    );
    const stackNames = findStackFiles(outdir).map((file) => basename(dirname(file)));
    expect(stackNames).toEqual(
      expect.arrayContaining(["dev-bootstrap", "dev-cluster", "prod-bootstrap", "prod-cluster", "auto-cluster", "auto-auto-mode-pools"]),
    );
  });

  it("uses every checked-in waiver, and only for findings that are there by design", () => {
    expect(result.unusedWaivers).toEqual([]);
    expect([...new Set(result.findings.filter((finding) => finding.waivedBy).map((finding) => finding.ruleId))].sort()).toEqual(["BF-IAM-006"]);
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
