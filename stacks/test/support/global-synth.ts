/**
 * Vitest global setup of the `stacks` project: synthesizes every variant the stack tests read
 * (variants.ts), once per test run, and hands the folder to the tests (`inject("synthDir")`).
 * The folder is keyed by a hash of everything synthesis reads (stacks, handler and core
 * sources, the web app, sst.config.ts, the lockfile), so an unchanged tree reuses the last
 * run's templates; a fresh clone always synthesizes. synth-cache.test.ts proves the stored
 * templates equal a fresh synthesis.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { synthRegion, type RegionSynthJson } from "../../../packages/tools/src/offline-synth";
import { stageConfig, stages } from "../../stages";
import { variants } from "./variants";

declare module "vitest" {
  export interface ProvidedContext {
    synthDir: string;
  }
}

const root = process.cwd();
const inputs = ["sst.config.ts", "package.json", "pnpm-lock.yaml", "tsconfig.json", "stacks", "packages/core", "packages/functions/src", "packages/functions/package.json", "packages/web-app", "packages/tools/src/offline-synth.ts"];
const skipped = new Set(["node_modules", "test", ".sst"]);

/** Hash of every file synthesis reads (test folders aside, but for this support folder). */
export function inputsHash(): string {
  const hash = createHash("sha256");
  const visit = (path: string) => {
    const full = join(root, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) {
        if (!skipped.has(entry)) visit(join(path, entry));
      }
      return;
    }
    hash.update(`${path}\0`).update(readFileSync(full)).update("\0");
  };
  for (const input of inputs) visit(input);
  visit(relative(root, fileURLToPath(new URL(".", import.meta.url))));
  return hash.digest("hex").slice(0, 16);
}

export const fileOf = (dir: string, id: string, role: "primary" | "dr") => join(dir, `${id}.${role}.json`);

export default async function setup(project: TestProject) {
  const base = join(root, ".sst", "test-synth");
  const key = inputsHash();
  const dir = join(base, key);
  if (!existsSync(join(dir, "complete"))) {
    const started = performance.now();
    await mkdir(base, { recursive: true });
    for (const old of await readdir(base)) await rm(join(base, old), { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    let regions = 0;
    for (const v of variants) {
      if (v.settings) stages[v.stage] = v.settings;
      try {
        const config = stageConfig(v.stage);
        for (const role of v.regions) {
          const region = role === "primary" ? config.primaryRegion : config.drRegion;
          const synth = await synthRegion(v.stage, region, { artifactsDir: join(dir, "artifacts", `${v.id}-${role}`) });
          const json: RegionSynthJson = { stage: synth.stage, region: synth.region, stacks: synth.stacks, functions: synth.functions };
          await writeFile(fileOf(dir, v.id, role), JSON.stringify(json));
          regions++;
        }
      } finally {
        if (v.settings) delete stages[v.stage];
      }
    }
    await writeFile(join(dir, "complete"), "");
    process.stderr.write(`stacks: synthesized ${regions} regions of ${variants.length} stages in ${((performance.now() - started) / 1000).toFixed(1)} s into ${relative(root, dir)}\n`);
  }
  project.provide("synthDir", dir);
}
