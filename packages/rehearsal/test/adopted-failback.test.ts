/**
 * `pnpm rehearse --scenario round-trip --adopted`: the adopted world (packages/world's
 * adoptedPrimaryWorld), adopted first (adoptPrimary), then the outage, the failover, re-protect and
 * the planned switchback under the team's names, the failback steps' grants naming the team's
 * database, group and service. One seed: the sweeps are bench's.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFailbackRehearsal, type FailbackRehearsal } from "../src/failback";

let rehearsal: FailbackRehearsal;
beforeAll(async () => {
  rehearsal = await createFailbackRehearsal({ adopted: true });
});
afterAll(async () => rehearsal?.close());

it("round trip on an adopted primary: back in the original topology under the team's names, no write lost in the switchback", async () => {
  const r = await rehearsal.rehearse("round-trip", 1);
  expect(r.runs.map((x) => `${x.workflow}:${x.status}`)).toEqual(["failover:SUCCEEDED", "reprotect:SUCCEEDED", "switchback:SUCCEEDED"]);
  expect(r.originalTopology).toBe(true);
  expect(r.lostWritesInSwitchback).toBe(0);
  // The team's database serves again under its own name (originalTopology reads the adopted world's names).
  expect(r.adopted).toBe(true);
  expect(r.writableDatabases).toEqual(["shop-mysql-prod"]);
});
