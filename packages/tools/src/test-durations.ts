/**
 * Rewrites test-durations.json (the order test-sequencer.ts gives a run that vitest has no
 * durations for, such as a fresh clone's) from vitest's own record of the last run of each file
 * (node_modules/.vite/vitest/<hash>/results.json): run it after a full `pnpm test`.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordedDurationsFile } from "./test-sequencer";

interface Results {
  projects: Record<string, { files: Record<string, { duration?: number }> }>;
}

export function durationsOf(results: Results): Record<string, number> {
  const files = Object.values(results.projects).flatMap((p) => Object.entries(p.files));
  return Object.fromEntries(files.filter(([, r]) => r.duration !== undefined).map(([file, r]) => [file, Math.round(r.duration!)] as const).sort(([a], [b]) => (a < b ? -1 : 1)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cache = join(process.cwd(), "node_modules", ".vite", "vitest");
  const latest = readdirSync(cache)
    .map((d) => join(cache, d, "results.json"))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!latest) throw new Error(`no vitest results under ${cache}: run the tests first`);
  const durations = durationsOf(JSON.parse(readFileSync(latest, "utf8")) as Results);
  writeFileSync(recordedDurationsFile, `${JSON.stringify(durations, null, 2)}\n`);
  process.stdout.write(`${Object.keys(durations).length} files' durations from ${latest}\n`);
}
