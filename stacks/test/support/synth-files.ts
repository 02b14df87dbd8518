/**
 * Where the one-per-run synthesis (global-synth.ts, synth-all.ts) leaves its results, and how a
 * stack test waits for the ones it reads. Light on purpose: test files import this, not CDK.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const fileOf = (dir: string, id: string, role: "primary" | "dr") => join(dir, `${id}.${role}.json`);

/**
 * A stage synthesized twice by synth-all.ts: first (as `id`, its DR region then its primary),
 * before anything else is built, so every function is built by SST's own builder; then again as
 * its variant, with copies of earlier builds like every other region (synth-cache.test.ts).
 */
export const freshSynthesis = { id: "fresh-dnsdemo", stage: "dnsdemo", roles: ["dr", "primary"] } as const;
export const completeMarker = (dir: string) => join(dir, "complete");
export const errorMarker = (dir: string) => join(dir, "error.txt");

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks until the synthesis has written `file` (the synthesis runs in its own process while
 * the packages project's files run), or fails with the synthesis's own error.
 */
export function waitForSynth(dir: string, file: string, timeoutMs = 600_000): string {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) return readFileSync(file, "utf8");
    if (existsSync(errorMarker(dir))) throw new Error(`the stack tests' synthesis failed:\n${readFileSync(errorMarker(dir), "utf8")}`);
    if (existsSync(completeMarker(dir))) throw new Error(`the synthesis finished without ${file}`);
    if (Date.now() > deadline) throw new Error(`no ${file} after ${timeoutMs / 1000} s of synthesis`);
    Atomics.wait(pause, 0, 0, 100);
  }
}
