import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TestSpecification, Vitest } from "vitest/node";
import CriticalPathSequencer, { recordedDurationsFile } from "../src/test-sequencer";
import { durationsOf } from "../src/test-durations";

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
const ctx = { config: { root: "/repo" }, cache: { getTestSpecificationResult: (s: TestSpecification) => ({ duration: lastRun[s.moduleId], failed: false }) } } as unknown as Vitest;
/** A fresh clone: vitest has no result for any file. */
const freshClone = { config: { root: "/repo" }, cache: { getTestSpecificationResult: () => undefined } } as unknown as Vitest;

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

  it("on a fresh clone, runs the packages files longest first by the recorded durations, a file with none first", async () => {
    const recorded = JSON.parse(readFileSync(recordedDurationsFile, "utf8")) as Record<string, number>;
    // Long files that are short in bytes: by size, vitest would run them last.
    const long = ["packages/rehearsal/test/lifecycle.test.ts", "packages/functions/test/failback/lost-answers.test.ts", "packages/tools/test/bench-worlds.test.ts"];
    const short = ["packages/core/test/stage.test.ts", "packages/world/test/world.test.ts"];
    // The table is rewritten from each full run: what matters is that it tells these apart.
    for (const f of [...long, ...short]) expect(recorded[f], f).toBeGreaterThan(0);
    expect(Math.min(...long.map((f) => recorded[f]!))).toBeGreaterThan(Math.max(...short.map((f) => recorded[f]!)));
    const files = [...short, ...long, "packages/core/test/a-new.test.ts"].map((f) => spec("packages", f));
    const sorted = (await new CriticalPathSequencer(freshClone).sort(files)).map((s) => s.moduleId.replace("/repo/", ""));
    const byRecord = [...long, ...short].sort((a, b) => recorded[b]! - recorded[a]!);
    expect(sorted).toEqual(["packages/core/test/a-new.test.ts", ...byRecord]);
  });
});

describe("the recorded durations", () => {
  it("are every project's files' last durations from vitest's results, in milliseconds", () => {
    const results = { projects: { packages: { files: { "packages/b.test.ts": { duration: 1500.6 }, "packages/a.test.ts": {} } }, stacks: { files: { "stacks/test/c.test.ts": { duration: 20.2 } } } } };
    expect(durationsOf(results)).toEqual({ "packages/b.test.ts": 1501, "stacks/test/c.test.ts": 20 });
  });
});
