import { describe, expect, it } from "vitest";
import { baselineOrchestration, sdkWaiters, waiterObserves } from "../src/baseline";
import { modelledCriticalPath } from "../src/bench";
import { sampleLatencies, type LatencySample } from "../src/latency";
import { seededRandom, type Random } from "../src/random";

const fixed = (u: number): Random => ({ next: () => u });

describe("SDK waiter model", () => {
  it("sees an already-true condition on its first, immediate check", () => {
    expect(waiterObserves(0, sdkWaiters.ecsServicesStable, fixed(0.5))).toBe(0);
  });

  it("backs off exponentially: RDS polls at 30, then 30–60, then 30–120 s", () => {
    // With u = 1 every delay is its maximum: 30, 60, 120 → observed at 30, 90, 210.
    expect(waiterObserves(31, sdkWaiters.rdsInstanceAvailable, fixed(1))).toBe(90);
    expect(waiterObserves(91, sdkWaiters.rdsInstanceAvailable, fixed(1))).toBe(210);
  });

  it("caps each delay at maxDelay once past the attempt ceiling", () => {
    // ECS: ceiling = log2(120/15)+1 = 4; delays 15, 30, 60, 120, then 120 each.
    expect(waiterObserves(226, sdkWaiters.ecsServicesStable, fixed(1))).toBe(345);
  });
});

describe("baseline orchestration", () => {
  it("adds promotion, scaling and DNS one after the other", () => {
    const latency = sampleLatencies(seededRandom(1));
    const run = baselineOrchestration(latency, seededRandom(2), true);
    expect(run.steps.map((s) => s.name)).toHaveLength(3);
    expect(run.orchestrationSeconds).toBeGreaterThanOrEqual(latency.promotion + latency.taskStart + latency.firstHealthCheck + latency.dnsInsync);
  });

  it("skips the DNS step when the stage has no hosted zone", () => {
    const run = baselineOrchestration(sampleLatencies(seededRandom(1)), seededRandom(2), false);
    expect(run.steps).toHaveLength(2);
  });
});

describe("the critical path the bench measures our overhead against", () => {
  const sample = (over: Partial<LatencySample>): LatencySample => ({ ...sampleLatencies(seededRandom(1)), ...over });

  it("overlaps DNS propagation with the promotion: the pin is made right after the promote call", () => {
    expect(modelledCriticalPath(sample({ promotion: 300, taskStart: 60, firstHealthCheck: 10, dnsInsync: 45 }), true)).toBe(300);
  });

  it("is the longest of the promotion, the scale-up and DNS", () => {
    expect(modelledCriticalPath(sample({ promotion: 90, taskStart: 110, firstHealthCheck: 20, dnsInsync: 60 }), true)).toBe(130);
    expect(modelledCriticalPath(sample({ promotion: 30, taskStart: 10, firstHealthCheck: 5, dnsInsync: 60 }), true)).toBe(60);
    expect(modelledCriticalPath(sample({ promotion: 30, taskStart: 10, firstHealthCheck: 5, dnsInsync: 60 }), false)).toBe(30);
  });
});
