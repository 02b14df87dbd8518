/**
 * A regional outage rehearsed on an adopted primary (packages/world's adoptedPrimaryWorld: the
 * team's names, the default parameter group, its own bucket rule and simple record), adopted first
 * as docs/adopt.md says: the real monitor detects, the real state machine fails over under the
 * team's names, and the world's invariants hold. One seed: the scenario's other figures are
 * rehearse.test's.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createRehearsal, type Rehearsal } from "../src/engine";
import { RehearsalReport } from "../src/report/schema";

let rehearsal: Rehearsal;
beforeAll(async () => {
  rehearsal = await createRehearsal({ adopted: true });
});
afterAll(async () => rehearsal?.close());

it("detects the outage of an adopted primary and fails over under the team's names, every invariant holding", async () => {
  const r = RehearsalReport.parse(await rehearsal.rehearse({ scenario: "regional-outage", seed: 5, profile: "default" }));
  expect(r.invariantViolations).toEqual([]);
  expect(r.expectation).toMatchObject({ met: true, actual: "failed-over" });
  expect(r.failedOver).toBe(true);
  // The promoted replica is the only writable database; the team's shop-mysql-prod is not.
  expect(r.endState.writableDatabases).toEqual(["pilot-light-rehearsal-replica"]);
  // Users are pinned to DR: the adoption made the team's simple record a failover pair (without it there is no PRIMARY record to pin).
  expect(r.endState.primaryRecordTarget).toBe("pilot-light-rehearsal-dr-5678.eu-central-1.elb.amazonaws.com");
});

it("drills on an adopted primary: DR scales up against the replica of the team's database and back, the team's database and record untouched", async () => {
  const r = RehearsalReport.parse(await rehearsal.rehearse({ scenario: "drill", seed: 2, profile: "default" }));
  expect(r.invariantViolations).toEqual([]);
  expect(r.expectation).toMatchObject({ met: true, actual: "drill-completed" });
  expect(r.execution?.status).toBe("SUCCEEDED");
  expect(r.endState).toMatchObject({ writableDatabases: ["shop-mysql-prod"], drDesiredTasks: 0, primaryDesiredTasks: 2, failoverLockHeld: false });
  expect(r.endState.primaryRecordTarget).toMatch(/pilot-light-rehearsal-pr-/);
});
