/**
 * The one-per-run synthesis the stack tests read (support/global-synth.ts) is what a fresh
 * synthesis gives, byte for byte: every stack's template and cdk-nag findings in both regions.
 * The stored DR region was built with copies of earlier identical bundles; this one builds every
 * function with SST's own builder, so the test also proves the copies change nothing, and that
 * two syntheses of one stage are byte-identical (nothing time- or run-dependent in a template).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { synthRegion as synthesize, type RegionSynthJson } from "../../packages/tools/src/offline-synth";
import { stageConfig } from "../stages";
import { fileOf, waitForSynth } from "./support/synth-files";

// SST builds one function at a time on two cores; four at once overlap each build's esbuild
// and `npm install` processes (about 40 s instead of 55 s for the DR region on its own). The
// stored synthesis builds two at a time: the order of builds changes nothing in a template.
process.env.SST_BUILD_CONCURRENCY ??= "4";

describe("the stored synthesis", () => {
  // The DR region first: its fresh synthesis is the long one, and by its end the stored one
  // (written third and fourth of the run's regions) is there, so neither test waits idle.
  it.each(["dr", "primary"] as const)("equals a fresh synthesis of stage dnsdemo, %s region, byte for byte", async (role) => {
    const config = stageConfig("dnsdemo");
    const region = role === "primary" ? config.primaryRegion : config.drRegion;
    const artifactsDir = await mkdtemp(join(tmpdir(), "fresh-synth-"));
    try {
      const fresh = await synthesize("dnsdemo", region, { artifactsDir });
      const dir = inject("synthDir");
      const stored = JSON.parse(waitForSynth(dir, fileOf(dir, "dnsdemo", role))) as RegionSynthJson;
      expect(Object.keys(fresh.stacks)).toEqual(Object.keys(stored.stacks));
      expect(Object.keys(fresh.stacks).length).toBeGreaterThanOrEqual(5);
      for (const [name, stack] of Object.entries(fresh.stacks)) {
        expect(JSON.stringify(stack), name).toBe(JSON.stringify(stored.stacks[name]));
      }
      if (role === "dr") expect(fresh.functions.length).toBeGreaterThan(20);
    } finally {
      await rm(artifactsDir, { recursive: true, force: true });
    }
    // Beside every other file on two cores the DR region's 49 builds take 90-120 s; twice the
    // default timeout (vitest.config.ts) leaves room for a slower machine and still ends a hang.
  }, 480_000);
});
