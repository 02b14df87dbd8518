/**
 * The failback rehearsals: the round trip ends in the original topology with no write lost in
 * the switchback (the world's count), and each scenario reports its own workflows' phases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFailbackRehearsal, type FailbackRehearsal } from "../src/failback";

let rehearsal: FailbackRehearsal;
beforeAll(async () => {
  rehearsal = await createFailbackRehearsal();
});
afterAll(async () => rehearsal.close());

describe("failback rehearsal", () => {
  it("round trip: outage → failover → re-protect → switchback ends in the original topology, no write lost in the switchback", async () => {
    const r = await rehearsal.rehearse("round-trip", 1);
    expect(r.runs.map((x) => `${x.workflow}:${x.status}`)).toEqual(["failover:SUCCEEDED", "reprotect:SUCCEEDED", "switchback:SUCCEEDED"]);
    expect(r.originalTopology).toBe(true);
    expect(r.lostWritesInSwitchback).toBe(0);
    // The failover does lose the writes in flight at the outage: the harsh world counts them.
    expect(r.lostWritesInFailover).toBeGreaterThan(0);
    expect(r.writeDowntimeSeconds).toBeGreaterThan(0);
    expect(r.reportedWriteDowntimeSeconds).toBeGreaterThanOrEqual((r.writeDowntimeSeconds ?? 0) - 1);
    expect(r.roundTripSeconds).toBeGreaterThan(r.switchbackSeconds ?? 0);
    expect(r.phases.map((p) => p.workflow)).toEqual(expect.arrayContaining(["failover", "reprotect", "switchback"]));
  });

  it("reprotect reports only the re-protect, and ends with the DR region serving", async () => {
    const r = await rehearsal.rehearse("reprotect", 2);
    expect(r.runs.map((x) => x.workflow)).toEqual(["reprotect"]);
    expect(r.switchbackSeconds).toBeNull();
    expect(r.originalTopology).toBe(false);
  });
});
