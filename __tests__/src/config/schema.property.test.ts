import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEnvironment } from "../../../src/config/load";
import { brokenField, validEnvironmentInput } from "../../support/arbitraries";

const runs = Number(process.env.FC_RUNS ?? 200);

async function parse(input: unknown) {
  return parseEnvironment("environments/prop.tfvars.json", JSON.stringify(input));
}

describe("environment validation (properties)", () => {
  it("accepts every generated valid environment", async () => {
    await fc.assert(
      fc.asyncProperty(validEnvironmentInput, async (input) => {
        const result = await parse(input);
        expect(result.ok ? [] : result.issues).toEqual([]);
      }),
      { numRuns: runs },
    );
  });

  it("either validates or rejects with issues that carry file, path and message — never crashes", async () => {
    const anything = fc.oneof(
      fc.jsonValue(),
      validEnvironmentInput.chain((input) =>
        fc.record({ ...Object.fromEntries(Object.entries(input).map(([key, value]) => [key, fc.oneof(fc.constant(value), fc.jsonValue())])) }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(anything, async (input) => {
        const result = await parse(input);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.file).toBe("environments/prop.tfvars.json");
          expect(typeof issue.path).toBe("string");
          expect(issue.message.length).toBeGreaterThan(0);
          // Only a non-object document is blamed as a whole; inside an object every issue names its key.
          if (input !== null && typeof input === "object" && !Array.isArray(input)) expect(issue.path).not.toBe("");
        }
      }),
      { numRuns: runs },
    );
  });

  it("reports a field broken on purpose at its own path", async () => {
    await fc.assert(
      fc.asyncProperty(brokenField, async ({ path, input }) => {
        const result = await parse(input);
        expect(result.ok).toBe(false);
        expect(!result.ok && result.issues.map((issue) => issue.path)).toContain(path);
      }),
      { numRuns: runs },
    );
  });
});
