import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packages = fileURLToPath(new URL("./packages", import.meta.url));

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their sources, as in tsconfig.json's paths (stacks/ and
    // tools use them without depending on them, so SST's config bundler inlines them).
    alias: [
      { find: /^@pilot-light\/(core|world)$/, replacement: `${packages}/$1/src/index.ts` },
      { find: /^@pilot-light\/(core|world)\/(.*)$/, replacement: `${packages}/$1/src/$2` },
    ],
  },
  test: {
    reporters: ["default", "./packages/tools/src/summary-reporter.ts"],
    include: ["packages/*/test/**/*.test.ts", "stacks/test/**/*.test.ts"],
    // Synthesizing both regions' stacks takes seconds on two cores.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ["packages/core/test/setup.ts"],
  },
});
