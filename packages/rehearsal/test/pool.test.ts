/**
 * `pnpm bench` spreads its rehearsals over processes (src/pool.ts): what a rehearsal reports
 * must not depend on which process ran it.
 */
import { describe, expect, it } from "vitest";
import { rehearseAll, type RehearsalJob } from "../src/pool";
import type { RehearsalReport } from "../src/report/schema";

const jobs: RehearsalJob[] = [
  { scenario: "dry-run", seed: 2, profile: "default" },
  { scenario: "drill", seed: 3, profile: "fast" },
  { scenario: "dry-run", seed: 4, profile: "fast" },
];
const essence = (r: RehearsalReport) => ({ scenario: r.scenario, seed: r.seed, profile: r.profile, outcome: r.outcome, met: r.expectation.met, states: r.execution?.states, events: r.events.map((e) => [e.atSeconds, e.text]) });

describe("rehearsals over several processes", () => {
  it("reports what one process reports, in the jobs' order, each child ending when the jobs do", async () => {
    const here = await rehearseAll(jobs, 1);
    const seen: string[] = [];
    const children = await rehearseAll(jobs, 2, (r) => seen.push(`${r.scenario}/${r.seed}`));
    expect(children.map(essence)).toEqual(here.map(essence));
    expect(children.map((r) => `${r.scenario}/${r.seed}`)).toEqual(["dry-run/2", "drill/3", "dry-run/4"]);
    expect(seen.sort()).toEqual(["drill/3", "dry-run/2", "dry-run/4"]);
  }, 120_000);
});
