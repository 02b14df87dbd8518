/**
 * Several emulated worlds in one process, as `pnpm bench` runs them: the failback round trips
 * first, each rehearsal with its own DynamoDB engine (closed at its end), then the outage
 * rehearsals. No client or setting a handler keeps may outlive its world (core's
 * `Failover.lazy` is scoped to the world `installApis` opens).
 */
import { describe, expect, it } from "vitest";
import { realDeps } from "../src/bench";

describe("pnpm bench's parts in one process", () => {
  it("fails over in every outage rehearsal after the failback round trips closed their worlds (seeds 1 and 2)", async () => {
    const roundTrips = (await realDeps.failback?.(2)) ?? [];
    expect(roundTrips.map((r) => r.originalTopology)).toEqual([true, true]);
    const profiles = await realDeps.rehearsal(2);
    expect(profiles.map((p) => `${p.profile}: ${p.failedOver}/${p.runs} ${JSON.stringify(p.notFailedOver)}`)).toEqual(["default: 2/2 {}", "fast: 2/2 {}"]);
  });
});
