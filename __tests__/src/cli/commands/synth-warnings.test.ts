import { describe, expect, it, vi } from "vitest";
import { runSynth } from "../../../../src/cli/commands/synth";
import { captureIo } from "../test-io";

// The synthesis itself is covered by synth.test.ts; here only what the command does with its warnings.
vi.mock("../../../../src/synth", () => ({
  synthesizeEnvironments: async () => ({
    environments: [],
    stacks: [{ name: "prod-capacity-manager", environment: "prod", resourceCount: 42, file: "cdktf.out/stacks/prod-capacity-manager/cdk.tf.json" }],
    warnings: ['prod: capacity manager: api_auth = "api_key_only" — the API key alone authorizes every method'],
  }),
}));

describe("blockfleet synth warnings", () => {
  it("GIVEN a synthesis with warnings THEN each is printed on stderr after the stacks, and the exit code stays 0", async () => {
    const io = captureIo();

    expect(await runSynth(["prod"], io)).toBe(0);
    expect(io.out()).toBe("prod-capacity-manager    42 resources\n");
    expect(io.err()).toBe('WARNING prod: capacity manager: api_auth = "api_key_only" — the API key alone authorizes every method\n');
  });

  it("GIVEN a terminal THEN the warning is coloured", async () => {
    const io = captureIo({ tty: true });

    await runSynth(["prod"], io);
    expect(io.err()).toContain("\u001b[33mWARNING prod: capacity manager");
  });
});
