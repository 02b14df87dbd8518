import { availableParallelism } from "node:os";
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
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core CI machine.
    // The main process is idle while files run, so use every core.
    maxWorkers: availableParallelism(),
    // The one test that synthesizes afresh (stacks/test/synth-cache.test.ts) bundles 22 Lambdas.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    setupFiles: ["packages/core/test/setup.ts"],
    projects: [
      {
        extends: true,
        test: { name: "packages", include: ["packages/*/test/**/*.test.ts"] },
      },
      {
        extends: true,
        // Every stage is synthesized once per run, in its own process started by the global
        // setup (stacks/test/support/global-synth.ts) while the packages files run; these files
        // run after them (groupOrder) and read its templates, in parallel like any others.
        test: {
          name: "stacks",
          include: ["stacks/test/**/*.test.ts"],
          globalSetup: ["stacks/test/support/global-synth.ts"],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
