/**
 * Issue 20's timing-sensitive scenarios over drawn timings, not only the ones the other tests
 * chose: each seed draws the latencies (promotion 1.5-15 min, the status race up to its 60 s bad
 * case, task start, DNS, when RDS publishes its events) and the scenario's own moment. The
 * suite runs `SWEEP_SEEDS` seeds (1 by default: each run is seconds of wall time); `SWEEP_SEEDS=50` sweeps wider.
 * After every run the world's invariants are checked (support.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../../rehearsal/src/random";
import { failoverInput, startSuite, type Rig, type Suite } from "./support";

let suite: Suite;
beforeAll(async () => {
  suite = await startSuite();
});
afterEach(async () => suite.checkInvariants());
afterAll(async () => suite.close());

const seeds = Array.from({ length: Number(process.env.SWEEP_SEEDS ?? 1) }, (_, i) => i + 1);
const drService = (rig: Rig) => rig.world.services.get(rig.world.serviceKey(rig.ids.drRegion, rig.ids.cluster, rig.ids.service))!;

/** One seed's world timings and a uniform draw for the scenario's own moment. */
function draw(seed: number) {
  const random = seededRandom(seed * 7919);
  const between = (lo: number, hi: number) => Math.round(lo + random.next() * (hi - lo));
  const latencies = {
    promotionSeconds: between(90, 900),
    promotionRaceSeconds: between(0, 60),
    taskStartSeconds: between(30, 120),
    firstHealthCheckSeconds: between(5, 30),
    dnsInsyncSeconds: between(20, 90),
    rdsEventDelaySeconds: between(0, 120),
  };
  return { latencies, between };
}

describe.each(seeds)("seed %i", (seed) => {
  it("a primary region that returns at a drawn moment after the promote call: no user on it, never two writable databases", async () => {
    const { latencies, between } = draw(seed);
    const returnAfter = between(0, latencies.promotionSeconds + 60);
    const rig = await suite.rig({ primaryDown: true, latencies });
    const seen = { staleAnswers: 0, twoWritable: 0 };
    rig.world.clock.onAdvance((nowMs) => {
      const requestedAt = rig.world.databases.get(rig.ids.replicaDb)?.promotionRequestedAtMs ?? null;
      if (requestedAt === null) return;
      if (rig.world.regionsDown.has(rig.ids.primaryRegion) && nowMs >= requestedAt + returnAfter * 1000) rig.world.regionsDown.delete(rig.ids.primaryRegion);
      const answer = rig.world.resolve(rig.ids.hostedZoneId, rig.ids.recordName)?.AliasTarget?.DNSName ?? "";
      if (answer.includes(rig.ids.primaryRegion) && rig.world.healthStatus(rig.ids.primaryRegion) === 200) seen.staleAnswers++;
      if ([rig.ids.primaryDb, rig.ids.replicaDb].filter((id) => rig.world.isWritable(id)).length > 1) seen.twoWritable++;
    });
    const result = await rig.run(failoverInput(), `sweep-returns-${seed}`);
    expect(result.status, `${JSON.stringify(latencies)}, back ${returnAfter} s after the call: ${result.cause}`).toBe("SUCCEEDED");
    expect(seen).toEqual({ staleAnswers: 0, twoWritable: 0 });
  });

  it("a promote call whose answer is lost after it applied: never rolled back, whatever the race and the events' delay", async () => {
    const { latencies, between } = draw(seed);
    // The race drawn past the acceptance window too (AWS bounds it nowhere).
    const race = { ...latencies, promotionRaceSeconds: between(0, 300), promotionSeconds: latencies.promotionSeconds + 300 };
    const error = between(0, 1) === 0 ? "InternalFailure" : "ECONNRESET";
    const rig = await suite.rig({ primaryDown: true, latencies: race });
    rig.world.inject({ api: "rds:PromoteReadReplica", error, applied: true, times: 1 });
    const result = await rig.run(failoverInput(), `sweep-lost-${seed}`);
    expect(result.status, `${JSON.stringify(race)}, ${error}: ${result.cause}`).toBe("SUCCEEDED");
    expect(rig.invocations.RestorePilotLight).toBeUndefined();
    expect(rig.world.isWritable(rig.ids.replicaDb)).toBe(true);
  });

  it("ECS refusing the scale-up a drawn number of times after the promotion: keeps trying and serves", async () => {
    const { latencies, between } = draw(seed);
    const refusals = between(1, 4);
    const rig = await suite.rig({ primaryDown: true, latencies });
    rig.world.inject({ api: "ecs:UpdateService", error: "AccessDeniedException", region: rig.ids.drRegion, times: refusals });
    const result = await rig.run(failoverInput(), `sweep-ecs-${seed}`);
    expect(result.status, `${JSON.stringify(latencies)}, ${refusals} refusals: ${result.cause}`).toBe("SUCCEEDED");
    expect(drService(rig).desired).toBe(rig.ids.drTaskCount);
    expect(rig.world.inbox.filter((m) => m.kind === "failover.serving-retry")).toHaveLength(refusals);
  });
});
