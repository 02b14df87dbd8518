/**
 * The order vitest hands test files to its workers (vitest.config.ts), chosen for the critical
 * path on two cores: the packages and stacks projects share one group, so no worker idles at a
 * group boundary.
 * 1. stacks/test/synth-cache.test.ts, the one file that may synthesize afresh (about a minute of
 *    bundling, when the run reuses an earlier run's synthesis): it needs the stored synthesis
 *    only at its end, so it runs beside the global synthesis from the start instead of alone
 *    after everything else. On a fresh clone it reads the global synthesis's first regions.
 * 2. The packages files, longest first, so the run does not end on one long file started last:
 *    by the last run's durations (vitest's cache), or, for a file vitest has none for (a fresh
 *    clone has none at all; vitest would put the largest files first, and the rehearsals and
 *    fault matrices are short files), by those recorded in test-durations.json (refresh it with
 *    `npx tsx packages/tools/src/test-durations.ts` after a full run). A file in neither goes first.
 * 3. The other stacks files, which wait for the global synthesis's templates: by the time a
 *    worker reaches them, most are written.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const freshSynthesis = /\/stacks\/test\/synth-cache\.test\.ts$/;

function rank(spec: Pick<TestSpecification, "moduleId"> & { project: { name: string } }): number {
  if (freshSynthesis.test(spec.moduleId)) return 0;
  return spec.project.name === "stacks" ? 2 : 1;
}

/** Milliseconds per test file (relative to the workspace root) of a recorded full run. */
export const recordedDurationsFile = new URL("./test-durations.json", import.meta.url);

export default class CriticalPathSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = JSON.parse(readFileSync(recordedDurationsFile, "utf8")) as Record<string, number>;
    const known = (spec: TestSpecification) => {
      const last = this.ctx.cache.getTestSpecificationResult(spec);
      return { failed: last?.failed ?? false, duration: last?.duration ?? recorded[relative(this.ctx.config.root, spec.moduleId)] };
    };
    const order = new Map((await super.sort(files)).map((spec, i) => [spec, i]));
    // Array.prototype.sort is stable, and ties keep vitest's order.
    return [...files].sort((a, b) => {
      const byRank = rank(a) - rank(b);
      if (byRank !== 0) return byRank;
      const [x, y] = [known(a), known(b)];
      if (x.failed !== y.failed) return x.failed ? -1 : 1;
      if (x.duration === undefined || y.duration === undefined) {
        if (x.duration !== y.duration) return x.duration === undefined ? -1 : 1;
      } else if (x.duration !== y.duration) {
        return y.duration - x.duration;
      }
      return order.get(a)! - order.get(b)!;
    });
  }
}
