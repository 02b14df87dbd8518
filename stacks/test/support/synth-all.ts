/**
 * Synthesizes every stage variant the stack tests read (variants.ts) into one folder: one JSON
 * per region, then a `complete` marker (or `error.txt`). Run by global-synth.ts as its own
 * process, so it overlaps the packages project's files: `tsx stacks/test/support/synth-all.ts DIR`.
 * One stage comes first, on its own (synth-files.ts, `freshSynthesis`): nothing is built yet, so
 * SST's own builder bundles every function of its DR region, and synth-cache.test.ts compares it
 * with the same stage's variant, built later from copies, instead of bundling them all again.
 */
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { synthRegion, type RegionSynthJson } from "../../../packages/tools/src/offline-synth";
import { allowExampleValuesVariable, stageConfig, stages } from "../../stages";
import { completeMarker, errorMarker, fileOf, freshSynthesis } from "./synth-files";
import { variants, type Variant } from "./variants";

export async function synthesizeAll(dir: string): Promise<number> {
  // The tests read prod as stacks/stages.ts ships it, example zone and addresses included.
  process.env[allowExampleValuesVariable] = "1";
  let regions = 0;
  const fresh: Variant = { id: freshSynthesis.id, stage: freshSynthesis.stage, regions: [...freshSynthesis.roles] };
  for (const v of [fresh, ...variants]) {
    if (v.settings) stages[v.stage] = v.settings;
    try {
      const config = stageConfig(v.stage);
      for (const role of v.regions) {
        const region = role === "primary" ? config.primaryRegion : config.drRegion;
        const synth = await synthRegion(v.stage, region, { artifactsDir: join(dir, "artifacts", `${v.id}-${role}`) });
        const json: RegionSynthJson = { stage: synth.stage, region: synth.region, stacks: synth.stacks, functions: synth.functions };
        // Whole or not at all: a test polls for this file while the synthesis goes on.
        const file = fileOf(dir, v.id, role);
        await writeFile(`${file}.partial`, JSON.stringify(json));
        await rename(`${file}.partial`, file);
        regions++;
      }
    } finally {
      if (v.settings) delete stages[v.stage];
    }
  }
  return regions;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: synth-all.ts <output folder>");
  const started = performance.now();
  synthesizeAll(dir).then(
    async (regions) => {
      await writeFile(completeMarker(dir), "");
      process.stderr.write(`stacks: synthesized ${regions} regions of ${variants.length} stages in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    },
    async (error: unknown) => {
      await writeFile(errorMarker(dir), error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    },
  );
}
