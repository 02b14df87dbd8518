/**
 * The one-per-run synthesis the stack tests read (support/global-synth.ts) is what a fresh
 * synthesis gives, byte for byte: every stack's template and cdk-nag findings in both regions.
 * The stored regions are built with copies of earlier identical bundles; the fresh one builds
 * every function with SST's own builder, so the test also proves the copies change nothing, and
 * that two syntheses of one stage are byte-identical (nothing time- or run-dependent in a template).
 * The fresh synthesis is the run's own first (support/synth-all.ts, `freshSynthesis`: made before
 * anything was built, so no bundle in it is a copy); when the run reused an earlier run's folder,
 * a fresh synthesis of the tree as it is now, here, also proves that folder is not stale.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import type { RegionSynthJson } from "../../packages/tools/src/synth-json";
import { stageConfig } from "../stages";
import { fileOf, freshSynthesis, waitForSynth } from "./support/synth-files";

/** This test's own synthesis of the stage, for a reused folder: SST's builder on every function. */
async function synthesizeHere(role: "primary" | "dr"): Promise<RegionSynthJson> {
  // SST builds one function at a time on two cores; four at once overlap each build's esbuild
  // and `npm install` processes. The order of builds changes nothing in a template.
  process.env.SST_BUILD_CONCURRENCY ??= "4";
  const { synthRegion } = await import("../../packages/tools/src/offline-synth");
  const config = stageConfig(freshSynthesis.stage);
  const artifactsDir = await mkdtemp(join(tmpdir(), "fresh-synth-"));
  try {
    return await synthRegion(freshSynthesis.stage, role === "primary" ? config.primaryRegion : config.drRegion, { artifactsDir });
  } finally {
    await rm(artifactsDir, { recursive: true, force: true });
  }
}

describe("the stored synthesis", () => {
  // The DR region first, as the run's synthesis makes them: the primary region's shared functions are copies of the DR region's.
  it.each(freshSynthesis.roles)(`equals a fresh synthesis of stage ${freshSynthesis.stage}, %s region, byte for byte`, async (role) => {
    const dir = inject("synthDir");
    const fresh = inject("synthReused") ? await synthesizeHere(role) : (JSON.parse(waitForSynth(dir, fileOf(dir, freshSynthesis.id, role))) as RegionSynthJson);
    const stored = JSON.parse(waitForSynth(dir, fileOf(dir, freshSynthesis.stage, role))) as RegionSynthJson;
    expect(Object.keys(fresh.stacks)).toEqual(Object.keys(stored.stacks));
    expect(Object.keys(fresh.stacks).length).toBeGreaterThanOrEqual(5);
    for (const [name, stack] of Object.entries(fresh.stacks)) {
      expect(JSON.stringify(stack), name).toBe(JSON.stringify(stored.stacks[name]));
    }
    if (role === "dr") expect(fresh.functions.length).toBeGreaterThan(20);
    // The DR region's 51 functions built by SST's own builder (here, or first in the run's
    // synthesis) take 90-120 s beside every other file on two cores, many minutes on a loaded
    // machine: as long as a stack test waits for the run's synthesis (synth-files.ts), and still ends a hang.
  }, 600_000);
});
