import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Synthesis loads the AWS provider's generated classes; forks keep each file's memory separate.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The AWS SDK warns once per process that its 2027 releases need Node 22; tests run on the Node 20 this project
    // supports, so the notice is switched off here (bin/blockfleet.cjs does the same; the Lambda runs nodejs22.x).
    env: { CHECKPOINT_DISABLE: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
