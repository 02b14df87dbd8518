/**
 * The order vitest hands test files to its workers (vitest.config.ts), chosen for the critical
 * path on two cores: the packages and stacks projects share one group, so no worker idles at a
 * group boundary.
 * 1. stacks/test/synth-cache.test.ts, the one file that may synthesize afresh (about a minute of
 *    bundling, when the run reuses an earlier run's synthesis): it needs the stored synthesis
 *    only at its end, so it runs beside the global synthesis from the start instead of alone
 *    after everything else. On a fresh clone it reads the global synthesis's first regions.
 * 2. The packages files, in vitest's own order (longest last time first; on a fresh clone,
 *    largest first).
 * 3. The other stacks files, which wait for the global synthesis's templates: by the time a
 *    worker reaches them, most are written.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

const freshSynthesis = /\/stacks\/test\/synth-cache\.test\.ts$/;

function rank(spec: Pick<TestSpecification, "moduleId"> & { project: { name: string } }): number {
  if (freshSynthesis.test(spec.moduleId)) return 0;
  return spec.project.name === "stacks" ? 2 : 1;
}

export default class CriticalPathSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Array.prototype.sort is stable: within a rank, vitest's order stands.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
