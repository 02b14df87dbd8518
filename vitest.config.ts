import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "stacks/test/**/*.test.ts"],
    // Synthesizing both regions' stacks takes seconds on two cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ["packages/core/test/setup.ts"],
  },
});
