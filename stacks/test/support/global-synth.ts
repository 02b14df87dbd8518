/**
 * Vitest global setup of the `stacks` project: starts the synthesis of every variant the stack
 * tests read (variants.ts, synth-all.ts) in its own process, once per test run, and hands the
 * folder to the tests (`inject("synthDir")`); each stack test waits for the regions it reads
 * (synth-files.ts). The stack files run after the packages files (vitest.config.ts, its
 * sequencer), so the synthesis overlaps the packages files instead of holding every worker.
 * The folder is keyed by a hash of everything synthesis reads (stacks, handler and core
 * sources, the web app, sst.config.ts, the lockfile), so an unchanged tree reuses the last
 * run's templates; a fresh clone always synthesizes. synth-cache.test.ts proves the stored
 * templates equal a fresh synthesis (of this run's, or its own when the folder was reused).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { completeMarker, errorMarker } from "./synth-files";

declare module "vitest" {
  export interface ProvidedContext {
    synthDir: string;
    /** The folder held a complete synthesis of these inputs from an earlier run: nothing was synthesized in this one. */
    synthReused: boolean;
  }
}

const root = process.cwd();
const inputs = ["sst.config.ts", "package.json", "pnpm-lock.yaml", "tsconfig.json", "stacks", "packages/core", "packages/functions/src", "packages/functions/package.json", "packages/web-app", "packages/tools/src/offline-synth.ts", "packages/tools/src/synth-json.ts", "packages/core/test/support/adopted.ts"];
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

let child: ChildProcess | undefined;

export default async function setup(project: TestProject) {
  const base = join(root, ".sst", "test-synth");
  const dir = join(base, inputsHash());
  project.provide("synthDir", dir);
  project.provide("synthReused", existsSync(completeMarker(dir)));
  if (existsSync(completeMarker(dir))) return teardown;
  await mkdir(base, { recursive: true });
  for (const old of await readdir(base)) await rm(join(base, old), { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const log = createWriteStream(join(dir, "synth.log"));
  const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
  // SST builds one function at a time on two cores (cores - 1); two overlap its npm installs.
  const env = { ...process.env, SST_BUILD_CONCURRENCY: process.env.SST_BUILD_CONCURRENCY ?? "2" };
  child = spawn(process.execPath, [tsx, fileURLToPath(new URL("./synth-all.ts", import.meta.url)), dir], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.on("data", (chunk: Buffer) => {
    log.write(chunk);
    if (chunk.toString().startsWith("stacks: synthesized")) process.stderr.write(`${chunk.toString().trimEnd()} into ${relative(root, dir)}\n`);
  });
  // The synthesis is the run's critical path (the stacks files wait for it, the packages files
  // do not): this process, and the test workers it starts after its global setups, give it way.
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // Not allowed here: the run only takes longer.
  }
  child.on("exit", (code, signal) => {
    // A synthesis that dies without saying why must not leave the stack tests waiting.
    if (code !== 0 && !existsSync(errorMarker(dir))) writeFileSync(errorMarker(dir), `synthesis exited with ${signal ?? code}; see ${join(dir, "synth.log")}`);
  });
  return teardown;
}

function teardown() {
  if (child && child.exitCode === null) child.kill();
}
