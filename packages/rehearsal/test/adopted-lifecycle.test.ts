/**
 * `pnpm rehearse --scenario lifecycle --adopted`: one seed of two generations on a team's primary
 * (packages/world's adoptedPrimaryWorld: the team's names, the default parameter group, its own
 * bucket rule and simple record), adopted before the first outage (adoptPrimary: the simple record
 * made a failover pair, the database moved to its own group). Both directions: the DR region's
 * copy fails over from the team's database, re-protect makes a replica under the team's name, then
 * the primary region's copy fails over back onto it, each as its synthesized roles. The planned
 * switchback on the adopted world is adopted-failback.test.ts's (a third generation here would
 * double this file's time); the figures over seeds and generations: `pnpm rehearse --scenario
 * lifecycle --adopted --seeds N` (docs/adopt.md).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createLifecycleRehearsal, type LifecycleRehearsal, type LifecycleReport } from "../src/lifecycle";

let rehearsal: LifecycleRehearsal;
let report: LifecycleReport;
beforeAll(async () => {
  rehearsal = await createLifecycleRehearsal({ adopted: true });
  report = await rehearsal.rehearse({ seed: 1, generations: 2 });
}, 300_000);
afterAll(async () => rehearsal?.close());

it("fails over by itself in both directions on the adopted primary, each generation ending protected, the invariants holding after every workflow", () => {
  expect(report.generations.map((g) => [g.failedRegion, g.failedOverTo, g.reprotected, g.problems])).toEqual([
    ["eu-west-1", "eu-central-1", true, []],
    ["eu-central-1", "eu-west-1", true, []],
  ]);
  for (const g of report.generations) for (const w of g.workflows) expect({ [w.execution]: w.invariantViolations }).toEqual({ [w.execution]: [] });
  expect(report.met).toBe(true);
});

it("serves from the replica pilot-light made after the first outage, then from the team's database under its own name again", () => {
  expect(report.generations.map((g) => g.endState.writableDatabases)).toEqual([["pilot-light-rehearsal-replica"], ["shop-mysql-prod"]]);
  expect(report.generations.map((g) => g.endState.usersServed)).toEqual([true, true]);
});
