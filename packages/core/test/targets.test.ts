/** Judging a run against the stage's objectives, and what to change: pure, table-driven. */
import { describe, expect, it } from "vitest";
import { Failover, Stage } from "@pilot-light/core";

const base: Failover.RecoveryFigures = {
  rtoTargetSeconds: 600,
  rpoBudgetSeconds: 60,
  rtoSeconds: 1000,
  measuredFrom: "outage-start",
  rpoSeconds: 5,
  detectionSeconds: 650,
  promotionSeconds: 330,
  scaleSeconds: 90,
  drPilotTaskCount: 0,
};

describe("judging targets", () => {
  it.each([
    ["RTO over the target", { rtoSeconds: 601 }, { rto: false, rpo: true }],
    ["RTO exactly the target", { rtoSeconds: 600 }, { rto: true, rpo: true }],
    ["DR never served", { rtoSeconds: null }, { rto: false, rpo: true }],
    ["lag over the budget", { rtoSeconds: 100, rpoSeconds: 61 }, { rto: true, rpo: false }],
    ["lag unknown", { rtoSeconds: 100, rpoSeconds: null }, { rto: true, rpo: null }],
  ] as const)("%s", (_name, over, expected) => {
    const t = Failover.judgeTargets({ ...base, ...over });
    expect({ rto: t.rto.met, rpo: t.rpo.met }).toEqual(expected);
  });

  it("describes a missed RTO and an unknown RPO in plain words", () => {
    const d = Failover.describeTargets(Failover.judgeTargets({ ...base, rtoSeconds: null, rpoSeconds: null }));
    expect(d.rto).toBe("RTO target 600 s: MISSED (DR never served)");
    expect(d.rpo).toMatch(/^RPO unknown/);
  });
});

describe("what to change", () => {
  it("names detection first when it dominates, with its share of RTO", () => {
    expect(Failover.advise(base)).toEqual([
      expect.stringMatching(/^detection is 65 % of RTO \(11 min\): a faster health profile \(health.schedule rate\(1 minute\)/),
      expect.stringMatching(/^promotion is 33 % of RTO \(6 min\): that is RDS's own time/),
    ]);
  });

  it.each([
    ["the default profile", { scheduleMinutes: 5, failureThreshold: 3 }, true],
    ["one-minute checks with more strikes than the fast profile", { scheduleMinutes: 1, failureThreshold: 6 }, true],
    ["the fast profile", { scheduleMinutes: 1, failureThreshold: 4 }, false],
  ] as const)("after a run with %s, names the faster health profile: %s", (_name, detectionProfile, named) => {
    const lines = Failover.advise({ ...base, detectionProfile });
    expect(lines.some((l) => l.includes("a faster health profile"))).toBe(named);
    expect(lines.at(-1)).toMatch(/^promotion is 33 % of RTO/);
  });

  it("suggests a warm standby when scaling DR is slower than the promotion", () => {
    const lines = Failover.advise({ ...base, detectionSeconds: null, promotionSeconds: 100, scaleSeconds: 400, rtoSeconds: 450 });
    expect(lines).toEqual([expect.stringMatching(/^scaling DR is 89 % of RTO.*drPilotTaskCount: 1/)]);
  });

  it("says a polling loop gave up, before anything else", () => {
    const lines = Failover.advise({ ...base, rtoSeconds: null, failure: { step: "CheckPromotion", error: "PromotionTimeoutError" } });
    expect(lines[0]).toMatch(/^CheckPromotion gave up at its polling cap \(PromotionTimeoutError\): finish by hand/);
  });

  it("says a refused preflight was the RPO budget, once", () => {
    const lines = Failover.advise({ ...base, rtoSeconds: null, rpoSeconds: 300, detectionSeconds: null, promotionSeconds: null, failure: { step: "Preflight", error: "RpoBudgetExceededError" } });
    expect(lines).toEqual([expect.stringMatching(/^preflight refused: replica lag 300 s was over the RPO budget of 60 s/)]);
    const withMessage = Failover.advise({ ...base, rtoSeconds: null, failure: { step: "Preflight", error: "RpoBudgetExceededError", message: "preflight blocked the failover: replica lag 290 s is above the RPO budget of 60 s" } });
    expect(withMessage[0]).toBe("preflight blocked the failover: replica lag 290 s is above the RPO budget of 60 s; or find the write burst or long DDL that made the replica lag");
  });

  it("says nothing needs to change when every target is met and no part dominates", () => {
    const lines = Failover.advise({ ...base, rtoSeconds: 500, detectionSeconds: 50, promotionSeconds: 90, scaleSeconds: 60 });
    expect(lines).toEqual(["nothing to change: RTO met with 100 s to spare"]);
  });

  it("treats the polling caps' Fail states and Step Functions timeouts as timeouts", () => {
    expect(["PromotionTimeoutError", "ServiceStabilizationTimeoutError", "States.Timeout"].map(Failover.isTimeout)).toEqual([true, true, true]);
    expect(Failover.isTimeout("DrUnhealthyError")).toBe(false);
  });
});

describe("the stage's RTO target", () => {
  it("defaults to the seed's upper bound, 10 minutes, next to the 60 s RPO budget", () => {
    const config = Stage.resolveStageConfig("alice", {});
    expect({ rto: config.rtoTargetSeconds, rpo: config.rpoBudgetSeconds }).toEqual({ rto: 600, rpo: 60 });
  });

  it("rejects a target under a minute, naming the field", () => {
    expect(() => Stage.resolveStageConfig("alice", { alice: { rtoTargetSeconds: 30 } })).toThrow(/rtoTargetSeconds/);
  });
});
