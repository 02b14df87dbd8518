import { describe, expect, it } from "vitest";
import type { TestSpecification, Vitest } from "vitest/node";
import CriticalPathSequencer from "../src/test-sequencer";

/** What vitest's BaseSequencer reads of a file: its project, and the last run's result. */
const spec = (project: "packages" | "stacks", moduleId: string) =>
  ({ moduleId: `/repo/${moduleId}`, project: { name: project, config: { sequence: { groupOrder: 0 }, isolate: true } } }) as unknown as TestSpecification;

const lastRun: Record<string, number> = {
  "/repo/packages/rehearsal/test/rehearse.test.ts": 50_000,
  "/repo/packages/core/test/stage.test.ts": 10,
  "/repo/packages/tools/test/bundles.test.ts": 20_000,
  "/repo/stacks/test/nag.test.ts": 60_000,
  "/repo/stacks/test/monitor.test.ts": 1_000,
  "/repo/stacks/test/synth-cache.test.ts": 5_000,
};
const ctx = { cache: { getTestSpecificationResult: (s: TestSpecification) => ({ duration: lastRun[s.moduleId], failed: false }) } } as unknown as Vitest;

describe("the test files' order", () => {
  it("runs the fresh synthesis first, the packages files longest first, the other stack files last", async () => {
    const files = [
      spec("stacks", "stacks/test/nag.test.ts"),
      spec("packages", "packages/core/test/stage.test.ts"),
      spec("stacks", "stacks/test/synth-cache.test.ts"),
      spec("packages", "packages/rehearsal/test/rehearse.test.ts"),
      spec("stacks", "stacks/test/monitor.test.ts"),
      spec("packages", "packages/tools/test/bundles.test.ts"),
    ];
    const sorted = await new CriticalPathSequencer(ctx).sort(files);
    expect(sorted.map((s) => s.moduleId.replace("/repo/", ""))).toEqual([
      "stacks/test/synth-cache.test.ts",
      "packages/rehearsal/test/rehearse.test.ts",
      "packages/tools/test/bundles.test.ts",
      "packages/core/test/stage.test.ts",
      "stacks/test/nag.test.ts",
      "stacks/test/monitor.test.ts",
    ]);
  });
});
