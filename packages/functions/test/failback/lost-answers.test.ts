/**
 * Every mutating call of the failback (re-protect and switchback) answered with a 500 or a socket
 * reset after it applied, the SDK's own retry meeting the call's effect (issue 20): the run
 * completes and the world holds its invariants. Executed like fault-matrix.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectInvariants, failoverInput, reachReprotected, reprotectInput, startFailbackSuite, switchbackInput, type FailbackRig, type FailbackSuite, shortestLatencies } from "./support";

let suite: FailbackSuite;
beforeAll(async () => {
  suite = await startFailbackSuite();
});
afterAll(async () => suite.close());

const fast = shortestLatencies;

type Mode = "reprotect" | "switchback";

async function rigFor(mode: Mode): Promise<{ rig: FailbackRig; input: Record<string, unknown> }> {
  const rig = await suite.rig(fast);
  if (mode === "switchback") {
    reachReprotected(rig);
    return { rig, input: switchbackInput };
  }
  rig.world.regionsDown.add(rig.ids.primaryRegion);
  rig.world.clock.advance(12 * 60);
  const failover = await rig.failover(failoverInput);
  expect(failover.status, failover.cause).toBe("SUCCEEDED");
  rig.world.regionsDown.delete(rig.ids.primaryRegion);
  return { rig, input: reprotectInput };
}

/** The mutating APIs a clean run of `mode` calls (learnt from the world's log). */
async function cleanRunApis(mode: Mode): Promise<string[]> {
  const { rig, input } = await rigFor(mode);
  const before = rig.world.mutatingCalls().length;
  const result = await rig.failback(input, `clean-${mode}`);
  expect(result.status, result.cause).toBe("SUCCEEDED");
  return [...new Set(rig.world.mutatingCalls().slice(before).map((c) => c.api))].sort();
}

/** One clean run per mode, shared by both errors' tests: the same inputs on a fresh rig give the same calls. */
const cleanRuns = new Map<Mode, Promise<string[]>>();
const mutatingApis = (mode: Mode): Promise<string[]> => {
  if (!cleanRuns.has(mode)) cleanRuns.set(mode, cleanRunApis(mode));
  return cleanRuns.get(mode)!;
};

describe.each(["reprotect", "switchback"] as const)("the %s", (mode) => {
  describe.each(["InternalFailure", "ECONNRESET"] as const)("(%s after the call applied, then the SDK's own retry)", (error) => {
    it("completes whichever mutating call lost its answer", async () => {
      const apis = await mutatingApis(mode);
      // At least the rename, the replica, the promotion, the scale and the DNS restore are among them.
      expect(apis.length).toBeGreaterThanOrEqual(mode === "switchback" ? 4 : 3);
      const failures: string[] = [];
      for (const api of apis) {
        const { rig, input } = await rigFor(mode);
        rig.world.inject({ api, error, applied: true, times: 1 });
        const result = await rig.failback(input, `lost-${mode}-${api.replace(/:/g, "-")}`);
        if (!rig.world.callsTo(api).some((c) => c.failed === error && c.applied)) failures.push(`${api}: the lost answer was never exercised`);
        if (result.status !== "SUCCEEDED") failures.push(`${api}: ${result.states.at(-1)} ${result.error ?? ""} ${result.cause ?? ""}`.slice(0, 400));
        else await expectInvariants(rig, result);
      }
      expect(failures).toEqual([]);
    });
  });
});
