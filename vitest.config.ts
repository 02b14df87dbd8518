import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import CriticalPathSequencer from "./packages/tools/src/test-sequencer";

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
    // The main process is idle while files run, and the rehearsals wait between the virtual
    // clock's steps, so one worker more than the cores keeps every core busy.
    maxWorkers: availableParallelism() + 1,
    // Generous for the rehearsals and fault matrices on a loaded machine; the fresh synthesis
    // (stacks/test/synth-cache.test.ts) sets its own.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    setupFiles: ["packages/core/test/setup.ts"],
    sequence: { sequencer: CriticalPathSequencer },
    projects: [
      {
        extends: true,
        // The global setup gives the run a fresh folder for the IAM usage `pnpm check:aws` reports.
        test: { name: "packages", include: ["packages/*/test/**/*.test.ts"], globalSetup: ["packages/tools/src/aws-check/usage-setup.ts"] },
      },
      {
        extends: true,
        // Every stage is synthesized once per run, in its own process started by the global
        // setup (stacks/test/support/global-synth.ts) while the packages files run; these files
        // read its templates, and run after the packages files (sequence.sequencer) but for the
        // one that synthesizes afresh, which runs first.
        test: {
          name: "stacks",
          include: ["stacks/test/**/*.test.ts"],
          globalSetup: ["stacks/test/support/global-synth.ts"],
        },
      },
    ],
  },
});
