import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Synthesis loads the AWS provider's generated classes; forks keep each file's memory separate.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: { CHECKPOINT_DISABLE: "1" },
  },
});
