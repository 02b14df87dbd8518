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
    // Synthesizing both regions' stacks (with every Lambda bundled) takes a minute on two cores.
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
        // SST builds each function into .sst/artifacts/<construct path>: two synths of the same
        // stage and region at once would overwrite each other's bundles, so these run one by one.
        test: { name: "stacks", include: ["stacks/test/**/*.test.ts"], fileParallelism: false },
      },
    ],
  },
});
